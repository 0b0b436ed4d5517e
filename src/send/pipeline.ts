/**
 * The send pipeline: list → filter (suppressed, already sent, in doubt, invalid) → compose and validate
 * → rate-limit → transport → ledger.
 *
 * At most once: the ledger row becomes 'sending' in the same synchronous step that takes the
 * rate-limit slot, before the SMTP transaction starts. A process killed mid-send leaves 'sending'
 * rows, which the next run turns into 'in-doubt': never resent automatically (`--retry-in-doubt` does
 * it deliberately). At most `concurrency` messages are in flight, so at most that many can be in doubt.
 */
import { emailDomain } from '../ingest/normalize.js';
import type { StateStore } from '../store/store.js';
import { composeMessage, validateMessage, type ComposeContext, type OutgoingMessage } from './compose.js';
import type { ListIssue, ParsedList, Recipient } from './list.js';
import { estimateFinish, RateTracker, type RateLimits, type RateWindow } from './ratelimit.js';
import type { MessageTemplate } from './template.js';
import { SendFailure, type Transport } from './transports/types.js';

export type SkipReason = 'suppressed' | 'already-sent' | 'in-doubt' | 'failed-before' | 'invalid-message' | ListIssue['reason'];

export interface PlannedSkip {
  email: string;
  line: number;
  reason: SkipReason;
  detail: string;
}

export interface SendPlan {
  campaignId: string;
  transport: 'smtp' | 'listmonk';
  toSend: OutgoingMessage[];
  skipped: PlannedSkip[];
  skippedBy: Partial<Record<SkipReason, number>>;
  /** Left for a later run by --limit. */
  deferredByLimit: number;
  estimatedFinish: string;
  sample: OutgoingMessage | undefined;
}

export interface PlanOptions {
  campaignId: string;
  transport: 'smtp' | 'listmonk';
  scope: 'ever' | 'campaign';
  limit: number | undefined;
  retryInDoubt: boolean;
  limits: RateLimits;
  compose: Omit<ComposeContext, 'campaignId'>;
}

export function planSend(list: ParsedList, template: MessageTemplate, store: StateStore, o: PlanOptions): SendPlan {
  const skipped: PlannedSkip[] = list.issues.map((i) => ({ email: i.email, line: i.line, reason: i.reason, detail: i.detail }));
  const ctx: ComposeContext = { ...o.compose, campaignId: o.campaignId };
  const toSend: OutgoingMessage[] = [];
  for (const r of list.recipients) {
    const skip = skipReason(r, store, o);
    if (skip) {
      skipped.push(skip);
      continue;
    }
    const m = composeMessage(r, template, ctx);
    const problems = validateMessage(m);
    if (problems.length) {
      skipped.push({ email: r.email, line: r.line, reason: 'invalid-message', detail: problems.join('; ') });
      continue;
    }
    toSend.push(m);
  }
  const limited = o.limit !== undefined ? toSend.slice(0, o.limit) : toSend;
  const skippedBy: Partial<Record<SkipReason, number>> = {};
  for (const s of skipped) skippedBy[s.reason] = (skippedBy[s.reason] ?? 0) + 1;
  const now = o.compose.now();
  return {
    campaignId: o.campaignId,
    transport: o.transport,
    toSend: limited,
    skipped,
    skippedBy,
    deferredByLimit: toSend.length - limited.length,
    estimatedFinish: estimateFinish(store, o.limits, now, limited.length).toISOString(),
    sample: limited[0] ?? toSend[0],
  };
}

function skipReason(r: Recipient, store: StateStore, o: PlanOptions): PlannedSkip | undefined {
  const sup = store.getSuppression(r.email);
  if (sup) return { email: r.email, line: r.line, reason: 'suppressed', detail: `${sup.reason}${sup.detail ? `: ${sup.detail}` : ''}` };
  const prior = store.blockingSend(r.email, o.campaignId, o.scope);
  if (!prior) return undefined;
  if (prior.status === 'in-doubt' && o.retryInDoubt && prior.campaign_id === o.campaignId) return undefined;
  const where = prior.campaign_id === o.campaignId ? 'in this campaign' : `in campaign ${prior.campaign_id}`;
  switch (prior.status) {
    case 'sent':
    case 'sending':
      return { email: r.email, line: r.line, reason: 'already-sent', detail: `sent ${where} ${prior.sent_at ?? prior.started_at ?? ''}`.trim() };
    case 'in-doubt':
      return { email: r.email, line: r.line, reason: 'in-doubt', detail: `in doubt ${where}; resend deliberately with --retry-in-doubt` };
    default:
      return { email: r.email, line: r.line, reason: 'failed-before', detail: `failed ${where}: ${prior.last_response ?? ''}`.trim() };
  }
}

// ---------------------------------------------------------------- execution

export interface SendProgress {
  sent: number;
  skipped: number;
  failed: number;
  deferred: number;
  inDoubt: number;
  remaining: number;
  waitingFor: RateWindow | undefined;
  waitMs: number;
}

export interface SendSummary {
  campaignId: string;
  transport: string;
  planned: number;
  sent: number;
  failed: number;
  deferred: number;
  inDoubt: number;
  recoveredInDoubt: number;
  suppressedNow: number;
  skipped: number;
  skippedBy: Partial<Record<SkipReason, number>>;
  notStarted: number;
  stoppedBecause: 'done' | 'rate-limit' | 'too-many-failures' | 'interrupted' | 'fatal' | undefined;
  stopDetail: string | undefined;
  failures: Array<{ email: string; kind: string; response: string }>;
  durationMs: number;
}

