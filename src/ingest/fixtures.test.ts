/**
 * The bundled sample replies (fixtures/replies) through the real pipeline, real SQLite and a real
 * CSV file: every row must be exactly the expected one, and the suppression list must match.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { runIngestCommand } from '../commands/ingest/run.js';
import { StateStore } from '../store/store.js';
import { messageHashId } from './analyze.js';
import { CSV_COLUMNS, type ContactRow } from './sinks/csv.js';
import type { IngestSummary } from './pipeline.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'fixtures', 'replies');

interface Expected {
  files: Record<string, { kind: string; rows: ContactRow[]; suppress?: Array<{ email: string; reason: string }> }>;
}

describe('fixtures/replies through mailops ingest', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mailops-fixtures-'));
  const csv = path.join(dataDir, 'out', 'contacts.csv');
  const expected = JSON.parse(readFileSync(path.join(fixtures, 'expected.json'), 'utf8')) as Expected;
  let summary: IngestSummary;
  const kinds = new Map<string, string>();

  beforeAll(async () => {
    summary = await runIngestCommand(
      {
        paths: [fixtures],
        dataDir,
        csvPath: csv,
        ownDomains: [],
        replyLocalpart: 'campaign',
        defaultRegion: 'US',
        maxMessageBytes: 25 << 20,
        softBounceLimit: 3,
        softBounceWindowDays: 30,
        reprocess: false,
        dryRun: false,
      },
      {
        onMessage: (ref, o) => {
          if (o.status === 'processed') kinds.set(ref.replace(/#(\d+)$/, '#$1'), o.kind);
        },
      },
    );
  });

  it('writes exactly the expected rows, in order, with the 13-column header', () => {
    const text = readFileSync(csv, 'utf8');
    const records = parse(text, { columns: false, skip_empty_lines: true }) as string[][];
    expect(records[0]).toEqual([...CSV_COLUMNS]);
    const got = records.slice(1).map((r) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i]])) as ContactRow);
    const want: ContactRow[] = [];
    for (const name of Object.keys(expected.files).sort()) {
      for (const row of expected.files[name]!.rows) {
        const file = path.join(fixtures, name.replace(/#\d+$/, ''));
        want.push(row.message_id === 'HASH' ? { ...row, message_id: messageHashId(readFileSync(file)) } : row);
      }
    }
    expect(got).toEqual(want);
  });

  it('classifies every message as expected', () => {
    for (const [name, e] of Object.entries(expected.files)) {
      const ref = path.join(fixtures, name);
      expect({ name, kind: kinds.get(ref) }).toEqual({ name, kind: e.kind });
    }
    expect(summary.quarantined).toBe(0);
  });

  it('suppresses hard bounces, complaints, unsubscribes and removal requests, and only records soft bounces', () => {
    const store = StateStore.open(dataDir);
    const got = store.listSuppressions().map((s) => ({ email: s.email, reason: s.reason }));
    store.close();
    const want = Object.values(expected.files)
      .flatMap((e) => e.suppress ?? [])
      .filter((s) => s.reason !== 'soft-bounce-recorded');
    expect(got.sort((a, b) => a.email.localeCompare(b.email))).toEqual(want.sort((a, b) => a.email.localeCompare(b.email)));
    expect(summary.softBouncesRecorded).toBe(Object.values(expected.files).flatMap((e) => e.suppress ?? []).filter((s) => s.reason === 'soft-bounce-recorded').length);
  });

  it('never writes a row for our own domain, a role mailbox, a bounce or a complaint', () => {
    const records = parse(readFileSync(csv, 'utf8'), { columns: true }) as ContactRow[];
    for (const r of records) {
      expect(r.contact_email).not.toMatch(/@sourceww\.com$/);
      expect(r.contact_email).not.toMatch(/^(info|sales|support|noreply|no-reply|mailer-daemon|postmaster)@/);
    }
    const bounceIds = new Set(
      Object.entries(expected.files)
        .filter(([, e]) => e.kind === 'bounce' || e.kind === 'complaint')
        .map(([n]) => n),
    );
    expect(bounceIds.size).toBeGreaterThan(0);
    expect(summary.byKind.bounce + summary.byKind.complaint).toBe(bounceIds.size);
  });
});
