/** Views of a send plan (dry run) and of a send summary. */
import type { IO } from '../../io/io.js';
import type { OutgoingMessage } from '../../send/compose.js';
import type { SendPlan, SendSummary } from '../../send/pipeline.js';
import type { SendRecord } from '../../store/store.js';

export function messageAsText(m: OutgoingMessage): string {
  const head = [
    `From: ${m.from.name ? `"${m.from.name}" ` : ''}<${m.from.address}>`,
    `To: ${m.to}`,
    `Subject: ${m.subject}`,
    `Date: ${m.date.toUTCString()}`,
    `Message-ID: ${m.messageId}`,
    `Reply-To: ${m.replyTo}`,
    'MIME-Version: 1.0',
    ...Object.entries(m.headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${head.join('\n')}\n\n${m.text}${m.html ? `\n\n[HTML part, ${m.html.length} characters]` : ''}`;
}

export function planJson(plan: SendPlan) {
  return {
    campaignId: plan.campaignId,
    transport: plan.transport,
    toSend: plan.toSend.length,
    skipped: plan.skipped.length,
    skippedBy: plan.skippedBy,
    skippedDetail: plan.skipped,
    deferredByLimit: plan.deferredByLimit,
    estimatedFinish: plan.estimatedFinish,
    sample: plan.sample ? { headers: messageAsText(plan.sample).split('\n\n')[0], text: plan.sample.text, html: plan.sample.html ?? null } : null,
  };
}

export function renderPlan(io: IO, plan: SendPlan, dryRun: boolean): void {
  if (io.json) {
    io.outJson({ dryRun, plan: planJson(plan) });
    return;
  }
  const lines = [
    `${dryRun ? 'dry run — nothing sent, nothing recorded' : 'plan'}: campaign ${plan.campaignId} via ${plan.transport}`,
    `  to send:  ${plan.toSend.length}${plan.deferredByLimit ? ` (${plan.deferredByLimit} more left for later runs by --limit)` : ''}`,
    `  skipped:  ${plan.skipped.length}${Object.keys(plan.skippedBy).length ? ` (${Object.entries(plan.skippedBy).map(([k, v]) => `${v} ${k}`).join(', ')})` : ''}`,
    `  finishes: ${plan.toSend.length ? `${plan.estimatedFinish} at the earliest (rate limits)` : '—'}`,
  ];
  for (const s of plan.skipped.slice(0, 20)) lines.push(`    line ${s.line} ${s.email}: ${s.reason} — ${s.detail}`);
  if (plan.skipped.length > 20) lines.push(`    … ${plan.skipped.length - 20} more (see --json)`);
  if (plan.sample) lines.push('', 'sample message:', ...messageAsText(plan.sample).split('\n').map((l) => `  ${l}`));
  io.out(lines.join('\n'));
}

export function renderSummary(io: IO, s: SendSummary, plan: SendPlan): void {
  if (io.json) {
    io.outJson({ ...s, plan: planJson(plan) });
    return;
  }
  io.out(
    `campaign ${s.campaignId}: ${s.sent} sent, ${s.failed} failed, ${s.deferred} deferred, ${s.inDoubt} in doubt, ${s.skipped} skipped, ${s.notStarted} not started` +
      (s.suppressedNow ? `, ${s.suppressedNow} suppressed` : ''),
  );
  if (s.recoveredInDoubt) io.warn(`${s.recoveredInDoubt} send(s) were in flight when an earlier run stopped; they are in doubt and were not resent (mailops send --list-in-doubt)`);
  for (const f of s.failures.slice(0, 20)) io.warn(`${f.email}: ${f.kind} — ${f.response.slice(0, 200)}`);
  if (s.stoppedBecause && s.stoppedBecause !== 'done') io.warn(`stopped early (${s.stoppedBecause}): ${s.stopDetail ?? ''} — run the same command again to continue`);
}

export function renderInDoubt(io: IO, rows: SendRecord[]): void {
  if (io.json) {
    io.outJson({ count: rows.length, inDoubt: rows });
    return;
  }
  if (!rows.length) {
    io.info('no sends are in doubt');
    return;
  }
  io.out('EMAIL  CAMPAIGN  RECIPIENT  STARTED  LAST RESPONSE');
  for (const r of rows) io.out(`${r.email}  ${r.campaign_id}  ${r.recipient_id}  ${r.started_at ?? ''}  ${r.last_response ?? ''}`);
}
