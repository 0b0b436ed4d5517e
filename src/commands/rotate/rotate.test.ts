/**
 * rotate / export: archives are gzip, one per period, pruned beyond --keep; and rotating again and
 * again while an ingest process writes thousands of rows loses, duplicates and tears no row.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CSV_HEADER } from '../../ingest/sinks/csv.js';
import { runExport, runRotate } from './run.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(root, 'bin', 'mailops');
const fixtures = path.join(root, 'fixtures', 'replies');

function corpus(dir: string, n: number) {
  mkdirSync(dir, { recursive: true });
  const sources = readdirSync(fixtures).filter((f) => f.endsWith('.eml') && !/^(18|27|28|29|30|31|34)-/.test(f));
  for (let i = 0; i < n; i++) {
    const src = readFileSync(path.join(fixtures, sources[i % sources.length]!), 'latin1').replace(/^Message-ID:.*$/im, `Message-ID: <rot-${i}@test.invalid>`);
    writeFileSync(path.join(dir, `${String(i).padStart(5, '0')}.eml`), src, 'latin1');
  }
}

async function exported(csvPath: string): Promise<string[][]> {
  let text = '';
  await runExport({ csvPath, since: undefined, format: 'csv', write: (c) => (text += c) });
  return (parse(text, { columns: false }) as string[][]).slice(1);
}

describe('mailops rotate / export', () => {
  it('archives once per period, keeps a header in the new file, prunes beyond --keep, exports everything', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mailops-rot-'));
    const csvPath = path.join(dataDir, 'out', 'contacts.csv');
    expect(spawnSync(process.execPath, [bin, 'ingest', '-q', '--data-dir', dataDir, fixtures]).status).toBe(0);
    const t0 = new Date('2026-11-03T10:00:00Z');
    const first = await runRotate({ dataDir, csvPath, period: 'daily', keep: 2, dryRun: false, now: t0 });
    expect(first.rotated).toBe(true);
    expect(readFileSync(csvPath, 'utf8')).toBe(CSV_HEADER);
    expect((await runRotate({ dataDir, csvPath, period: 'daily', keep: 2, dryRun: false, now: t0 })).reason).toMatch(/already rotated|nothing to rotate/);
    expect(await exported(csvPath)).toHaveLength(48);
    for (let d = 4; d <= 6; d++) {
      expect(spawnSync(process.execPath, [bin, 'ingest', '-q', '--reprocess', '--data-dir', dataDir, path.join(fixtures, '01-human-gmail-simple-signature.eml')]).status).toBe(0);
      await runRotate({ dataDir, csvPath, period: 'daily', keep: 2, dryRun: false, now: new Date(`2026-11-0${d}T10:00:00Z`) });
    }
    expect(readdirSync(path.join(dataDir, 'out', 'archive')).sort()).toEqual(['contacts-2026-11-05.csv.gz', 'contacts-2026-11-06.csv.gz']);
    let jsonl = '';
    await runExport({ csvPath, since: new Date('2026-11-03T00:00:00Z'), format: 'jsonl', write: (c) => (jsonl += c) });
    const lines = jsonl.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines.length).toBe(2); // the rows kept in the two remaining archives
    for (const l of lines) expect(Object.keys(l)).toHaveLength(13);
  }, 60_000);

  it('rotating again and again during a 2,000-message ingest: every row exactly once, none torn', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mailops-rot-race-'));
    const inbox = path.join(dataDir, 'in');
    corpus(inbox, 2000);
    const csvPath = path.join(dataDir, 'out', 'contacts.csv');
    const child = spawn(process.execPath, [bin, 'ingest', '-q', '--data-dir', dataDir, inbox], { stdio: 'ignore' });
    const done = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    let finished = false;
    void done.then(() => (finished = true));
    let hour = 0;
    let rotations = 0;
    while (!finished) {
      const r = await runRotate({ dataDir, csvPath, period: 'hourly', keep: 1000, dryRun: false, now: new Date(Date.UTC(2026, 10, 3, hour++)) });
      if (r.rotated) rotations++;
      await new Promise((res) => setTimeout(res, 30));
    }
    expect(await done).toBe(0);
    await runRotate({ dataDir, csvPath, period: 'hourly', keep: 1000, dryRun: false, now: new Date(Date.UTC(2026, 10, 3, hour++)) });
    expect(rotations).toBeGreaterThan(2);
    const rows = await exported(csvPath);
    for (const r of rows) expect(r).toHaveLength(13);
    const keys = rows.map((r) => `${r[0]}|${r[7]}|${r[4]}`);
    expect(new Set(keys).size).toBe(keys.length);
    const clean = mkdtempSync(path.join(tmpdir(), 'mailops-rot-clean-'));
    expect(spawnSync(process.execPath, [bin, 'ingest', '-q', '--data-dir', clean, inbox]).status).toBe(0);
    const cleanKeys = (parse(readFileSync(path.join(clean, 'out', 'contacts.csv'), 'utf8'), { columns: false }) as string[][]).slice(1).map((r) => `${r[0]}|${r[7]}|${r[4]}`);
    expect(keys.sort()).toEqual(cleanKeys.sort());
    expect(existsSync(path.join(dataDir, 'out', 'archive'))).toBe(true);
  }, 120_000);
});
