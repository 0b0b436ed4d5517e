/**
 * Ties a reply to the campaign and recipient it answers, in the order of the spec: X-Campaign-Id /
 * X-Recipient-Id headers; the plus tag of our reply address (To, Cc, Delivered-To, X-Original-To,
 * `Received: … for <…>`); our outbound Message-ID `<c-<campaign>-r-<recipient>@domain>` in
 * In-Reply-To/References. Also learns our own domains from that evidence, so a run without
 * OWN_DOMAINS still never takes our people for contacts.
 */
import { header, type ParsedMail } from './parse.js';
import { EMAIL_IN_TEXT, emailDomain, isOwnAddress, normalizeEmail } from './normalize.js';

export interface Attribution {
  campaignId: string;
  recipientId: string;
  why: { campaign?: string; recipient?: string };
  /** Domains this message shows to be ours (from our reply address or Message-ID). */
  ownDomainsSeen: string[];
  /** Every address the message was delivered to (headers), lowercased. */
  recipientAddresses: string[];
}

const ID_SAFE = /^[A-Za-z0-9][A-Za-z0-9._=-]{0,127}$/;
const OUR_MESSAGE_ID = /^<?c-(.+)-r-([^@\s]+)@([^>\s]+)>?$/i;

function clean(v: string | undefined): string | undefined {
  const t = v?.trim().replace(/^<|>$/g, '').trim();
  return t && ID_SAFE.test(t) ? t : undefined;
}

export interface AttributeContext {
  ownDomains: Set<string>;
  replyLocalpart: string;
}

export function recipientAddressesOf(mail: ParsedMail): string[] {
  const out = new Set<string>();
  const add = (v: string | undefined) => {
    const e = normalizeEmail(v);
    if (e) out.add(e);
  };
  for (const a of [...mail.to, ...mail.cc]) add(a.address);
  for (const h of ['delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to', 'x-rcpt-to', 'original-recipient']) {
    for (const v of mail.headers.get(h) ?? []) for (const m of v.matchAll(EMAIL_IN_TEXT)) add(m[0]);
  }
  for (const v of mail.headers.get('received') ?? []) {
    const m = /\bfor\s+<?([^\s<>;]+@[^\s<>;]+)>?/i.exec(v);
    if (m) add(m[1]);
  }
  return [...out];
}

