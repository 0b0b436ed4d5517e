/** The human explanation of one analysed message. */
import type { IO } from '../../io/io.js';
import type { Analysis } from '../../ingest/analyze.js';

function indent(text: string, prefix = '    '): string {
  return text
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

export function inspectJson(a: Analysis) {
  return {
    messageId: a.messageId,
    messageIdSynthesized: a.messageIdSynthesized,
    receivedAt: a.receivedAt,
    from: a.from,
    subject: a.subject,
    kind: a.kind,
    signals: a.classification.signals,
    autoReplyType: a.classification.autoReplyType ?? null,
    bounce: a.classification.bounce ?? null,
    complaint: a.classification.complaint ?? null,
    quote: { reason: a.quote.quoteReason ?? null, header: a.quote.quoteHeader ?? null, newText: a.quote.newText, quotedChars: a.quote.quoted.length },
    signature: { reason: a.signature.signatureReason ?? null, text: a.signature.signature },
    contacts: a.contacts,
    attribution: a.attribution,
    ownDomains: a.ownDomains,
    suppressions: a.suppressions,
    llm: a.llm ?? null,
    rows: a.rows,
  };
}

export function renderInspect(io: IO, a: Analysis): void {
  if (io.json) {
    io.outJson(inspectJson(a));
    return;
  }
  const b = (t: string) => io.paint('bold', t);
  const lines: string[] = [];
  lines.push(`${b('message')}   ${a.messageId}${a.messageIdSynthesized ? ' (no Message-ID header: hash of the bytes)' : ''}`);
  lines.push(`${b('from')}      ${a.from.name ? `${a.from.name} ` : ''}<${a.from.email}>`);
  lines.push(`${b('subject')}   ${a.subject}`);
  lines.push(`${b('received')}  ${a.receivedAt || '(unknown)'}`);
  lines.push(`${b('kind')}      ${a.kind}${a.classification.autoReplyType ? ` (${a.classification.autoReplyType})` : ''}`);
  for (const s of a.classification.signals) lines.push(`    because: ${s}`);
  if (a.classification.bounce) {
    for (const r of a.classification.bounce.recipients) {
      lines.push(`    failed: ${r.email} status ${r.status ?? '-'} reason ${r.reason} → ${r.hard ? 'hard' : 'soft'}${r.diagnostic ? ` (${r.diagnostic.slice(0, 100)})` : ''}`);
    }
  }
  if (a.classification.complaint) lines.push(`    complained: ${a.classification.complaint.recipients.join(', ') || '(recipient unknown)'} type ${a.classification.complaint.feedbackType ?? '-'}`);
  lines.push(`${b('quote')}     ${a.quote.quoteReason ?? 'none found'}${a.quote.quoteHeader ? `: "${a.quote.quoteHeader.slice(0, 100)}"` : ''}`);
  lines.push(`${b('new text')}`);
  lines.push(indent(a.quote.newText || '(empty)'));
  lines.push(`${b('signature')} ${a.signature.signatureReason ?? 'none found'}`);
  if (a.signature.signature) lines.push(indent(a.signature.signature));
  lines.push(`${b('contacts')}  ${a.contacts.length}`);
  for (const c of a.contacts) {
    lines.push(`  - ${c.role}: ${[c.name, c.title, c.company, c.email, c.phone].filter(Boolean).join(' · ')}`);
    for (const [field, why] of Object.entries(c.why)) lines.push(`      ${field}: ${why}`);
  }
  const at = a.attribution;
  lines.push(`${b('campaign')}  ${at.campaignId || '(none)'}${at.why.campaign ? ` — ${at.why.campaign}` : ''}`);
  lines.push(`${b('recipient')} ${at.recipientId || '(none)'}${at.why.recipient ? ` — ${at.why.recipient}` : ''}`);
  lines.push(`${b('own domains')} ${a.ownDomains.join(', ') || '(none known: set OWN_DOMAINS)'}`);
  if (a.suppressions.length) for (const s of a.suppressions) lines.push(`${b('suppress')}  ${s.email}: ${s.reason} (${s.detail})`);
  if (a.llm) {
    lines.push(`${b('llm')}       asked because ${a.llm.reason}; ${a.llm.cached ? 'answer from the cache' : `${a.llm.calls} call(s)`}${a.llm.error ? ` — ${a.llm.error}` : ''}`);
    for (const k of a.llm.kept) lines.push(`    kept ${k.field} "${k.value}" for ${k.contact}`);
    for (const d of a.llm.dropped) lines.push(`    dropped ${d.field} "${d.value}": ${d.why}`);
  }
  io.out(lines.join('\n'));
}
