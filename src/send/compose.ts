/**
 * Builds each outgoing message with the headers the reply side relies on: Message-ID
 * `<c-<campaign>-r-<recipient>@<sending domain>>`, X-Campaign-Id / X-Recipient-Id, the plus-addressed
 * Reply-To, List-Unsubscribe (mailto, plus https with RFC 8058 one-click when configured). Nothing
 * that would silence auto-replies (no X-Auto-Response-Suppress): out-of-office replies carry referrals.
 */
import { emailDomain, normalizeEmail } from '../ingest/normalize.js';
import type { Recipient } from './list.js';
import type { MessageTemplate } from './template.js';

export interface ComposeContext {
  campaignId: string;
  fromEmail: string;
  fromName: string | undefined;
  replyLocalpart: string;
  replyDomain: string;
  unsubscribeUrl: string | undefined;
  now: () => Date;
}

export interface OutgoingMessage {
  recipient: Recipient;
  messageId: string;
  envelope: { from: string; to: string };
  from: { name: string; address: string };
  to: string;
  replyTo: string;
  subject: string;
  date: Date;
  text: string;
  html: string | undefined;
  headers: Record<string, string>;
}

export const CAMPAIGN_ID = /^[A-Za-z0-9][A-Za-z0-9._=-]{0,63}$/;

export function campaignIdProblem(id: string): string | undefined {
  if (!CAMPAIGN_ID.test(id)) return 'use letters, digits, ".", "_", "=" or "-" (at most 64), starting with a letter or digit';
  if (id.includes('-r-')) return 'must not contain "-r-" (it separates campaign and recipient in the Message-ID)';
  return undefined;
}

export function ourMessageId(campaignId: string, recipientId: string, domain: string): string {
  return `<c-${campaignId}-r-${recipientId}@${domain}>`;
}

export function composeMessage(r: Recipient, template: MessageTemplate, ctx: ComposeContext): OutgoingMessage {
  const domain = emailDomain(ctx.fromEmail);
  const { subject, body } = template.render({ ...r.fields, campaign_id: ctx.campaignId });
  const replyTo = `${ctx.replyLocalpart}+${r.recipientId}@${ctx.replyDomain}`;
  const unsubscribeMailto = `mailto:${ctx.replyLocalpart}+unsubscribe-${r.recipientId}@${ctx.replyDomain}?subject=unsubscribe`;
  const headers: Record<string, string> = {
    'X-Campaign-Id': ctx.campaignId,
    'X-Recipient-Id': r.recipientId,
    'List-Unsubscribe': ctx.unsubscribeUrl
      ? `<${unsubscribeMailto}>, <${withQuery(ctx.unsubscribeUrl, { c: ctx.campaignId, r: r.recipientId })}>`
      : `<${unsubscribeMailto}>`,
  };
  if (ctx.unsubscribeUrl) headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  return {
    recipient: r,
    messageId: ourMessageId(ctx.campaignId, r.recipientId, domain),
    envelope: { from: ctx.fromEmail, to: r.email },
    from: { name: ctx.fromName ?? '', address: ctx.fromEmail },
    to: r.fields.name ? `"${r.fields.name.replace(/["\\]/g, '')}" <${r.email}>` : r.email,
    replyTo,
    subject,
    date: ctx.now(),
    text: body.text,
    html: body.html,
    headers,
  };
}

function withQuery(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

/** Problems that must stop a message from being sent; empty when it is well formed. */
export function validateMessage(m: OutgoingMessage): string[] {
  const problems: string[] = [];
  if (!/^<c-[A-Za-z0-9][A-Za-z0-9._=-]*-r-[A-Za-z0-9][A-Za-z0-9._=]*@[a-z0-9.-]+\.[a-z]{2,}>$/i.test(m.messageId)) problems.push(`malformed Message-ID ${m.messageId}`);
  if (!normalizeEmail(m.envelope.to)) problems.push(`invalid To address ${m.envelope.to}`);
  if (!normalizeEmail(m.from.address)) problems.push(`invalid From address ${m.from.address}`);
  if (!normalizeEmail(m.replyTo)) problems.push(`invalid Reply-To ${m.replyTo}`);
  if (!m.subject.trim()) problems.push('empty Subject');
  if (!m.text.trim() && !m.html?.trim()) problems.push('empty body');
  for (const h of ['X-Campaign-Id', 'X-Recipient-Id', 'List-Unsubscribe']) if (!m.headers[h]) problems.push(`missing ${h}`);
  for (const [k, v] of Object.entries(m.headers)) if (/[\r\n]/.test(v)) problems.push(`header ${k} contains a line break`);
  return problems;
}
