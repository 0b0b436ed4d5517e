/**
 * contacts.csv: the fixed 13-column schema, one header written once, rows appended whole. Each
 * message's rows go out in a single write at a recorded offset, so a run killed mid-write is repaired
 * by truncating back to that offset (see pipeline.ts). No cell can start a spreadsheet formula.
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, statSync, truncateSync, writeSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { MailopsError, ExitCode } from '../../errors.js';

export const CSV_COLUMNS = [
  'message_id',
  'received_at_iso',
  'from_email',
  'from_name',
  'contact_name',
  'contact_title',
  'contact_company',
  'contact_email',
  'contact_phone_e164',
  'is_ooo',
  'campaign_id',
  'recipient_id',
  'raw_excerpt',
] as const;

export type CsvColumn = (typeof CSV_COLUMNS)[number];
export type ContactRow = Record<CsvColumn, string>;

const FREE_TEXT: ReadonlySet<CsvColumn> = new Set(['message_id', 'from_name', 'contact_name', 'contact_title', 'contact_company', 'raw_excerpt']);
const E164 = /^\+[1-9]\d{6,14}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._=-]*$/;
const SAFE_EMAIL = /^[a-z0-9][^\s"',;<>]*@[a-z0-9.-]+$/;

/** A free-text cell that a spreadsheet would read as a formula gets a leading apostrophe. */
export function neutralizeFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** Validates structured cells and neutralizes free text; throws on a structured value that is malformed. */
export function sanitizeRow(row: ContactRow): ContactRow {
  const out = { ...row };
  for (const col of CSV_COLUMNS) {
    const v = (out[col] ?? '').replace(/[\r\n]+/g, ' ');
    out[col] = FREE_TEXT.has(col) ? neutralizeFormula(v) : v;
  }
  const bad = (col: CsvColumn, ok: boolean) => {
    if (!ok) throw new MailopsError('bad-row', `refusing to write ${col}=${JSON.stringify(out[col])}: not a valid value`, { exitCode: ExitCode.failure });
  };
  bad('contact_phone_e164', out.contact_phone_e164 === '' || E164.test(out.contact_phone_e164));
  bad('received_at_iso', out.received_at_iso === '' || ISO.test(out.received_at_iso));
  bad('is_ooo', out.is_ooo === 'true' || out.is_ooo === 'false');
  bad('campaign_id', out.campaign_id === '' || SAFE_ID.test(out.campaign_id));
  bad('recipient_id', out.recipient_id === '' || SAFE_ID.test(out.recipient_id));
  bad('contact_email', out.contact_email === '' || SAFE_EMAIL.test(out.contact_email));
  bad('from_email', out.from_email === '' || SAFE_EMAIL.test(out.from_email));
  return out;
}

export function rowsToCsv(rows: ContactRow[]): string {
  if (!rows.length) return '';
  return stringify(
    rows.map((r) => CSV_COLUMNS.map((c) => r[c])),
    { record_delimiter: '\n', quoted_match: /^\s|\s$/ },
  );
}

export const CSV_HEADER = `${CSV_COLUMNS.join(',')}\n`;

export class CsvSink {
  readonly path: string;
  private fd: number | undefined;
  private size = 0;
  private ino = 0;

  constructor(file: string) {
    this.path = path.resolve(file);
  }

  /** Opens for append, writing the header to a new or empty file and checking it on an existing one. */
  open(): void {
    mkdirSync(path.dirname(this.path), { recursive: true });
    const fd = openSync(this.path, 'a+');
    const size = fstatSync(fd).size;
    if (size === 0) {
      writeSync(fd, CSV_HEADER);
    } else {
      const head = Buffer.alloc(Math.min(size, CSV_HEADER.length + 8));
      readSync(fd, head, 0, head.length, 0);
      const firstLine = head.toString('utf8').split('\n')[0] ?? '';
      if (`${firstLine}\n` !== CSV_HEADER) {
        closeSync(fd);
        throw new MailopsError('csv-schema', `${this.path} does not start with the mailops header (its columns differ)`, {
          exitCode: ExitCode.usage,
          hint: 'Write to a new file with --out, or move the old file away.',
        });
      }
      // A torn last line (no newline at the end) can only come from an interrupted write: drop it.
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) {
        const text = readTail(fd, size);
        ftruncateSync(fd, text);
      }
    }
    this.fd = fd;
    const st = fstatSync(fd);
    this.size = st.size;
    this.ino = st.ino;
  }

  /** Reopens the file when it was rotated (renamed away) since it was opened. */
  ensureCurrent(): void {
    if (this.fd === undefined) return;
    let current: number | undefined;
    try {
      current = statSync(this.path).ino;
    } catch {
      current = undefined;
    }
    if (current !== this.ino) {
      closeSync(this.fd);
      this.fd = undefined;
      this.open();
    }
  }

  get offset(): number {
    return this.size;
  }

  append(rows: ContactRow[]): number {
    if (this.fd === undefined) throw new Error('CsvSink is not open');
    const text = rowsToCsv(rows.map(sanitizeRow));
    if (!text) return 0;
    const buf = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < buf.length) written += writeSync(this.fd, buf, written, buf.length - written);
    this.size += buf.length;
    return rows.length;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Offset just after the last newline of the file. */
function readTail(fd: number, size: number): number {
  const chunk = 64 * 1024;
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk);
    const buf = Buffer.alloc(end - start);
    readSync(fd, buf, 0, buf.length, start);
    const nl = buf.lastIndexOf(0x0a);
    if (nl >= 0) return start + nl + 1;
    end = start;
  }
  return 0;
}

/** Cuts a CSV back to `offset` when it is longer (repairing an interrupted append). */
export function truncateCsv(file: string, offset: number): boolean {
  if (!existsSync(file)) return false;
  if (statSync(file).size <= offset) return false;
  truncateSync(file, offset);
  return true;
}