export interface ExecuteOptions {
  concurrency: number;
  retries: number;
  limits: RateLimits;
  noWait: boolean;
  maxConsecutiveFailures: number;
}

export interface ExecuteDeps {
  store: StateStore;
  transport: Transport;
  now: () => Date;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  signal?: AbortSignal;
  onProgress?: (p: SendProgress) => void;
}

/** A summary before the first send: what the plan skipped, nothing sent yet. */
export function newSummary(plan: SendPlan, transport: SendSummary['transport'], stoppedBecause: SendSummary['stoppedBecause']): SendSummary {
  return {
    campaignId: plan.campaignId,
    transport,
    planned: plan.toSend.length,
    sent: 0,
    failed: 0,
    deferred: 0,
    inDoubt: 0,
    recoveredInDoubt: 0,
    suppressedNow: 0,
    skipped: plan.skipped.length,
    skippedBy: plan.skippedBy,
    notStarted: 0,
    stoppedBecause,
    stopDetail: undefined,
    failures: [],
    durationMs: 0,
  };
}

export async function executeSend(plan: SendPlan, o: ExecuteOptions, deps: ExecuteDeps): Promise<SendSummary> {
  const started = Date.now();
  const { store, transport, now } = deps;
  const random = deps.random ?? Math.random;
  const summary = newSummary(plan, transport.name, undefined);
  const queue = [...plan.toSend];
  const rate = new RateTracker(store, o.limits, now());
  let consecutiveFailures = 0;
  let stop: SendSummary['stoppedBecause'];
  let waiting: { window: RateWindow | undefined; ms: number } = { window: undefined, ms: 0 };
  const progress = () =>
    deps.onProgress?.({
      sent: summary.sent,
      skipped: summary.skipped,
      failed: summary.failed,
      deferred: summary.deferred,
      inDoubt: summary.inDoubt,
      remaining: queue.length,
      waitingFor: waiting.window,
      waitMs: waiting.ms,
    });

  /** Takes a rate-limit slot and marks the send 'sending' in one synchronous step; undefined when stopping. */
  const acquire = async (m: OutgoingMessage) => {
    for (;;) {
      if (stop || deps.signal?.aborted) return undefined;
      const t = now();
      const slot = rate.next(t);
      if (slot.waitMs === 0) {
        waiting = { window: undefined, ms: 0 };
        rate.record(t);
        return store.beginSend({ email: m.recipient.email, campaignId: plan.campaignId, recipientId: m.recipient.recipientId, messageId: m.messageId, transport: transport.name }, t);
      }
      if (o.noWait && slot.full) {
        stop = stop ?? 'rate-limit';
        summary.stopDetail = `the per-${slot.window} limit is reached (${slot.used[slot.window!]} sent); the rest goes out on the next run`;
        return undefined;
      }
      waiting = { window: slot.window, ms: slot.waitMs };
      progress();
      await deps.sleep(Math.min(slot.waitMs, 60_000), deps.signal);
    }
  };

  const worker = async () => {
    for (;;) {
      if (stop || deps.signal?.aborted) return;
      const m = queue.shift();
      if (!m) return;
      for (let attempt = 0; ; attempt++) {
        const row = await acquire(m);
        if (!row) {
          if (attempt === 0) queue.unshift(m);
          return;
        }
        try {
          const res = await transport.send({ ...m, date: now() });
          store.finishSend(row.id, 'sent', { transportId: res.transportId ?? null, response: res.response }, now());
          summary.sent++;
          consecutiveFailures = 0;
          break;
        } catch (err) {
          const f = err instanceof SendFailure ? err : new SendFailure('transient', (err as Error).message);
          if (f.kind === 'transient' && attempt < o.retries) {
            // Not accepted: safe to try again; the row says so while we back off.
            store.finishSend(row.id, 'deferred', { response: f.message }, now());
            const backoff = Math.min(30_000, 1000 * 2 ** attempt) * (0.5 + random() / 2);
            await deps.sleep(backoff, deps.signal);
            if (deps.signal?.aborted) return;
            continue;
          }
          const status = f.kind === 'in-doubt' ? 'in-doubt' : f.kind === 'transient' ? 'deferred' : 'failed';
          store.finishSend(row.id, status, { response: f.message }, now());
          if (status === 'in-doubt') summary.inDoubt++;
          else if (status === 'deferred') summary.deferred++;
          else summary.failed++;
          summary.failures.push({ email: m.recipient.email, kind: f.kind, response: f.message });
          // "550 5.1.1 no such user": the address does not exist; never mail it again.
          if (f.kind === 'permanent' && /^5\.1\.\d+$/.test(f.enhancedStatus ?? '')) {
            if (store.suppress(m.recipient.email, 'hard-bounce', m.messageId, `rejected at send: ${f.message.slice(0, 200)}`, now())) summary.suppressedNow++;
          }
          if (f.kind === 'fatal') {
            stop = 'fatal';
            summary.stopDetail = f.message;
          }
          consecutiveFailures++;
          if (consecutiveFailures >= o.maxConsecutiveFailures && !stop) {
            stop = 'too-many-failures';
            summary.stopDetail = `${consecutiveFailures} failures in a row (last: ${f.message.slice(0, 160)})`;
          }
          break;
        }
      }
      progress();
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, plan.toSend.length || 1)) }, worker));
  } finally {
    await transport.close();
  }
  summary.notStarted = queue.length;
  summary.stoppedBecause = stop ?? (deps.signal?.aborted ? 'interrupted' : 'done');
  summary.durationMs = Date.now() - started;
  return summary;
}

export function sendingDomainOf(fromEmail: string): string {
  return emailDomain(fromEmail);
}
