/**
 * End to end: the built `bin/mailops` binary as an operator runs it, against real files, a real
 * SQLite state store and a real CSV. Includes the crash test: SIGKILL at random moments, run again,
 * every row exactly once and no torn line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../store/lock.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin', 'mailops');
const fixtures = path.join(root, 'fixtures', 'replies');

function mailops(args: string[], opts: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: opts.cwd ?? mkdtempSync(path.join(tmpdir(), 'mailops-cwd-')),
    input: opts.input ?? '',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const csvRows = (file: string) => (parse(readFileSync(file, 'utf8'), { columns: false }) as string[][]).slice(1);

describe('mailops ingest (binary)', () => {
  it('runs the README command: writes data/out/contacts.csv from the sample replies, then adds nothing on a re-run', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-readme-'));
    const first = mailops(['ingest', fixtures], { cwd });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/49 messages .* 48 rows written, 7 suppressed/);
    const csv = path.join(cwd, 'data', 'out', 'contacts.csv');
    expect(csvRows(csv)).toHaveLength(48);
    const again = mailops(['ingest', '--json', fixtures], { cwd });
    expect(again.code).toBe(0);
    const summary = JSON.parse(again.stdout) as { rowsWritten: number; duplicates: number; messages: number };
    expect(summary).toMatchObject({ rowsWritten: 0, duplicates: 49, messages: 0 });
    expect(csvRows(csv)).toHaveLength(48);
    const forced = mailops(['ingest', '--json', '--reprocess', path.join(fixtures, '01-human-gmail-simple-signature.eml')], { cwd });
    expect(JSON.parse(forced.stdout)).toMatchObject({ rowsWritten: 1 });
  });

  it('quarantines bad input with a reason, finishes the batch and exits 3', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-bad-'));
    const inbox = path.join(cwd, 'in');
    mkdirSync(inbox);
    cpSync(path.join(fixtures, '01-human-gmail-simple-signature.eml'), path.join(inbox, 'a-good.eml'));
    writeFileSync(path.join(inbox, 'b-binary.eml'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3]));
    writeFileSync(path.join(inbox, 'c-empty.eml'), '');
    writeFileSync(path.join(inbox, 'd-huge.eml'), `From: a@b.com\nSubject: x\n\n${'y'.repeat(300_000)}`);
    const r = mailops(['ingest', '--json', inbox], { cwd, env: { MAX_MESSAGE_BYTES: '100000' } });
    expect(r.code).toBe(3);
    const s = JSON.parse(r.stdout) as { messages: number; quarantined: number; quarantine: Array<{ reason: string }> };
    expect(s.messages).toBe(1);
    expect(s.quarantine.map((q) => q.reason).sort()).toEqual(['binary', 'empty', 'too-large']);
    const qdir = path.join(cwd, 'data', 'quarantine');
    expect(readdirSync(qdir).filter((f) => f.endsWith('.reason.json'))).toHaveLength(3);
    expect(readdirSync(qdir).some((f) => f.includes('d-huge'))).toBe(true);
  });

  it('--dry-run reports what would happen and writes nothing', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-dry-'));
    const r = mailops(['ingest', '--dry-run', '--json', fixtures], { cwd });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dryRun: true, messages: 49, rowsWritten: 48 });
    expect(existsSync(path.join(cwd, 'data'))).toBe(false);
  });

  it('reads one message from stdin with -', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-stdin-'));
    const r = mailops(['ingest', '--json', '-'], { cwd, input: readFileSync(path.join(fixtures, '24-ooo-referral-maria-lopez-es.eml')) });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ messages: 1, rowsWritten: 2, byKind: { 'auto-reply': 1 } });
  });

  it('names the variable and exits 2 on bad configuration; no stack trace', () => {
    const r = mailops(['ingest', fixtures], { env: { PHONE_DEFAULT_REGION: 'Mars' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PHONE_DEFAULT_REGION: expected a two-letter ISO country code/);
    expect(r.stderr).toMatch(/hint:/);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    expect(mailops(['ingest']).code).toBe(2);
    expect(mailops(['ingest', '--no-such-flag', fixtures]).code).toBe(2);
  });

  it('exits 5 at once when another ingest holds the lock on the data directory', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-lock-'));
    const lock = await acquireLock(path.join(cwd, 'data'), 'ingest');
    try {
      const r = mailops(['ingest', fixtures], { cwd });
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/another mailops ingest is running/);
    } finally {
      await lock.release();
    }
    expect(mailops(['ingest', fixtures], { cwd }).code).toBe(0);
  });

  it('explains a message with inspect, as text and as JSON', () => {
    const file = path.join(fixtures, '25-auto-left-company-successor.eml');
    const text = mailops(['inspect', file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/kind\s+auto-reply \(left-company\)/);
    const json = JSON.parse(mailops(['inspect', '--json', file]).stdout) as { contacts: Array<{ email: string }> };
    expect(json.contacts.map((c) => c.email)).toEqual(['mark.ellison@cobaltridge.com', 'hannah.price@cobaltridge.com']);
  });

  it('edits the suppression list', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-sup-'));
    expect(mailops(['suppressions', 'add', 'Jane@Acme.com', '--note', 'asked by phone'], { cwd }).code).toBe(0);
    const list = JSON.parse(mailops(['suppressions', 'list', '--json'], { cwd }).stdout) as { suppressions: Array<{ email: string; reason: string }> };
    expect(list.suppressions).toEqual([expect.objectContaining({ email: 'jane@acme.com', reason: 'manual' })]);
    expect(mailops(['suppressions', 'remove', 'jane@acme.com'], { cwd }).code).toBe(2); // needs --yes without a terminal
    expect(mailops(['suppressions', 'remove', '--yes', 'jane@acme.com'], { cwd }).code).toBe(0);
    expect(mailops(['suppressions', 'add', 'not-an-email'], { cwd }).code).toBe(2);
  });

  it('prints help fast paths and the exit codes', () => {
    const help = mailops(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:/);
    expect(mailops(['help', 'exit-codes']).stdout).toMatch(/5\s+unavailable/);
  });
});

describe('crash safety', () => {
  it('SIGKILL at random moments, then a full run: every row exactly once, no torn line', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-crash-'));
    const inbox = path.join(cwd, 'in');
    mkdirSync(inbox);
    // 400 distinct messages built from the fixtures (new Message-IDs).
    const sources = readdirSync(fixtures).filter((f) => f.endsWith('.eml') && !/^(27|28|29|30|31|34)-/.test(f));
    for (let i = 0; i < 400; i++) {
      const src = readFileSync(path.join(fixtures, sources[i % sources.length]!), 'latin1');
      const body = /^Message-ID:/im.test(src) ? src.replace(/^Message-ID:.*$/im, `Message-ID: <crash-${i}@test.invalid>`) : `Message-ID: <crash-${i}@test.invalid>\n${src}`;
      writeFileSync(path.join(inbox, `${String(i).padStart(4, '0')}.eml`), body, 'latin1');
    }
    const run = (killAfterMs?: number) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [bin, 'ingest', '-q', inbox], { cwd, stdio: 'ignore' });
        const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        child.on('exit', (code) => {
          if (timer) clearTimeout(timer);
          resolve(code);
        });
      });
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let k = 0; k < 6; k++) await run(150 + Math.floor(rand() * 600));
    expect(await run()).toBe(0);
    const csv = path.join(cwd, 'data', 'out', 'contacts.csv');
    const text = readFileSync(csv, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const rows = csvRows(csv);
    for (const r of rows) expect(r).toHaveLength(13);
    const keys = rows.map((r) => `${r[0]}|${r[7]}|${r[4]}`);
    expect(new Set(keys).size).toBe(keys.length);
    // Same rows as an uninterrupted run.
    const clean = mkdtempSync(path.join(tmpdir(), 'mailops-clean-'));
    expect(spawnSync(process.execPath, [bin, 'ingest', '-q', inbox], { cwd: clean }).status).toBe(0);
    const cleanKeys = csvRows(path.join(clean, 'data', 'out', 'contacts.csv')).map((r) => `${r[0]}|${r[7]}|${r[4]}`);
    expect([...keys].sort()).toEqual([...cleanKeys].sort());
    expect(existsSync(path.join(cwd, 'data', 'state', 'mailops.db'))).toBe(true);
  }, 120_000);
});
