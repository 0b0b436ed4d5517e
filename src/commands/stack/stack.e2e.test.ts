/**
 * mailops up | down | status against a test double of the `docker` executable placed first on PATH
 * (the Docker engine cannot run on these machines). The double records its arguments and replays
 * recorded `docker compose ps --format json` output; it can also act as a machine without the
 * compose plugin or without a running daemon.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runInit } from '../init/run.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(root, 'bin', 'mailops');

const DOUBLE = `#!${process.execPath}
const fs = require('fs');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.DOCKER_DOUBLE_LOG, JSON.stringify(args) + '\\n');
const mode = process.env.DOCKER_DOUBLE_MODE || 'ok';
if (args[0] === '--version') { console.log('Docker version 28.2.2, build double'); process.exit(0); }
if (args[0] === 'compose' && args[1] === 'version') {
  if (mode === 'no-compose') { console.error("docker: 'compose' is not a docker command."); process.exit(1); }
  console.log('Docker Compose version v2.39.1'); process.exit(0);
}
if (args[0] === 'info') {
  if (mode === 'no-daemon') { console.error('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'); process.exit(1); }
  console.log('28.2.2'); process.exit(0);
}
if (args[0] === 'compose') {
  if (args.includes('ps')) {
    // Replay recorded outputs in order; the last one repeats.
    const dir = process.env.DOCKER_DOUBLE_PS_DIR;
    const counter = dir + '/counter';
    let n = 0; try { n = Number(fs.readFileSync(counter, 'utf8')); } catch {}
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    fs.writeFileSync(counter, String(n + 1));
    process.stdout.write(fs.readFileSync(dir + '/' + files[Math.min(n, files.length - 1)], 'utf8'));
    process.exit(0);
  }
  if (args.includes('logs')) { console.error('installing… \\nexport LISTMONK_ADMIN_API_TOKEN="tok_0123456789abcdefghijklmnopqrstuv"'); process.exit(0); }
  process.exit(0);
}
process.exit(0);
`;

function ndjson(rows: Array<[string, string, string]>): string {
  return rows.map(([service, state, health]) => JSON.stringify({ Service: service, State: state, Health: health, Status: `${state} (${health})`, Publishers: [{ URL: '127.0.0.1', PublishedPort: 9000, TargetPort: 9000 }] })).join('\n') + '\n';
}

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'mailops-stack-'));
  const binDir = path.join(dir, 'bin');
  const psDir = path.join(dir, 'ps');
  for (const d of [binDir, psDir]) spawnSync('mkdir', ['-p', d]);
  writeFileSync(path.join(binDir, 'docker'), DOUBLE);
  chmodSync(path.join(binDir, 'docker'), 0o755);
  const services = ['db', 'listmonk', 'mailpit', 'ingest'];
  writeFileSync(path.join(psDir, '1.json'), ndjson(services.map((s) => [s, 'running', s === 'db' ? 'healthy' : 'starting'])));
  writeFileSync(path.join(psDir, '2.json'), ndjson(services.map((s) => [s, 'running', 'healthy'])));
  runInit({ envFile: path.join(dir, '.env'), force: false, domain: 'sourceww.com', fromEmail: undefined, fromName: undefined, imapUser: undefined, imapHost: undefined });
  const log = path.join(dir, 'docker.log');
  const env = (over: Record<string, string> = {}) => ({ PATH: `${binDir}:/usr/bin:/bin`, HOME: dir, DOCKER_DOUBLE_LOG: log, DOCKER_DOUBLE_PS_DIR: psDir, ...over });
  const mailops = (args: string[], over: Record<string, string> = {}) => spawnSync(process.execPath, [bin, ...args], { cwd: dir, env: env(over), encoding: 'utf8', timeout: 60_000 });
  const calls = () => readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
  return { dir, mailops, calls };
}

describe('mailops up / down / status (docker double on PATH)', () => {
  it('up runs docker compose with the project files, waits for health, reports states and stores the Listmonk token', () => {
    const t = setup();
    const r = t.mailops(['up', '--json']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { ready: boolean; listmonkTokenStored: boolean; services: Array<{ service: string; health: string }> };
    expect(out.ready).toBe(true);
    expect(out.services.map((s) => `${s.service}:${s.health}`)).toEqual(['db:healthy', 'listmonk:healthy', 'mailpit:healthy', 'ingest:healthy']);
    expect(out.listmonkTokenStored).toBe(true);
    expect(readFileSync(path.join(t.dir, '.env'), 'utf8')).toMatch(/^LISTMONK_API_TOKEN=tok_0123456789abcdefghijklmnopqrstuv$/m);
    const up = t.calls().find((c) => c.includes('up'))!;
    expect(up).toEqual(['compose', '--project-name', 'mailops', '-f', path.join(root, 'compose', 'docker-compose.yml'), '--env-file', path.join(t.dir, '.env'), 'up', '-d', '--build', '--remove-orphans']);
    expect(t.calls().filter((c) => c.includes('ps')).length).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('up --profile metrics passes the profile; down stops everything', () => {
    const t = setup();
    expect(t.mailops(['up', '--profile', 'metrics']).status).toBe(0);
    expect(t.calls().find((c) => c.includes('up'))).toEqual(expect.arrayContaining(['--profile', 'metrics']));
    expect(t.mailops(['down']).status).toBe(0);
    expect(t.calls().some((c) => c[c.length - 1] === 'down')).toBe(true);
  }, 30_000);

  it('says exactly what is missing: docker, the compose plugin, the daemon (exit 5); or the generated secrets (exit 2)', () => {
    const t = setup();
    const noDocker = t.mailops(['up'], { PATH: '/usr/bin/nonexistent' });
    expect(noDocker.status).toBe(5);
    expect(noDocker.stderr).toMatch(/Docker is not installed/);
    const noCompose = t.mailops(['up'], { DOCKER_DOUBLE_MODE: 'no-compose' });
    expect(noCompose.status).toBe(5);
    expect(noCompose.stderr).toMatch(/Compose plugin is missing[\s\S]*docker-compose-plugin/);
    const noDaemon = t.mailops(['up'], { DOCKER_DOUBLE_MODE: 'no-daemon' });
    expect(noDaemon.status).toBe(5);
    expect(noDaemon.stderr).toMatch(/daemon is not running[\s\S]*systemctl start docker/);
    writeFileSync(path.join(t.dir, '.env'), 'MODE=test\n');
    const noSecrets = t.mailops(['up']);
    expect(noSecrets.status).toBe(2);
    expect(noSecrets.stderr).toMatch(/lacks .*POSTGRES_PASSWORD/);
  }, 30_000);

  it('status shows mode, services, endpoints and what was ingested', () => {
    const t = setup();
    expect(t.mailops(['ingest', path.join(root, 'fixtures', 'replies', '01-human-gmail-simple-signature.eml')]).status).toBe(0);
    const r = t.mailops(['status', '--json']);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout) as { mode: string; smtp: string; services: unknown[]; lastIngest: { messages: number } };
    expect(s.mode).toBe('test');
    expect(s.smtp).toMatch(/^localhost:1025/);
    expect(Array.isArray(s.services)).toBe(true);
    expect(s.lastIngest.messages).toBe(1);
  }, 30_000);
});
