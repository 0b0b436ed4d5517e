/** Human and JSON views of an ingest summary. */
import type { IO } from '../../io/io.js';
import type { IngestSummary } from '../../ingest/pipeline.js';

export function summaryLine(s: IngestSummary): string {
  const kinds = Object.entries(s.byKind)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const parts = [
    `${s.messages} message${s.messages === 1 ? '' : 's'}${kinds ? ` (${kinds})` : ''}`,
    `${s.rowsWritten} row${s.rowsWritten === 1 ? '' : 's'} ${s.dryRun ? 'would be written' : 'written'}`,
    `${s.suppressed} suppressed`,
  ];
  if (s.softBouncesRecorded) parts.push(`${s.softBouncesRecorded} soft bounce${s.softBouncesRecorded === 1 ? '' : 's'} recorded`);
  if (s.duplicates) parts.push(`${s.duplicates} already done`);
  parts.push(`${s.quarantined} quarantined`);
  return parts.join(', ');
}

export function renderIngest(io: IO, s: IngestSummary): void {
  if (io.json) {
    io.outJson(s);
    return;
  }
  io.out(`${s.dryRun ? 'dry run: ' : ''}${summaryLine(s)} → ${s.csv}`);
  if (s.recovered) io.info(`recovered ${s.recovered} message(s) left half-written by an interrupted run; they were processed again`);
  for (const q of s.quarantine) io.warn(`quarantined ${q.ref}: ${q.reason} — ${q.detail}${q.file ? ` (kept as ${q.file})` : ''}`);
  if (s.interrupted) io.warn('interrupted: stopped after the current message; run the same command again to continue');
}