export function attribute(mail: ParsedMail, ctx: AttributeContext, extraText = ''): Attribution {
  const why: Attribution['why'] = {};
  const own = new Set<string>();
  let campaignId = clean(header(mail, 'x-campaign-id'));
  let recipientId = clean(header(mail, 'x-recipient-id'));
  if (campaignId) why.campaign = 'X-Campaign-Id header';
  if (recipientId) why.recipient = 'X-Recipient-Id header';

  const recipients = recipientAddressesOf(mail);
  const lp = ctx.replyLocalpart.toLowerCase();
  // The plus tag of our reply address.
  if (!recipientId) {
    for (const addr of recipients) {
      const [local, domain] = [addr.slice(0, addr.lastIndexOf('@')), emailDomain(addr)];
      const plus = local.indexOf('+');
      if (plus < 0) continue;
      const base = local.slice(0, plus);
      const ours = ctx.ownDomains.size ? isOwnAddress(addr, ctx.ownDomains) : false;
      if (base !== lp && !ours) continue;
      if (ctx.ownDomains.size && !ours) continue;
      const tag = clean(local.slice(plus + 1).replace(/^unsubscribe-/, ''));
      if (!tag || tag === 'unsubscribe') continue;
      recipientId = tag;
      why.recipient = `plus tag of ${addr}`;
      own.add(domain);
      break;
    }
  }
  // Our outbound Message-ID in In-Reply-To, then References from the newest.
  const refs = [mail.inReplyTo, ...[...mail.references].reverse()].filter((r): r is string => !!r);
  for (const r of refs) {
    const m = OUR_MESSAGE_ID.exec(r.trim());
    if (!m) continue;
    const domain = m[3]!.toLowerCase();
    if (ctx.ownDomains.size && !isOwnAddress(`x@${domain}`, ctx.ownDomains)) continue;
    own.add(domain);
    const c = clean(m[1]);
    const rid = clean(m[2]);
    if (!campaignId && c) {
      campaignId = c;
      why.campaign = `our Message-ID ${r.trim()} in ${r === mail.inReplyTo ? 'In-Reply-To' : 'References'}`;
    }
    if (!recipientId && rid) {
      recipientId = rid;
      why.recipient = `our Message-ID ${r.trim()}`;
    }
    break;
  }
  // Bounces and complaints carry our original message (or its headers) inside.
  if ((!campaignId || !recipientId) && extraText) {
    const hc = /^x-campaign-id:\s*(\S+)/im.exec(extraText);
    const hr = /^x-recipient-id:\s*(\S+)/im.exec(extraText);
    const mid = /^message-id:\s*<(c-[^>\s]+)>/im.exec(extraText);
    const m = mid ? OUR_MESSAGE_ID.exec(mid[1]!) : null;
    if (!campaignId && (clean(hc?.[1]) ?? clean(m?.[1]))) {
      campaignId = clean(hc?.[1]) ?? clean(m?.[1]);
      why.campaign = 'the returned original message';
    }
    if (!recipientId && (clean(hr?.[1]) ?? clean(m?.[2]))) {
      recipientId = clean(hr?.[1]) ?? clean(m?.[2]);
      why.recipient = 'the returned original message';
    }
    if (m) own.add(m[3]!.toLowerCase());
  }
  return { campaignId: campaignId ?? '', recipientId: recipientId ?? '', why, ownDomainsSeen: [...own], recipientAddresses: recipients };
}

const REMOVAL_REQUEST =
  /\b(?:unsubscribe|remove (?:me|us|my (?:e-?mail|address|name))|take (?:me|us) off|stop (?:e-?mailing|emailing|sending|contacting|messaging) (?:me|us)|(?:do not|don't|dont|please don't|never) (?:e-?mail|contact|write to|message) (?:me|us)|opt(?:-| )?(?:me )?out|no (?:more|further) (?:e-?mails|emails|messages|contact)|not interested[,.;]? (?:please )?(?:remove|stop)|abmelden|austragen|aus (?:ihrem|dem) verteiler|keine (?:weiteren )?(?:e-?mails|werbung)|désinscri|désabonn|ne plus (?:me )?(?:contacter|écrire)|darme de baja|dar de baja|no me (?:envíe|envíen|contacte)|cancellami|uitschrijven|afmelden)/i;

/** "Please remove me from your list" — a human asking not to be mailed again. */
export function asksToBeRemoved(newBody: string): string | undefined {
  // Footers and disclaimers ("to stop receiving … reply UNSUBSCRIBE") are not the person asking.
  const cut = newBody.search(/^\s*(?:_{5,}|-{5,}|\*{5,}|confidential|disclaimer|this (?:e-?mail|message) (?:and any|is intended|may contain|has been scanned))/im);
  const text = cut >= 0 ? newBody.slice(0, cut) : newBody;
  const m = REMOVAL_REQUEST.exec(text);
  if (!m) return undefined;
  const sentence = text.slice(Math.max(0, text.lastIndexOf('.', m.index) + 1), text.indexOf('.', m.index) < 0 ? undefined : text.indexOf('.', m.index));
  if (/to stop receiving|if you (?:no longer )?wish|if you would like to|to unsubscribe|click|reply (?:with )?["']?unsubscribe|manage (?:your )?(?:preferences|subscription)|commercial electronic messages/i.test(sentence)) return undefined;
  // "I don't want to unsubscribe" / "no need to unsubscribe" are not requests.
  const before = text.slice(Math.max(0, m.index - 30), m.index).toLowerCase();
  if (/(?:don't|do not|no need to|not)\s+(?:want to|need to)?\s*$/.test(before) && /unsubscribe|remove/i.test(m[0])) return undefined;
  return m[0];
}
