import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MailopsError } from '../errors.js';
import { loadConfig } from './load.js';

function dirWithEnv(content: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mailops-cfg-'));
  writeFileSync(path.join(dir, '.env'), content);
  return dir;
}

describe('loadConfig', () => {
  it('applies flags > environment > .env > defaults and remembers each source', () => {
    const cwd = dirWithEnv('DATA_DIR=/from/file\nPHONE_DEFAULT_REGION=de\nOWN_DOMAINS=file.example\nIMAP_PORT=1993\n');
    const { config, sources } = loadConfig({ cwd, env: { OWN_DOMAINS: 'env.example,Other.Example', IMAP_PORT: '2993' }, flags: { IMAP_PORT: '3993' } });
    expect(config.IMAP_PORT).toBe(3993);
    expect(sources.IMAP_PORT).toBe('flag');
    expect(config.OWN_DOMAINS).toEqual(['env.example', 'other.example']);
    expect(sources.OWN_DOMAINS).toBe('environment');
    expect(config.PHONE_DEFAULT_REGION).toBe('DE');
    expect(sources.PHONE_DEFAULT_REGION).toBe('env-file');
    expect(config.MODE).toBe('test');
    expect(sources.MODE).toBe('default');
  });

  it('names the variable, the value and where it came from when a value is wrong', () => {
    const cwd = dirWithEnv('IMAP_PORT=imap\nPHONE_DEFAULT_REGION=XX\n');
    try {
      loadConfig({ cwd, env: {} });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MailopsError);
      const e = err as MailopsError;
      expect(e.exitCode).toBe(2);
      expect(e.message).toMatch(/IMAP_PORT: expected a port number \(got "imap" from .*\.env\)/);
      expect(e.message).toMatch(/PHONE_DEFAULT_REGION: expected a two-letter ISO country code/);
    }
  });

  it('never echoes a secret value in an error', () => {
    const cwd = dirWithEnv('LLM_PROVIDER=openai\nLLM_ENDPOINT=not a url\nIMAP_PASS=hunter22\n');
    expect(() => loadConfig({ cwd, env: {} })).toThrow(/LLM_ENDPOINT/);
    try {
      loadConfig({ cwd, env: { IMAP_PORT: 'x' } });
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter22');
    }
  });

  it('fails with exit code 2 when --env-file names a missing file, and not when ./.env is absent', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-cfg-'));
    expect(() => loadConfig({ cwd, env: {}, envFile: 'nope.env' })).toThrow(/cannot read env file/);
    expect(loadConfig({ cwd, env: {} }).envFile).toBeUndefined();
  });
});
