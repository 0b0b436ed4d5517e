/**
 * The ingest pipeline, top to bottom: source → (quarantine bad input) → analyze (parse, classify,
 * split, extract, normalize, attribute) → ledger + suppressions → contacts.csv.
 *
 * Exactly-once rows: before a message's rows are appended, the ledger records the message as
 * `writing` with the CSV offset; after the append it becomes `done`. A run that starts and finds
 * `writing` entries (the previous run was killed) truncates the CSV back to their offset and forgets
 * them, so they are processed again from scratch.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CountryCode } from 'libphonenumber-js';
import { analyzeMessage, messageHashId, type Analysis } from './analyze.js';
import type { MessageKind } from './classify.js';
import { CsvSink, truncateCsv } from './sinks/csv.js';
import type { MessageSource, RawMessage } from './sources/types.js';
import type { StateStore } from '../store/store.js';
import type { LlmRefiner } from '../llm/refine.js';
import { withCsvLock } from '../store/csv-lock.js';

export interface IngestOptions {
  csvPath: string;
  dataDir: string;
  ownDomains: string[];
  replyLocalpart: string;
  defaultRegion: CountryCode;
  reprocess: boolean;
  dryRun: boolean;
  softBounceLimit: number;
  softBounceWindowDays: number;
  /** Messages per ledger commit (default 200). A long-running watcher uses 1, so each message lands at once. */
  batchSize?: number;
  /** Queue every written row for the webhook, in the transaction that marks it done. */
  queueWebhook?: boolean;
}

export interface IngestProgress {
  messages: number;
  rowsWritten: number;
  quarantined: number;
  current: string;
}

export interface IngestDeps {
  store: StateStore;
  source: MessageSource;
  now?: () => Date;
  onProgress?: (p: IngestProgress) => void;
  onMessage?: (ref: string, outcome: MessageOutcome) => void;
  /** When aborted, the run stops after the current message. */
  signal?: AbortSignal;
  /** The optional LLM pass (off unless configured). */
  refiner?: LlmRefiner;
  /** Seconds spent on each message (parse to rows), for the processing-time histogram. */
  onTiming?: (seconds: number) => void;
}

export type MessageOutcome =
  | { status: 'processed'; kind: MessageKind; rows: number; key: string }
  | { status: 'duplicate'; key: string }
  | { status: 'quarantined'; reason: string; detail: string; file: string | undefined };

export interface QuarantineEntry {
  ref: string;
  reason: string;
  detail: string;
  file: string | undefined;
}

export interface IngestSummary {
  csv: string;
  dryRun: boolean;
  messages: number;
  byKind: Record<MessageKind, number>;
  duplicates: number;
  rowsWritten: number;
  suppressed: number;
  suppressedBy: Record<string, number>;
  softBouncesRecorded: number;
  quarantined: number;
  quarantine: QuarantineEntry[];
  recovered: number;
  interrupted: boolean;
  /** Model calls made by the LLM pass in this run (0 when it is off). */
  llmCalls: number;
  durationMs: number;
}

const KINDS: MessageKind[] = ['human', 'auto-reply', 'bounce', 'complaint', 'unsubscribe', 'delivery-report'];

function looksLikeMessage(bytes: Buffer): { ok: true } | { ok: false; reason: string; detail: string } {
  if (bytes.length === 0) return { ok: false, reason: 'empty', detail: 'the file is empty' };
  const head = bytes.subarray(0, Math.min(bytes.length, 16 * 1024));
  const headerEnd = head.indexOf('\n\n') >= 0 ? head.indexOf('\n\n') : head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') : head.length;
  const headerBytes = head.subarray(0, headerEnd);
  if (headerBytes.includes(0)) return { ok: false, reason: 'binary', detail: 'NUL bytes in the header: not a text message' };
  const firstLine = headerBytes.toString('latin1').split(/\r?\n/)[0] ?? '';
  if (!/^[!-9;-~]+:/.test(firstLine)) return { ok: false, reason: 'not-a-message', detail: `does not start with a header line (starts "${firstLine.slice(0, 40)}")` };
  const headers = headerBytes.toString('latin1');
  if (!/^(from|date|message-id|subject|to|received|return-path|delivered-to|mime-version|content-type)\s*:/im.test(headers)) {
    return { ok: false, reason: 'not-a-message', detail: 'none of From, Date, Subject, To or Received is present' };
  }
  return { ok: true };
}

