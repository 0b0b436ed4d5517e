/**
 * `mailops ingest --imap` against a real Dovecot started for these tests (dovecot-imapd; `.ci/run`
 * installs it). Skips with a visible note when Dovecot is not installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../store/lock.js';
import { DOVECOT_BIN, startDovecot, type Dovecot } from '../testing/dovecot.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin', 'mailops');
const fixtures = path.join(root, 'fixtures', 'replies');
const expected = JSON.parse(readFileSync(path.join(fixtures, 'expected.json'), 'utf8')) as {
  files: Record<string, { kind: string; rows: Array<Record<string, string>> }>;
};
if (!DOVECOT_BIN) console.warn('NOTE: dovecot is not installed; IMAP tests are skipped (apt-get install dovecot-imapd).');

/** 20 canned replies: every .eml fixture with rows or a suppression effect, in name order. */
const CANNED = readdirSync(fixtures)
  .filter((f) => f.endsWith('.eml') && !f.startsWith('18-')) // 18 has no Message-ID: its id is a hash of the bytes
  .sort()
  .slice(0, 20);

describe.skipIf(!DOVECOT_BIN)('mailops ingest --imap (real Dovecot)', () => {
  let dovecot: Dovecot;
  beforeAll(async () => {
    dovecot = await startDovecot([
      { name: 'campaign', password: 'secret1' },
      { name: 'other', password: 'secret2' },
    ]);
  }, 30_000);
  afterAll(async () => dovecot?.stop());

  const baseEnv = (over: Record<string, string> = {}) => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    IMAP_HOST: '127.0.0.1',
    IMAP_PORT: String(dovecot.port),
    IMAP_SSL: 'false',
    IMAP_USER: 'campaign',
    IMAP_PASS: 'secret1',
    NODE_EXTRA_CA_CERTS: dovecot.certFile,
    ...over,
  });
  const run = (cwd: string, args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [bin, 'ingest', '--imap', ...args], { cwd, env: baseEnv(env), encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const client = async (user = 'campaign', pass = 'secret1') => {
    const c = new ImapFlow({ host: '127.0.0.1', port: dovecot.port, secure: false, auth: { user, pass }, logger: false, tls: { rejectUnauthorized: false } });
    await c.connect();
    return c;
  };
  const append = async (user: string, pass: string, mailbox: string, files: string[]) => {
    const c = await client(user, pass);
    try {
      for (const f of files) await c.append(mailbox, readFileSync(path.join(fixtures, f)));
    } finally {
      await c.logout();
    }
  };
  const flagsOf = async (user: string, pass: string, mailbox: string) => {
    const c = await client(user, pass);
    try {
      const mb = await c.mailboxOpen(mailbox, { readOnly: true });
      const out: Array<{ uid: number; flags: string[] }> = [];
      if (mb.exists === 0) return out;
      for await (const m of c.fetch('1:*', { uid: true, flags: true })) out.push({ uid: m.uid, flags: [...(m.flags ?? [])] });
      return out;
    } finally {
      await c.logout();
    }
  };
  const csv = (cwd: string) => (parse(readFileSync(path.join(cwd, 'data', 'out', 'contacts.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>);

  it('first run writes exactly the expected rows and tags every message; a second run finds nothing new', async () => {
    await append('campaign', 'secret1', 'INBOX', CANNED);
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-imap-'));
    const first = run(cwd, ['--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ messages: 20 });
    const want = CANNED.flatMap((f) => expected.files[f]!.rows);
    const got = csv(cwd);
    const strip = (r: Record<string, string>) => ({ ...r, received_at_iso: r.received_at_iso ? 'set' : '' });
    expect(got.map(strip)).toEqual(want.map(strip));
    const flags = await flagsOf('campaign', 'secret1', 'INBOX');
    expect(flags).toHaveLength(20);
    for (const f of flags) expect(f.flags).toContain('$MailopsProcessed');

    const second = run(cwd, ['--json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ messages: 0, duplicates: 0, rowsWritten: 0 });

    await append('campaign', 'secret1', 'INBOX', ['44-human-cc-colleague.eml']);
    const third = run(cwd, ['--json']);
    expect(JSON.parse(third.stdout)).toMatchObject({ messages: 1, rowsWritten: expected.files['44-human-cc-colleague.eml']!.rows.length });
  }, 60_000);

  it('read-only mode tags nothing but remembers what it read', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-imap-ro-'));
    await append('other', 'secret2', 'INBOX', CANNED.slice(0, 3));
    const env = { IMAP_USER: 'other', IMAP_PASS: 'secret2', IMAP_READONLY: 'true' };
    expect(JSON.parse(run(cwd, ['--json'], env).stdout)).toMatchObject({ messages: 3 });
    for (const f of await flagsOf('other', 'secret2', 'INBOX')) expect(f.flags).not.toContain('$MailopsProcessed');
    expect(JSON.parse(run(cwd, ['--json'], env).stdout)).toMatchObject({ messages: 0, duplicates: 0 });
  }, 60_000);

  it('--move-to moves processed messages; a missing mailbox is exit 2 with the list of mailboxes', async () => {
    const c = await client('other', 'secret2');
    await c.mailboxCreate('Processed');
    await c.mailboxCreate('Replies');
    await c.logout();
    await append('other', 'secret2', 'Replies', CANNED.slice(3, 6));
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-imap-mv-'));
    const env = { IMAP_USER: 'other', IMAP_PASS: 'secret2' };
    const r = run(cwd, ['--json', '--mailbox', 'Replies', '--move-to', 'Processed'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ messages: 3 });
    expect(await flagsOf('other', 'secret2', 'Replies')).toHaveLength(0);
    const moved = await flagsOf('other', 'secret2', 'Processed');
    expect(moved).toHaveLength(3);
    const missing = run(cwd, ['--mailbox', 'Nope'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/mailbox "Nope" does not exist/);
    expect(missing.stderr).toMatch(/INBOX/);
    expect(missing.stderr).toMatch(/Processed/);
  }, 60_000);

  it('--all-mailboxes reads Junk and subfolders but not Sent or Trash', async () => {
    await append('other', 'secret2', 'Junk', [CANNED[6]!]);
    await append('other', 'secret2', 'Sent', [CANNED[7]!]);
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-imap-all-'));
    const r = run(cwd, ['--json', '--all-mailboxes'], { IMAP_USER: 'other', IMAP_PASS: 'secret2', IMAP_READONLY: 'true' });
    expect(r.code).toBe(0);
    // INBOX 3 + Junk 1 + Processed 3 (Replies is empty after the move); Sent is skipped.
    expect(JSON.parse(r.stdout)).toMatchObject({ messages: 7 });
  }, 60_000);

  it('a recreated mailbox (new UIDVALIDITY) loses and duplicates nothing', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-imap-uv-'));
    const c = await client('other', 'secret2');
    await c.mailboxCreate('Campaign');
    await c.logout();
    await append('other', 'secret2', 'Campaign', CANNED.slice(8, 11));
    const env = { IMAP_USER: 'other', IMAP_PASS: 'secret2', IMAP_MAILBOXES: 'Campaign' };
    expect(JSON.parse(run(cwd, ['--json'], env).stdout)).toMatchObject({ messages: 3 });
    const rowsBefore = csv(cwd).length;
    const d = await client('other', 'secret2');
    await d.mailboxDelete('Campaign');
    await d.mailboxCreate('Campaign');
    await d.logout();
    await append('other', 'secret2', 'Campaign', [...CANNED.slice(8, 11), CANNED[11]!]);
    const r = run(cwd, ['--json'], env);
    expect(r.stderr).toMatch(/UIDVALIDITY changed/);
    expect(JSON.parse(r.stdout)).toMatchObject({ messages: 1, duplicates: 3 });
    expect(csv(cwd).length).toBe(rowsBefore + expected.files[CANNED[11]!]!.rows.length);
  }, 60_000);

  it('--watch: new mail lands within seconds; Dovecot killed and restarted loses and doubles nothing; SIGTERM exits 0', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-imap-watch-'));
    const c = await client('other', 'secret2');
    await c.mailboxCreate('Watch');
    await c.logout();
    const env = baseEnv({ IMAP_USER: 'other', IMAP_PASS: 'secret2', IMAP_MAILBOXES: 'Watch', HEARTBEAT_SECONDS: '10' });
    const child = spawn(process.execPath, [bin, 'ingest', '--imap', '--watch'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const until = async (what: () => boolean, ms: number, label: string) => {
      const deadline = Date.now() + ms;
      while (!what()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}; stderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const rows = () => {
      try {
        return csv(cwd);
      } catch {
        return [];
      }
    };
    const ids = (files: string[]) => files.map((f) => expected.files[f]!.rows[0]!.message_id);
    try {
      await until(() => /watching Watch/.test(stderr), 15_000, 'the watcher to start');
      const [a, b, cc] = [CANNED[12]!, CANNED[13]!, CANNED[14]!];
      await append('other', 'secret2', 'Watch', [a]);
      await until(() => rows().some((r) => r.message_id === ids([a])[0]), 10_000, 'the first message to land');

      dovecot.kill();
      await until(() => /retrying in/.test(stderr), 15_000, 'the watcher to notice the server is gone');
      await dovecot.start();
      await append('other', 'secret2', 'Watch', [b, cc]);
      await until(() => ids([b, cc]).every((id) => rows().some((r) => r.message_id === id)), 40_000, 'messages after the restart');

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const got = rows().map((r) => `${r.message_id}|${r.contact_email}`);
      expect(new Set(got).size).toBe(got.length);
      const want = [a, b, cc].flatMap((f) => expected.files[f]!.rows.map((r) => `${r.message_id}|${r.contact_email}`));
      expect(got.sort()).toEqual(want.sort());
      for (const f of await flagsOf('other', 'secret2', 'Watch')) expect(f.flags).toContain('$MailopsProcessed');
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);

  it('wrong password is exit 4, at once, with a hint and no secret in the output', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-imap-auth-'));
    const r = run(cwd, [], { IMAP_PASS: 'wrong-password-123' });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/IMAP login to .* failed/);
    expect(r.stderr).toMatch(/hint: Check IMAP_USER and IMAP_PASS/);
    expect(r.stderr + r.stdout).not.toContain('wrong-password-123');
  }, 30_000);

  it('refuses a self-signed certificate (exit 5) unless IMAP_TLS_INSECURE=true', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-imap-tls-'));
    const tlsEnv = { IMAP_PORT: String(dovecot.tlsPort), IMAP_SSL: 'true', NODE_EXTRA_CA_CERTS: '' };
    const refused = run(cwd, ['--dry-run'], tlsEnv);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/TLS with the IMAP server/);
    expect(refused.stderr).toMatch(/IMAP_TLS_INSECURE/);
    const starttls = run(cwd, ['--dry-run'], { NODE_EXTRA_CA_CERTS: '' });
    expect(starttls.code).toBe(5);
    const accepted = run(cwd, ['--dry-run', '--json'], { ...tlsEnv, IMAP_TLS_INSECURE: 'true' });
    expect(accepted.code).toBe(0);
    expect(accepted.stderr).toMatch(/not verified/);
  }, 30_000);

  it('an unreachable server is exit 5; a second concurrent run is exit 5', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'mailops-imap-down-'));
    const down = run(cwd, [], { IMAP_PORT: '1' });
    expect(down.code).toBe(5);
    expect(down.stderr).toMatch(/cannot reach the IMAP server/);
    const lock = await acquireLock(path.join(cwd, 'data'), 'ingest');
    try {
      const second = run(cwd, []);
      expect(second.code).toBe(5);
      expect(second.stderr).toMatch(/another mailops ingest is running/);
    } finally {
      await lock.release();
    }
  }, 30_000);
});
