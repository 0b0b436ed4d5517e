import { mkdtempSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { envValues, formatEnvValue, parseEnvDocument, serializeEnvDocument, setEnvValues, writeEnvFileAtomic } from './env-file.js';

// A small generator of .env files: comments, blanks, entries in every quoting style, export
// prefixes, '#' inside values, CRLF or LF, with or without a final newline.
function* envFiles(count: number): Generator<string> {
  let seed = 1;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const values = ['plain', 'with space', 'has#hash', "it's", 'say "hi"', 'a=b=c', '', 'ünïcødé', '$HOME', 'x'.repeat(40), 'tab\there'];
  for (let f = 0; f < count; f++) {
    const lines: string[] = [];
    const n = 1 + rand(12);
    for (let i = 0; i < n; i++) {
      const kind = rand(6);
      const key = `KEY_${rand(8)}`;
      const v = values[rand(values.length)]!;
      if (kind === 0) lines.push(`# comment ${i} = not an entry`);
      else if (kind === 1) lines.push('');
      else if (kind === 2) lines.push(`export ${key}=${formatEnvValue(v)}`);
      else if (kind === 3) lines.push(`${key} = ${formatEnvValue(v)}   # trailing comment`);
      else lines.push(`${key}=${formatEnvValue(v)}`);
    }
    const eol = rand(2) ? '\r\n' : '\n';
    yield lines.join(eol) + (rand(3) ? eol : '');
  }
}

describe('.env editing', () => {
  it('round-trips any file byte for byte', () => {
    for (const text of envFiles(300)) expect(serializeEnvDocument(parseEnvDocument(text))).toBe(text);
    for (const text of ['', '\n', '# only a comment', 'A="multi\nline"\nB=2\n']) expect(serializeEnvDocument(parseEnvDocument(text))).toBe(text);
  });

  it('changes only the managed keys; comments, order, quoting and unknown keys survive', () => {
    for (const text of envFiles(300)) {
      const before = parseEnv(text) as Record<string, string>;
      const doc = setEnvValues(parseEnvDocument(text), { KEY_1: 'new value # with hash', MODE: 'prod' });
      const after = envValues(doc);
      expect(after.KEY_1).toBe('new value # with hash');
      expect(after.MODE).toBe('prod');
      // Only real keys: Node's parser also reads "# comment = x" as a key named "# comment".
      for (const [k, v] of Object.entries(before)) if (k !== 'KEY_1' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) expect(after[k]).toBe(v);
      const out = serializeEnvDocument(doc);
      for (const line of text.split(/\r?\n/)) if (!/^\s*(export\s+)?KEY_1\s*=/.test(line)) expect(out).toContain(line);
    }
  });

  it('quotes values so that they read back exactly', () => {
    for (const v of ['a b', 'x#y', "it's", 'say "hi"', 'p@ss:w0rd/+=', 'line\nbreak', '']) {
      expect(parseEnv(`K=${formatEnvValue(v)}`)).toEqual({ K: v });
    }
  });

  it('writes atomically with mode 0600 and keeps a 0600 backup; no temp file is left', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mailops-env-'));
    const file = path.join(dir, '.env');
    writeFileSync(file, 'MODE=test\n', { mode: 0o644 });
    writeEnvFileAtomic(file, 'MODE=prod\n');
    expect(readFileSync(file, 'utf8')).toBe('MODE=prod\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe('MODE=test\n');
    expect(statSync(`${file}.bak`).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['.env', '.env.bak']);
  });

  it('a crash before the rename leaves the old file whole (the temp file is never the .env)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mailops-env-'));
    const file = path.join(dir, '.env');
    writeFileSync(file, 'MODE=test\n');
    // Simulate the crash window: a half-written temp file exists, the rename never happened.
    writeFileSync(path.join(dir, '.env.123.456.tmp'), 'MODE=pr');
    expect(readFileSync(file, 'utf8')).toBe('MODE=test\n');
    writeEnvFileAtomic(file, 'MODE=prod\n');
    expect(readFileSync(file, 'utf8')).toBe('MODE=prod\n');
  });
});
