/**
 * Listmonk ≥ 6.2: one campaign per run. mailops renders every message itself (the same template as
 * SMTP) and stores the result on the subscriber as attributes; the campaign's subject, body and
 * headers only reference those attributes, which Listmonk 6.2+ renders per subscriber (headers
 * included). Each run uses a list of its own, so a campaign can only reach this run's recipients.
 *
 * Ledger: every recipient is 'sending' before the campaign starts; 'sent' when Listmonk reports the
 * campaign finished; 'in-doubt' if it stops any other way (Listmonk does not say who got it).
 */
import type { StateStore } from '../store/store.js';
import { newSummary, type SendPlan, type SendSummary } from './pipeline.js';
import { RateTracker, type RateLimits } from './ratelimit.js';
import type { ListmonkTransport } from './transports/listmonk.js';

export interface CampaignRunOptions {
  limits: RateLimits;
  pollMs: number;
  timeoutMs: number;
}

export interface CampaignRunDeps {
  store: StateStore;
  transport: ListmonkTransport;
  now: () => Date;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  onProgress?: (p: { sent: number; skipped: number; failed: number; deferred: number; inDoubt: number; remaining: number; waitingFor: undefined; waitMs: number }) => void;
}

const ATTR = (name: string) => `{{ .Subscriber.Attribs.${name} }}`;

export async function executeListmonkCampaign(plan: SendPlan, o: CampaignRunOptions, deps: CampaignRunDeps): Promise<SendSummary> {
  const started = Date.now();
  const { store, transport: lm, now } = deps;
  const summary = newSummary(plan, 'listmonk', 'done');
  // Only what the hour and day budgets still allow goes into this campaign; the rest waits for a later run.
  const tracker = new RateTracker(store, o.limits, now());
  const used = tracker.next(now()).used;
  const budget = Math.max(0, Math.min(o.limits.perHour - used.hour, o.limits.perDay - used.day));
  const batch = plan.toSend.slice(0, budget);
  summary.notStarted = plan.toSend.length - batch.length;
  if (summary.notStarted) {
    summary.stoppedBecause = 'rate-limit';
    summary.stopDetail = `the hourly/daily budget allows ${batch.length} now; ${summary.notStarted} go out on a later run`;
  }
  if (!batch.length) return { ...summary, durationMs: Date.now() - started };

  const runList = await lm.createRunList(`${plan.campaignId}-${now().toISOString().replace(/[:.]/g, '-')}`);
  for (const m of batch) {
    await lm.upsertRendered(m, runList, {
      mailops_subject: m.subject,
      mailops_html: m.html ?? `<pre>${m.text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!)}</pre>`,
      mailops_text: m.text,
      mailops_message_id: m.messageId,
      mailops_reply_to: m.replyTo,
      mailops_list_unsubscribe: m.headers['List-Unsubscribe'] ?? '',
    });
  }
  const sample = batch[0]!;
  const headers: Array<Record<string, string>> = [
    { 'Message-Id': ATTR('mailops_message_id') },
    { 'Reply-To': ATTR('mailops_reply_to') },
    { 'X-Campaign-Id': plan.campaignId },
    { 'X-Recipient-Id': ATTR('recipient_id') },
    { 'List-Unsubscribe': ATTR('mailops_list_unsubscribe') },
  ];
  if (sample.headers['List-Unsubscribe-Post']) headers.push({ 'List-Unsubscribe-Post': sample.headers['List-Unsubscribe-Post'] });
  const campaignNo = await lm.createCampaign({
    name: `mailops ${plan.campaignId} ${now().toISOString()}`,
    subject: ATTR('mailops_subject'),
    lists: [runList],
    body: `{{ .Subscriber.Attribs.mailops_html | Safe }}`,
    altbody: ATTR('mailops_text'),
    headers,
  });
  const rows = batch.map((m) => {
    const t = now();
    tracker.record(t);
    return store.beginSend({ email: m.recipient.email, campaignId: plan.campaignId, recipientId: m.recipient.recipientId, messageId: m.messageId, transport: `listmonk-campaign` }, t);
  });
  await lm.startCampaign(campaignNo);
  const deadline = Date.now() + o.timeoutMs;
  let status = 'running';
  for (;;) {
    const s = await lm.campaignStatus(campaignNo);
    status = s.status;
    deps.onProgress?.({ sent: s.sent, skipped: summary.skipped, failed: 0, deferred: 0, inDoubt: 0, remaining: Math.max(0, s.toSend - s.sent), waitingFor: undefined, waitMs: 0 });
    if (!['running', 'scheduled'].includes(status) || deps.signal?.aborted || Date.now() > deadline) break;
    await deps.sleep(o.pollMs, deps.signal);
  }
  const finished = status === 'finished';
  for (const row of rows) {
    store.finishSend(row.id, finished ? 'sent' : 'in-doubt', { transportId: `listmonk-campaign-${campaignNo}`, response: `Listmonk campaign ${campaignNo} ${status}` }, now());
  }
  if (finished) summary.sent = rows.length;
  else {
    summary.inDoubt = rows.length;
    summary.stoppedBecause = deps.signal?.aborted ? 'interrupted' : 'fatal';
    summary.stopDetail = `Listmonk campaign ${campaignNo} is ${status}; its recipients are in doubt (mailops send --list-in-doubt)`;
  }
  summary.durationMs = Date.now() - started;
  return summary;
}
