/**
 * The whole per-message decision, with no side effects: parse → classify → split → extract →
 * normalize → attribute → rows and suppressions. `mailops ingest` applies the result;
 * `mailops inspect` prints it.
 */
import { createHash } from 'node:crypto';
import type { CountryCode } from 'libphonenumber-js';
import { attribute, asksToBeRemoved, recipientAddressesOf, type Attribution } from './attribute.js';
import { classify, type Classification } from './classify.js';
import { extractContacts, type Contact } from './extract.js';
import { EMAIL_IN_TEXT, emailDomain, isOwnAddress, isRoleAddress, makeExcerpt, nameTokens, normalizeEmail, normalizePersonName } from './normalize.js';
import { parseMail, type ParsedMail } from './parse.js';
import type { ContactRow } from './sinks/csv.js';
import { splitQuote, splitSignature, type QuoteSplit, type SignatureSplit } from './split.js';
import type { SuppressionReason } from '../store/store.js';
import type { LlmReport } from '../llm/refine.js';

export interface AnalyzeContext {
  ownDomains: string[];
  replyLocalpart: string;
  defaultRegion: CountryCode;
}

export interface PlannedSuppression {
  email: string;
  reason: SuppressionReason | 'soft-bounce-candidate';
  detail: string;
  hard?: boolean;
  status?: string | undefined;
  bounceReason?: string;
}

export interface Analysis {
  /** Idempotency key: the Message-ID, or a hash of the bytes when there is none. */
  key: string;
  messageId: string;
  messageIdSynthesized: boolean;
  receivedAt: string;
  kind: Classification['kind'];
  classification: Classification;
  quote: QuoteSplit;
  signature: SignatureSplit;
  attribution: Attribution;
  ownDomains: string[];
  contacts: Contact[];
  rows: ContactRow[];
  suppressions: PlannedSuppression[];
  excerpt: string;
  from: { email: string; name: string };
  subject: string;
  /** In-Reply-To and References, newest first. */
  references: string[];
  /** What an LLM pass proposed and what was kept, when one ran. */
  llm?: LlmReport;
}

export function messageHashId(raw: Buffer): string {
  return `<sha256-${createHash('sha256').update(raw).digest('hex').slice(0, 32)}@mailops.invalid>`;
}

function reportText(mail: ParsedMail): string {
  const parts = mail.parts
    .filter((p) => /^(message\/rfc822|text\/rfc822-headers|message\/delivery-status|message\/feedback-report|message\/global-headers)/.test(p.contentType))
    .map((p) => p.content.toString('utf8'));
  return [mail.text, ...parts].join('\n');
}

export async function analyzeMessage(raw: Buffer, receivedFallback: Date | undefined, ctx: AnalyzeContext): Promise<Analysis> {
  const mail = await parseMail(raw);
  return analyzeParsed(mail, raw, receivedFallback, ctx);
}

