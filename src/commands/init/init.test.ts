import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { envValues, readEnvDocument } from '../../stack/env-file.js';
import { interpolate, requiredVariables } from '../../stack/interpolate.js';
import { runInit } from './run.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('mailops init', () => {
  it('writes a 0600 test-mode .env that mailops and the compose file both accept', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mailops-init-'));
    const envFile = path.join(dir, '.env');
    const r = runInit({ envFile, force: false, domain: 'SourceWW.com', fromEmail: undefined, fromName: 'Dana Whitfield', imapUser: undefined, imapHost: undefined });
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(r.set.POSTGRES_PASSWORD).toBe('(generated)');
    const values = envValues(readEnvDocument(envFile));
    expect(values).toMatchObject({ MODE: 'test', OWN_DOMAINS: 'sourceww.com', FROM_EMAIL: 'outreach@sourceww.com', FROM_NAME: 'Dana Whitfield', SMTP_HOST: 'localhost', IMAP_USER: 'campaign@sourceww.com' });
    expect(values.POSTGRES_PASSWORD).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(values.POSTGRES_PASSWORD).not.toBe(values.LISTMONK_ADMIN_PASSWORD);
    const { config } = loadConfig({ cwd: dir, envFile, env: {} });
    expect(config.MODE).toBe('test');
    const compose = readFileSync(path.join(root, 'compose', 'docker-compose.yml'), 'utf8');
    for (const k of requiredVariables(compose)) expect(values[k], k).toBeTruthy();
    expect(() => interpolate(parse(compose), values)).not.toThrow();
    // The comments of .env.example are all still there.
    const example = readFileSync(path.join(root, '.env.example'), 'utf8');
    const written = readFileSync(envFile, 'utf8');
    for (const line of example.split('\n').filter((l) => l.startsWith('#'))) expect(written).toContain(line);
  });

  it('refuses to overwrite without --force, and keeps a backup with it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mailops-init-'));
    const envFile = path.join(dir, '.env');
    const o = { envFile, force: false, domain: 'a.com', fromEmail: undefined, fromName: undefined, imapUser: undefined, imapHost: undefined };
    runInit(o);
    const first = readFileSync(envFile, 'utf8');
    expect(() => runInit(o)).toThrow(/already exists/);
    runInit({ ...o, force: true, domain: 'b.com' });
    expect(readFileSync(`${envFile}.bak`, 'utf8')).toBe(first);
    expect(statSync(`${envFile}.bak`).mode & 0o777).toBe(0o600);
    expect(readFileSync(envFile, 'utf8')).toContain('OWN_DOMAINS=b.com');
  });
});
