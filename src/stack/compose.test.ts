/**
 * compose/docker-compose.yml, checked without a Docker engine (none can run here): our own
 * interpolation of test and prod env files, the Compose Specification schema from
 * ../shared/schemas (skipped with a note when absent), references between services, loopback-only
 * ports, required secrets; and Debian's docker-compose `config -q` when it is installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { interpolate, interpolateString, requiredVariables } from './interpolate.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const composeFile = path.join(root, 'compose', 'docker-compose.yml');
const schemaFile = [process.env.MAILOPS_SHARED_DIR, path.resolve(root, '../shared')].filter(Boolean).map((d) => path.join(d!, 'schemas', 'compose-spec.json')).find((f) => existsSync(f));
if (!schemaFile) console.warn('NOTE: ../shared/schemas/compose-spec.json not found; the schema check of compose/ is skipped.');

const ENVS: Record<string, Record<string, string>> = {
  test: { MODE: 'test', POSTGRES_PASSWORD: 'pg-secret-1', LISTMONK_ADMIN_PASSWORD: 'lm-secret-1', GRAFANA_ADMIN_PASSWORD: 'gf-secret-1', IMAP_HOST: 'mailcow-dovecot', IMAP_USER: 'campaign@sourceww.com', IMAP_PASS: 'x' },
  prod: { MODE: 'prod', POSTGRES_PASSWORD: 'pg-secret-2', LISTMONK_ADMIN_PASSWORD: 'lm-secret-2', GRAFANA_ADMIN_PASSWORD: 'gf-secret-2', IMAP_HOST: 'mail.sourceww.com', IMAP_USER: 'campaign@sourceww.com', IMAP_PASS: 'y', OWN_DOMAINS: 'sourceww.com' },
};

type Service = { profiles?: string[]; depends_on?: string[] | Record<string, unknown>; ports?: string[]; image?: string; healthcheck?: unknown };
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

const load = (env: Record<string, string>) => interpolate(parse(readFileSync(composeFile, 'utf8')) as Compose, env);

describe('interpolation', () => {
  it('implements the compose forms', () => {
    const env = { A: 'a', E: '' };
    expect(interpolateString('${A}-${B:-b}-${E:-e}-${E-e}-$$A-$A', env)).toBe('a-b-e--$A-a');
    expect(() => interpolateString('${E:?set E please}', env)).toThrow(/E: set E please/);
    expect(interpolateString('${E?}', env)).toBe('');
  });
});

describe('compose/docker-compose.yml', () => {
  for (const mode of ['test', 'prod'] as const) {
    it(`is valid for ${mode} mode (services, references, loopback ports, pinned images)`, async () => {
      const doc = load(ENVS[mode]!);
      const names = Object.keys(doc.services);
      expect(names.sort()).toEqual(['db', 'grafana', 'ingest', 'listmonk', 'mailpit', 'prometheus']);
      for (const [name, svc] of Object.entries(doc.services)) {
        const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
        for (const d of deps) expect(names, `${name} depends on ${d}`).toContain(d);
        for (const p of svc.ports ?? []) expect(p, `${name} publishes ${p}`).toMatch(/^127\.0\.0\.1:/);
        if (svc.image && name !== 'ingest') expect(svc.image, `${name} image is pinned`).toMatch(/:(v?\d[\w.-]*|\d+-alpine)$/);
      }
      for (const name of ['db', 'listmonk', 'mailpit', 'ingest']) expect(doc.services[name]!.healthcheck, `${name} has a healthcheck`).toBeDefined();
      expect(doc.services.prometheus!.profiles).toEqual(['metrics']);
      expect(doc.services.grafana!.profiles).toEqual(['metrics']);
      if (schemaFile) {
        const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
        delete schema.$schema;
        const ajv = new Ajv({ allErrors: true, strict: false });
        (addFormats as unknown as (a: Ajv) => void)(ajv);
        const validate = ajv.compile(schema);
        const ok = validate(doc);
        expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
        expect(ok).toBe(true);
      }
    });
  }

  it('refuses to start without the generated secrets', () => {
    const text = readFileSync(composeFile, 'utf8');
    expect(requiredVariables(text).sort()).toEqual(['GRAFANA_ADMIN_PASSWORD', 'LISTMONK_ADMIN_PASSWORD', 'POSTGRES_PASSWORD']);
    expect(() => load({ MODE: 'test' })).toThrow(/POSTGRES_PASSWORD/);
  });

  it('keeps the dashboard and the scrape config pointed at the ingest service', () => {
    const prom = parse(readFileSync(path.join(root, 'compose', 'prometheus', 'prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
    expect(prom.scrape_configs[0]!.static_configs[0]!.targets).toEqual(['ingest:9464']);
    const dash = JSON.parse(readFileSync(path.join(root, 'compose', 'grafana', 'dashboards', 'mailops.json'), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.join(' ')).toMatch(/mailops_messages_total/);
    for (const e of exprs) expect(e).toMatch(/mailops_[a-z_]+/);
  });

  const dockerCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  it.skipIf(dockerCompose.status !== 0)('passes docker-compose config -q for test, prod and the metrics profile', () => {
    for (const mode of ['test', 'prod'] as const) {
      const envFile = path.join(mkdtempSync(path.join(tmpdir(), 'mailops-compose-')), `${mode}.env`);
      writeFileSync(envFile, Object.entries(ENVS[mode]!).map(([k, v]) => `${k}=${v}`).join('\n'));
      for (const profile of [[], ['--profile', 'metrics']]) {
        const r = spawnSync('docker-compose', ['--env-file', envFile, '-f', composeFile, ...profile, 'config', '-q'], { encoding: 'utf8' });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
      }
    }
  });
});