export function analyzeParsed(mail: ParsedMail, raw: Buffer, receivedFallback: Date | undefined, ctx: AnalyzeContext): Analysis {
  const messageIdSynthesized = !mail.messageId;
  const messageId = mail.messageId ?? messageHashId(raw);
  const received = mail.date ?? receivedFallback;
  const receivedAt = received ? received.toISOString() : '';
  const fromEmail = normalizeEmail(mail.from?.address) ?? '';
  const fromName = (mail.from?.name ?? '').trim();

  const configured = new Set(ctx.ownDomains);
  const quote = splitQuote(mail.text);
  const attribution = attribute(mail, { ownDomains: configured, replyLocalpart: ctx.replyLocalpart }, '');
  const own = new Set([...configured, ...attribution.ownDomainsSeen]);
  const classifyCtx = { ownDomains: own, replyLocalpart: ctx.replyLocalpart };
  const classification = classify(mail, quote.newText, classifyCtx, recipientAddressesOf(mail));
  // In a reply, the author of the quoted original is us: their domain is ours unless it is the sender's.
  if ((classification.kind === 'human' || classification.kind === 'auto-reply') && quote.quoteHeader && (quote.quoteReason === 'wrote-header' || quote.quoteReason === 'outlook-header-block')) {
    const m = quote.quoteHeader.match(EMAIL_IN_TEXT);
    const author = m ? normalizeEmail(m[0]) : undefined;
    if (author && fromEmail && emailDomain(author) !== emailDomain(fromEmail) && !isRoleAddress(author)) own.add(emailDomain(author));
  }
  let finalAttribution = attribution;
  if ((classification.kind === 'bounce' || classification.kind === 'complaint') && (!attribution.campaignId || !attribution.recipientId)) {
    finalAttribution = attribute(mail, { ownDomains: configured, replyLocalpart: ctx.replyLocalpart }, reportText(mail));
  }

  const displayName = normalizePersonName(fromName);
  const signature = splitSignature(quote.newText, displayName ? nameTokens(displayName) : fromEmail ? nameTokens(fromEmail.split('@')[0]!.replace(/[._-]/g, ' ')) : []);
  const excerpt = makeExcerpt(quote.newText);
  const base: Omit<Analysis, 'contacts' | 'rows' | 'suppressions'> = {
    key: messageId,
    messageId,
    messageIdSynthesized,
    receivedAt,
    kind: classification.kind,
    classification,
    quote,
    signature,
    attribution: finalAttribution,
    ownDomains: [...own],
    excerpt,
    from: { email: fromEmail, name: fromName },
    subject: mail.subject,
    references: [mail.inReplyTo, ...[...mail.references].reverse()].filter((r): r is string => !!r),
  };
  const suppressions: PlannedSuppression[] = [];
  let contacts: Contact[] = [];

  switch (classification.kind) {
    case 'complaint':
      for (const r of classification.complaint?.recipients ?? []) {
        if (!isOwnAddress(r, own)) suppressions.push({ email: r, reason: 'complaint', detail: `feedback-type ${classification.complaint?.feedbackType ?? 'unknown'}` });
      }
      break;
    case 'bounce':
      for (const r of classification.bounce?.recipients ?? []) {
        suppressions.push({
          email: r.email,
          reason: r.hard ? 'hard-bounce' : 'soft-bounce-candidate',
          detail: `${r.status ?? 'no status'} ${r.reason}`,
          hard: r.hard,
          status: r.status,
          bounceReason: r.reason,
        });
      }
      break;
    case 'unsubscribe':
      if (fromEmail) suppressions.push({ email: fromEmail, reason: 'unsubscribe', detail: `List-Unsubscribe mail${finalAttribution.recipientId ? ` for recipient ${finalAttribution.recipientId}` : ''}` });
      break;
    case 'human':
    case 'auto-reply': {
      contacts = extractContacts({
        from: mail.from,
        to: mail.to,
        cc: mail.cc,
        body: signature.body,
        signature: signature.signature,
        ownDomains: own,
        defaultRegion: ctx.defaultRegion,
      }).filter((c) => !c.email || (!isOwnAddress(c.email, own) && !isRoleAddress(c.email)));
      if (classification.kind === 'human') {
        const asked = asksToBeRemoved(signature.body || quote.newText);
        if (asked && fromEmail) suppressions.push({ email: fromEmail, reason: 'request', detail: `asked to be removed: "${asked}"` });
      }
      break;
    }
    default:
      break;
  }

  const analysis = { ...base, contacts, rows: [] as ContactRow[], suppressions };
  analysis.rows = rowsFromContacts(analysis);
  return analysis;
}

/** The CSV rows of an analysed message (recomputed when a later pass changes the contacts). */
export function rowsFromContacts(a: Omit<Analysis, 'rows'>): ContactRow[] {
  return a.contacts.map((c) => ({
    message_id: a.messageId,
    received_at_iso: a.receivedAt,
    from_email: a.from.email,
    from_name: a.from.name,
    contact_name: c.name ?? '',
    contact_title: c.title ?? '',
    contact_company: c.company ?? '',
    contact_email: c.email ?? '',
    contact_phone_e164: c.phone ?? '',
    is_ooo: a.kind === 'auto-reply' ? 'true' : 'false',
    campaign_id: a.attribution.campaignId,
    recipient_id: a.attribution.recipientId,
    raw_excerpt: a.excerpt,
  }));
}
