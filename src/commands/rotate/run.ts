/**
 * `mailops rotate`: moves contacts.csv to out/archive/contacts-<period start>.csv.gz (streamed gzip)
 * and starts a new file with the header. Under the CSV lock the live file is only renamed and
 * recreated (milliseconds), so a running ingest loses, duplicates and tears nothing; compression
 * happens outside the lock. Idempotent within a period; prunes archives beyond --keep.
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import { CSV_COLUMNS, CSV_HEADER } from '../../ingest/sinks/csv.js';
import { withCsvLock } from '../../store/csv-lock.js';

export type Period = 'daily' | 'hourly';

export interface RotateOptions {
  dataDir: string;
  csvPath: string;
  period: Period;
  keep: number;
  dryRun: boolean;
  now?: Date;
}

export interface RotateResult {
  rotated: boolean;
  reason: string;
  archive: string | undefined;
  rows: number;
  pruned: string[];
}

export function periodStart(at: Date, period: Period): string {
  const iso = at.toISOString();
  return period === 'daily' ? iso.slice(0, 10) : `${iso.slice(0, 13)}h`;
}

export function archiveDir(csvPath: string): string {
  return path.join(path.dirname(csvPath), 'archive');
}

async function compress(src: string, dest: string): Promise<void> {
  const tmp = `${dest}.part`;
  await pipeline(createReadStream(src), createGzip(), createWriteStream(tmp, { mode: 0o600 }));
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, dest);
  rmSync(src);
}


export async function runRotate(o: RotateOptions): Promise<RotateResult> {
  const now = o.now ?? new Date();
  const dir = archiveDir(o.csvPath);
  const stamp = periodStart(now, o.period);
  const archive = path.join(dir, `contacts-${stamp}.csv.gz`);
  const result: RotateResult = { rotated: false, reason: '', archive: undefined, rows: 0, pruned: [] };
  if (!o.dryRun) mkdirSync(dir, { recursive: true });
  // A rotation interrupted after the rename: finish it first.
  for (const left of existsSync(dir) ? readdirSync(dir).filter((f) => /^\.rotating-.+\.csv$/.test(f)) : []) {
    const m = /^\.rotating-(.+)\.csv$/.exec(left)!;
    if (!o.dryRun) await compress(path.join(dir, left), path.join(dir, `contacts-${m[1]}.csv.gz`));
  }
  if (existsSync(archive)) {
    result.reason = `already rotated for ${stamp}`;
    return { ...result, pruned: o.dryRun ? [] : prune(dir, o.keep) };
  }
  if (!existsSync(o.csvPath) || statSync(o.csvPath).size <= CSV_HEADER.length) {
    result.reason = 'nothing to rotate (no rows since the last rotation)';
    return { ...result, pruned: o.dryRun ? [] : prune(dir, o.keep) };
  }
  if (o.dryRun) return { ...result, reason: `would move ${o.csvPath} to ${archive}`, archive };
  const staging = path.join(dir, `.rotating-${stamp}.csv`);
  await withCsvLock(o.dataDir, () => {
    renameSync(o.csvPath, staging);
    writeFileSync(o.csvPath, CSV_HEADER, { mode: 0o600 });
  });
  await compress(staging, archive);
  return { rotated: true, reason: `rotated into ${archive}`, archive, rows: 0, pruned: prune(dir, o.keep) };
}

function prune(dir: string, keep: number): string[] {
  if (!existsSync(dir)) return [];
  const archives = readdirSync(dir).filter((f) => /^contacts-.+\.csv\.gz$/.test(f)).sort();
  const drop = archives.slice(0, Math.max(0, archives.length - keep));
  for (const f of drop) rmSync(path.join(dir, f));
  return drop;
}

// ---------------------------------------------------------------- export

export interface ExportOptions {
  csvPath: string;
  since: Date | undefined;
  format: 'csv' | 'jsonl';
  write: (chunk: string) => void;
}

/** Archived rows (oldest first) then the live file, filtered by received_at_iso; header once. */
export async function runExport(o: ExportOptions): Promise<number> {
  const dir = archiveDir(o.csvPath);
  const sources = [
    ...(existsSync(dir) ? readdirSync(dir).filter((f) => /^contacts-.+\.csv\.gz$/.test(f)).sort().map((f) => path.join(dir, f)) : []),
    ...(existsSync(o.csvPath) ? [o.csvPath] : []),
  ];
  if (o.format === 'csv') o.write(CSV_HEADER);
  let n = 0;
  for (const file of sources) {
    const input = file.endsWith('.gz') ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
    const records = input.pipe(parse({ columns: true, relax_column_count: true }));
    for await (const rec of records as AsyncIterable<Record<string, string>>) {
      if (o.since && (!rec.received_at_iso || Date.parse(rec.received_at_iso) < o.since.getTime())) continue;
      n++;
      o.write(o.format === 'jsonl' ? `${JSON.stringify(rec)}\n` : stringify([CSV_COLUMNS.map((c) => rec[c] ?? '')], { record_delimiter: '\n' }));
    }
  }
  return n;
}

/** "7d", "12h", "30m" or an ISO date. */
export function parseSince(v: string | undefined, now = new Date()): Date | undefined {
  if (!v) return undefined;
  const m = /^(\d+)([dhm])$/.exec(v.trim());
  if (m) return new Date(now.getTime() - Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm']);
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new Error(`"${v}" is not a duration (7d, 12h) or a date`);
  return d;
}
