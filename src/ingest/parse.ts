/**
 * Parses raw message bytes with mailparser into the shape the later stages read. Report parts
 * (delivery-status, feedback-report, returned headers) are kept as separate parts so the classifier
 * can read them structurally.
 */
import { simpleParser, type AddressObject, type ParsedMail as MpParsed } from 'mailparser';
import { htmlToText } from './html.js';
import type { Address } from './extract.js';

export interface MailPart {
  contentType: string;
  content: Buffer;
  filename: string | undefined;
}

export interface ParsedMail {
  messageId: string | undefined;
  date: Date | undefined;
  subject: string;
  from: Address | undefined;
  to: Address[];
  cc: Address[];
  replyTo: Address[];
  inReplyTo: string | undefined;
  references: string[];
  /** Lowercased header name → unfolded raw values, in order. */
  headers: Map<string, string[]>;
  contentType: string;
  /** The report-type parameter of a multipart/report. */
  reportType: string | undefined;
  text: string;
  html: string | undefined;
  /** True when the text was derived from HTML because there is no text/plain part. */
  textFromHtml: boolean;
  parts: MailPart[];
}

function addresses(obj: AddressObject | AddressObject[] | undefined): Address[] {
  if (!obj) return [];
  const list = Array.isArray(obj) ? obj : [obj];
  const out: Address[] = [];
  const walk = (v: { address?: string; name?: string; group?: unknown[] }) => {
    if (v.group) for (const g of v.group as Array<typeof v>) walk(g);
    else if (v.address) out.push({ address: v.address, name: v.name ?? '' });
  };
  for (const o of list) for (const v of o.value) walk(v);
  return out;
}

function headerMap(lines: MpParsed['headerLines']): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { key, line } of lines) {
    const idx = line.indexOf(':');
    const value = (idx >= 0 ? line.slice(idx + 1) : line).replace(/\r?\n[ \t]+/g, ' ').trim();
    const list = map.get(key) ?? [];
    list.push(value);
    map.set(key, list);
  }
  return map;
}

function rawBody(raw: Buffer): string {
  const s = raw.toString('utf8');
  const m = /\r?\n\r?\n/.exec(s);
  return m ? s.slice(m.index + m[0].length).replace(/\r\n?/g, '\n') : '';
}

export function header(mail: Pick<ParsedMail, 'headers'>, name: string): string | undefined {
  return mail.headers.get(name.toLowerCase())?.[0];
}

export async function parseMail(raw: Buffer): Promise<ParsedMail> {
  const mp = await simpleParser(raw, {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
    keepDeliveryStatus: true,
  } as Parameters<typeof simpleParser>[1]);
  const headers = headerMap(mp.headerLines ?? []);
  const ct = mp.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const html = typeof mp.html === 'string' ? mp.html : undefined;
  let text = mp.text ?? '';
  let textFromHtml = false;
  if (!text.trim() && html) {
    text = htmlToText(html);
    textFromHtml = true;
  }
  if (!text.trim() && !html && !(mp.attachments ?? []).length) {
    // Broken MIME (a boundary that never occurs): fall back to the raw body so nothing is lost.
    text = rawBody(raw);
  }
  const refs = mp.references;
  return {
    messageId: mp.messageId ? (mp.messageId.startsWith('<') ? mp.messageId : `<${mp.messageId}>`) : undefined,
    date: mp.date && !Number.isNaN(mp.date.getTime()) ? mp.date : undefined,
    subject: mp.subject ?? '',
    from: addresses(mp.from)[0],
    to: addresses(mp.to),
    cc: addresses(mp.cc),
    replyTo: addresses(mp.replyTo),
    inReplyTo: mp.inReplyTo,
    references: Array.isArray(refs) ? refs : refs ? refs.split(/\s+/) : [],
    headers,
    contentType: (ct?.value ?? 'text/plain').toLowerCase(),
    reportType: ct?.params?.['report-type']?.toLowerCase(),
    text,
    html,
    textFromHtml,
    parts: (mp.attachments ?? []).map((a) => ({ contentType: a.contentType.toLowerCase(), content: a.content, filename: a.filename })),
  };
}