function quarantineFileName(ref: string, stamp: string): string {
  const base = path.basename(ref.replace(/#(\d+)$/, '-$1')).replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'stdin';
  return `${stamp}-${base}${/\.eml$/i.test(base) ? '' : '.eml'}`;
}

/**
 * SES (and some other relays) replace our Message-ID with their own; the send ledger keeps the id
 * the server returned, so a reply whose In-Reply-To/References names it is still attributed.
 */
function attributeFromSendLedger(a: Analysis, store: StateStore): void {
  if (a.attribution.campaignId && a.attribution.recipientId) return;
  for (const ref of a.references) {
    const local = /^<?([^@<>\s]+)@/.exec(ref)?.[1];
    if (!local) continue;
    const send = store.sendByTransportId(local);
    if (!send) continue;
    a.attribution.campaignId ||= send.campaign_id;
    a.attribution.recipientId ||= send.recipient_id;
    a.attribution.why.campaign ??= `send ledger: the server's message id ${ref}`;
    a.attribution.why.recipient ??= `send ledger: the server's message id ${ref}`;
    for (const row of a.rows) {
      row.campaign_id = a.attribution.campaignId;
      row.recipient_id = a.attribution.recipientId;
    }
    return;
  }
}

export async function runIngest(opts: IngestOptions, deps: IngestDeps): Promise<IngestSummary> {
  const started = Date.now();
  const now = deps.now ?? (() => new Date());
  const store = deps.store;
  const summary: IngestSummary = {
    csv: path.resolve(opts.csvPath),
    dryRun: opts.dryRun,
    messages: 0,
    byKind: Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<MessageKind, number>,
    duplicates: 0,
    rowsWritten: 0,
    suppressed: 0,
    suppressedBy: {},
    softBouncesRecorded: 0,
    quarantined: 0,
    quarantine: [],
    recovered: 0,
    interrupted: false,
    llmCalls: 0,
    durationMs: 0,
  };

  // Repair after a crash: cut half-written rows and forget those messages so they are redone.
  if (!opts.dryRun) {
    const pending = store.pendingWrites();
    for (const p of pending) {
      if (p.csv_path !== null && p.csv_offset !== null) truncateCsv(p.csv_path, p.csv_offset);
      store.forgetMessage(p.message_key);
      summary.recovered++;
    }
  }

  const sink = new CsvSink(opts.csvPath);
  if (!opts.dryRun) sink.open();
  const quarantineDir = path.join(opts.dataDir, 'quarantine');
  const ctx = { ownDomains: opts.ownDomains, replyLocalpart: opts.replyLocalpart, defaultRegion: opts.defaultRegion };

  const quarantine = (msg: RawMessage, reason: string, detail: string, key?: string) => {
    let file: string | undefined;
    if (!opts.dryRun) {
      mkdirSync(quarantineDir, { recursive: true });
      const stamp = now().toISOString().replace(/[:.]/g, '-');
      file = path.join(quarantineDir, quarantineFileName(msg.ref, stamp));
      try {
        if (msg.bytes) writeFileSync(file, msg.bytes);
        else if (msg.quarantineBytes) writeFileSync(file, msg.quarantineBytes);
        else if (msg.quarantineFrom) copyFileSync(msg.quarantineFrom, file);
        else file = undefined;
      } catch {
        file = undefined;
      }
      writeFileSync(`${file ?? path.join(quarantineDir, quarantineFileName(msg.ref, stamp))}.reason.json`, `${JSON.stringify({ source: msg.ref, reason, detail, at: now().toISOString() }, null, 2)}\n`);
      if (key) {
        store.recordMessage({
          message_key: key, message_id: null, kind: 'quarantined', status: 'quarantined', source: msg.ref, received_at: null, from_email: null,
          campaign_id: null, recipient_id: null, rows_written: 0, csv_path: null, csv_offset: null, detail: `${reason}: ${detail}`,
        });
      }
    }
    summary.quarantined++;
    summary.quarantine.push({ ref: msg.ref, reason, detail, file });
    if (!opts.dryRun) msg.ack?.();
    deps.onMessage?.(msg.ref, { status: 'quarantined', reason, detail, file });
  };

  const applySuppressions = (a: Analysis) => {
    for (const s of a.suppressions) {
      if (s.reason === 'soft-bounce-candidate') {
        const at = a.receivedAt ? new Date(a.receivedAt) : now();
        const count = store.recordBounce(s.email, false, s.status, s.bounceReason ?? 'undefined', a.key, at, opts.softBounceWindowDays);
        summary.softBouncesRecorded++;
        if (count >= opts.softBounceLimit && store.suppress(s.email, 'soft-bounce', a.messageId, `${count} soft bounces within ${opts.softBounceWindowDays} days (last: ${s.detail})`, now())) {
          summary.suppressed++;
          summary.suppressedBy['soft-bounce'] = (summary.suppressedBy['soft-bounce'] ?? 0) + 1;
        }
        continue;
      }
      if (s.reason === 'hard-bounce') {
        const at = a.receivedAt ? new Date(a.receivedAt) : now();
        store.recordBounce(s.email, true, s.status, s.bounceReason ?? 'undefined', a.key, at, opts.softBounceWindowDays);
      }
      if (store.suppress(s.email, s.reason, a.messageId, s.detail, now())) {
        summary.suppressed++;
        summary.suppressedBy[s.reason] = (summary.suppressedBy[s.reason] ?? 0) + 1;
      }
    }
  };

  // Messages are committed in small batches: one transaction records every decision of the batch
  // (status "writing" with the CSV offset its rows will start at), one write appends all their rows,
  // one transaction marks them done. A crash between the two is repaired at the next start.
  const BATCH_SIZE = Math.max(1, opts.batchSize ?? 200);
  const BATCH_MS = 1000;
  let batch: Array<{ analysis: Analysis; ref: string; ack: (() => void) | undefined }> = [];
  const batchKeys = new Set<string>();
  let batchStarted = Date.now();
  const flush = async () => {
    if (!batch.length) return;
    const items = batch;
    batch = [];
    batchKeys.clear();
    batchStarted = Date.now();
    if (!opts.dryRun) await withCsvLock(opts.dataDir, () => {
      sink.ensureCurrent();
      const withRows = items.filter((i) => i.analysis.rows.length > 0);
      store.transaction(() => {
        store.noteContactEmails(items.flatMap((i) => i.analysis.rows.map((r) => r.contact_email).filter(Boolean)));
        for (const { analysis, ref } of items) {
          store.recordMessage({
            message_key: analysis.key,
            message_id: analysis.messageId,
            kind: analysis.kind,
            status: analysis.rows.length ? 'writing' : 'done',
            source: ref,
            received_at: analysis.receivedAt || null,
            from_email: analysis.from.email || null,
            campaign_id: analysis.attribution.campaignId || null,
            recipient_id: analysis.attribution.recipientId || null,
            rows_written: analysis.rows.length,
            csv_path: sink.path,
            csv_offset: sink.offset,
            detail: analysis.classification.signals.slice(0, 3).join('; '),
          });
          applySuppressions(analysis);
        }
      });
      if (withRows.length) {
        sink.append(withRows.flatMap((i) => i.analysis.rows));
        store.transaction(() => {
          for (const { analysis } of withRows) store.finishMessage(analysis.key);
          if (opts.queueWebhook) store.enqueueWebhookRows(withRows.flatMap((i) => i.analysis.rows));
        });
      }
    });
    for (const { analysis, ref, ack } of items) {
      if (!opts.dryRun) ack?.();
      deps.onMessage?.(ref, { status: 'processed', kind: analysis.kind, rows: analysis.rows.length, key: analysis.key });
    }
  };

  let lastProgress = 0;
  try {
    for await (const msg of deps.source) {
      if (deps.signal?.aborted) {
        summary.interrupted = true;
        break;
      }
      if (batch.length && Date.now() - batchStarted > BATCH_MS) await flush();
      if (msg.problem || !msg.bytes) {
        quarantine(msg, msg.problem?.reason ?? 'unreadable', msg.problem?.detail ?? 'no content');
        continue;
      }
      const check = looksLikeMessage(msg.bytes);
      if (!check.ok) {
        const key = messageHashId(msg.bytes);
        if (!opts.reprocess && store.getMessage(key)?.status === 'quarantined') {
          summary.duplicates++;
          if (!opts.dryRun) msg.ack?.();
          continue;
        }
        quarantine(msg, check.reason, check.detail, key);
        continue;
      }
      let analysis: Analysis;
      const t0 = process.hrtime.bigint();
      try {
        analysis = await analyzeMessage(msg.bytes, msg.receivedAt, ctx);
        deps.onTiming?.(Number(process.hrtime.bigint() - t0) / 1e9);
      } catch (err) {
        quarantine(msg, 'parse-error', (err as Error).message, messageHashId(msg.bytes));
        continue;
      }
      attributeFromSendLedger(analysis, store);
      if (deps.refiner && !(store.getMessage(analysis.key)?.status === 'done' && !opts.reprocess)) {
        const r = await deps.refiner.refine(analysis);
        if (r) summary.llmCalls += r.calls;
      }
      const existing = store.getMessage(analysis.key);
      if ((existing && existing.status === 'done' && !opts.reprocess) || batchKeys.has(analysis.key)) {
        summary.duplicates++;
        if (!opts.dryRun) msg.ack?.();
        deps.onMessage?.(msg.ref, { status: 'duplicate', key: analysis.key });
        continue;
      }
      summary.messages++;
      summary.byKind[analysis.kind]++;
      summary.rowsWritten += analysis.rows.length;
      batch.push({ analysis, ref: msg.ref, ack: msg.ack });
      batchKeys.add(analysis.key);
      if (batch.length >= BATCH_SIZE || Date.now() - batchStarted > BATCH_MS) await flush();
      const t = Date.now();
      if (deps.onProgress && t - lastProgress > 100) {
        lastProgress = t;
        deps.onProgress({ messages: summary.messages + summary.duplicates, rowsWritten: summary.rowsWritten, quarantined: summary.quarantined, current: msg.ref });
      }
    }
    await flush();
  } finally {
    sink.close();
  }
  summary.durationMs = Date.now() - started;
  return summary;
}
