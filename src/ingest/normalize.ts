/**
 * Normalization of the values that end up in a contact row: person names, emails, phones (E.164)
 * and the free-text excerpt. Pure functions, no IO.
 */
import emailValidator from 'email-validator';
import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js/max';

// ---------------------------------------------------------------- email

const ROLE_LOCALPARTS = new Set(
  (
    'info,sales,support,help,helpdesk,service,services,noreply,no-reply,donotreply,do-not-reply,do_not_reply,' +
    'no_reply,mailer-daemon,mailerdaemon,postmaster,hostmaster,webmaster,abuse,admin,administrator,office,hello,' +
    'contact,contacts,enquiries,enquiry,inquiries,inquiry,team,marketing,billing,accounts,accounting,finance,hr,' +
    'jobs,careers,recruiting,press,media,news,newsletter,notifications,notification,alerts,bounce,bounces,' +
    'feedback,reception,frontdesk,legal,privacy,security,compliance,orders,order,invoices,invoice,kontakt,' +
    'vertrieb,bureau,accueil,contacto,ventas,info-de,mail,email,general,customerservice,customer.service,' +
    'customercare,care,dmarc,reports,root,daemon,listserv,majordomo,unsubscribe,autoreply,auto-reply,system,' +
    'operations,ops,it,purchasing,procurement-team,partners,partnerships-team'
  ).split(','),
);

export function normalizeEmail(raw: string | undefined | null): string | undefined {
  if (!raw) return undefined;
  const email = raw.trim().replace(/^mailto:/i, '').replace(/^<|>$/g, '').replace(/[.,;:]+$/, '').toLowerCase();
  return emailValidator.validate(email) ? email : undefined;
}

export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

export function localPart(email: string): string {
  return email.slice(0, email.lastIndexOf('@')).toLowerCase();
}

const ROLE_TOKENS = new Set(['helpdesk', 'servicedesk', 'noreply', 'donotreply', 'support', 'info', 'sales', 'billing', 'invoices', 'invoice', 'accounts', 'payables', 'receivables', 'ap', 'ar', 'hr', 'careers', 'jobs', 'recruiting', 'office', 'admin', 'enquiries', 'inquiries', 'orders', 'team', 'desk', 'service', 'customerservice', 'helpline', 'postmaster', 'notifications', 'alerts', 'newsletter', 'marketing', 'press', 'hello']);

/** info@, sales@, noreply@, ap.helpdesk@… — shared mailboxes, never a person. Plus tags are ignored. */
export function isRoleAddress(email: string): boolean {
  const lp = localPart(email).replace(/\+.*$/, '');
  if (ROLE_LOCALPARTS.has(lp)) return true;
  const tokens = lp.split(/[._-]+/).filter(Boolean);
  if (tokens.length > 1 && (ROLE_TOKENS.has(tokens[0]!) || tokens.some((t) => /^(?:helpdesk|servicedesk|noreply|donotreply)$/.test(t)))) return true;
  return /^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|bounces?[-_+.]|postmaster)/.test(lp);
}

/** True when the address is at one of our own domains or one of their subdomains. */
export function isOwnAddress(email: string, ownDomains: Iterable<string>): boolean {
  const d = emailDomain(email);
  for (const own of ownDomains) if (d === own || d.endsWith(`.${own}`)) return true;
  return false;
}

/** Global: use only with match/matchAll/replace (never .test/.exec, which keep state in lastIndex). */
export const EMAIL_IN_TEXT = /(?<![\w.+-])[a-z0-9][a-z0-9._%+-]{0,63}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?![\w-])/gi;

// ---------------------------------------------------------------- names

const POST_NOMINALS = new Set(
  'phd,ph.d,ph.d.,md,m.d.,mba,msc,m.sc,bsc,b.sc,ba,ma,mphil,dphil,cpa,cfa,pmp,esq,esq.,jd,llm,ll.m,dds,rn,cissp,ceng,frcs,mrcs,fca,aca,acca,cima,peng,p.eng,pe,mcs,meng,dipl.-ing.,dipl.-ing,dipl-ing,dipl.-kfm.,mag.,ing.,dr.-ing.,hons,(hons),obe,mbe,cbe,frsa,shrm-cp,phr,sphr,cscp,cpsm,cipd'.split(','),
);
const HONORIFICS = /^(?:mr|mrs|ms|miss|mx|dr|prof|professor|sir|dame|herr|frau|m|mme|mlle|sr|sra|srta|dott|dott\.ssa|ing|dipl|mag|ir|drs|lic|arch)\.?(?:-[a-z]+\.?)*$/i;
const GENERATIONAL = /^(?:jr|sr|ii|iii|iv|v)\.?$/i;
const NAME_PARTICLES = new Set(['van', 'von', 'de', 'der', 'den', 'da', 'das', 'dos', 'del', 'della', 'di', 'du', 'la', 'le', 'bin', 'binti', 'al', 'el', 'ter', 'ten', 'zu', 'y', "d'", 'st.', 'mc']);

/** Words that say a line is not a person's name. */
const NOT_NAME_WORD =
  /^(inc|llc|ltd|limited|gmbh|ag|sa|sas|sarl|srl|spa|bv|nv|plc|pty|corp|corporation|company|co|group|holdings|solutions|technologies|technology|systems|services|consulting|partners|labs|software|team|support|sales|marketing|office|department|dept|customer|service|the|and|of|for|at|with|manager|director|head|chief|officer|president|vice|vp|ceo|cto|cfo|coo|cmo|cio|founder|co-founder|engineer|lead|assistant|executive|specialist|consultant|analyst|associate|coordinator|representative|administrator|admin|developer|designer|partner|owner|principal|senior|junior|intern|regards|thanks|thank|best|kind|cheers|sent|from|mobile|phone|tel|fax|email|e-mail|web|www|address|street|road|avenue|suite|floor|hello|hi|dear|dr|university|school|college|bank|hospital|automatic|reply|auto|out|please|note|unsubscribe|noreply|confidential|disclaimer|mail|delivery|system|administrator|abwesenheitsnotiz|réponse|automatische|antwort|gesch[äa]ftsf[üu]hrer|leiter|leiterin|directeur|directrice|responsable|gerente|director[a]?)$/i;

function stripAccents(s: string): string {
  return s.normalize('NFD').replace(/\p{M}+/gu, '');
}

/** Capitalises a name token written in all caps or all lower case; leaves mixed case as written. */
function fixCase(token: string): string {
  if (token.length <= 1) return token.toUpperCase();
  const letters = token.replace(/[^\p{L}]/gu, '');
  const isUpper = letters === letters.toUpperCase();
  const isLower = letters === letters.toLowerCase();
  if (!isUpper && !isLower) return token;
  if (isUpper && letters.length <= 2 && token.endsWith('.')) return token; // initials
  const lower = token.toLowerCase();
  if (NAME_PARTICLES.has(lower)) return lower;
  return lower.replace(/(^|[-'’])(\p{L})/gu, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
}

/**
 * Turns a display or signature name into "First Last": removes quotes, honorifics and post-nominals,
 * turns "Last, First" around. Returns undefined when the text does not look like a person's name.
 */
export function normalizePersonName(raw: string | undefined | null): string | undefined {
  if (!raw) return undefined;
  let s = raw
    .replace(/[\u200b-\u200f\u2060\ufeff]/g, '')
    .replace(/["“”„«»]/g, '')
    .replace(/\s*[<(\[].*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!s || s.includes('@') || /\d/.test(s)) return undefined;
  // "Nair, Priya" / "NAIR, Priya" / "Nair, Priya, PhD"
  const parts = s.split(/\s*,\s*/).filter(Boolean);
  const isPostNominal = (p: string) => p.split(/\s+/).every((w) => POST_NOMINALS.has(w.toLowerCase().replace(/,$/, '')));
  const kept = parts.filter((p, i) => i === 0 || !isPostNominal(p));
  if (kept.length === 2 && !kept[0]!.includes(' ') && kept[1]!.split(' ').length <= 2) {
    s = `${kept[1]} ${kept[0]}`;
  } else {
    s = kept[0] ?? '';
  }
  let tokens = s.split(' ').filter(Boolean);
  while (tokens.length && HONORIFICS.test(tokens[0]!)) tokens.shift();
  while (tokens.length && (POST_NOMINALS.has(tokens[tokens.length - 1]!.toLowerCase().replace(/[,]$/, '')) || (tokens.length > 2 && GENERATIONAL.test(tokens[tokens.length - 1]!.replace(/,$/, ''))))) tokens.pop();
  tokens = tokens.map((t) => t.replace(/,$/, ''));
  // "First Last": middle initials ("Robert J. Klein") are dropped.
  if (tokens.length > 2) tokens = tokens.filter((t, i) => i === 0 || i === tokens.length - 1 || !/^\p{Lu}\.?$/u.test(t));
  if (tokens.length < 1 || tokens.length > 5) return undefined;
  for (const t of tokens) {
    if (NOT_NAME_WORD.test(stripAccents(t).replace(/[.,]$/, ''))) return undefined;
    if (!/^[\p{L}][\p{L}.'’-]*$/u.test(t)) return undefined;
  }
  // A name has at least one token that starts with a capital letter once case is fixed.
  const fixed = tokens.map(fixCase);
  if (!fixed.some((t) => /^\p{Lu}/u.test(t))) return undefined;
  return fixed.join(' ');
}

/** True when a line is plausibly just a person's name (2–4 capitalised words). */
export function looksLikePersonName(line: string): boolean {
  const t = line.trim();
  if (t.length < 3 || t.length > 48) return false;
  const words = t.replace(/,\s*(?:[A-Z][A-Za-z.]{1,6}\.?\s*)+$/, '').split(/\s+/);
  if (words.length < 2 || words.length > 4) return false;
  const capitalised = words.filter((w) => /^\p{Lu}[\p{Ll}'’-]|^\p{Lu}\.?$|^\p{Lu}{2,}$/u.test(w) || NAME_PARTICLES.has(w.toLowerCase()));
  if (capitalised.length !== words.length) return false;
  return normalizePersonName(t) !== undefined;
}

/** Case/accent-insensitive token set of a name, for comparing two forms of one person's name. */
export function nameTokens(name: string): string[] {
  return stripAccents(name)
    .toLowerCase()
    .split(/[\s.'’-]+/)
    .filter((t) => t.length > 1);
}

// ---------------------------------------------------------------- phones

const CCTLD_REGION: Record<string, CountryCode> = {
  uk: 'GB', gb: 'GB', de: 'DE', fr: 'FR', au: 'AU', in: 'IN', ca: 'CA', ie: 'IE', nz: 'NZ', za: 'ZA', es: 'ES',
  it: 'IT', nl: 'NL', be: 'BE', ch: 'CH', at: 'AT', se: 'SE', no: 'NO', dk: 'DK', fi: 'FI', pl: 'PL', pt: 'PT',
  br: 'BR', mx: 'MX', ar: 'AR', cl: 'CL', co: 'CO', jp: 'JP', cn: 'CN', kr: 'KR', sg: 'SG', hk: 'HK', tw: 'TW',
  my: 'MY', ph: 'PH', id: 'ID', th: 'TH', vn: 'VN', il: 'IL', ae: 'AE', sa: 'SA', tr: 'TR', ru: 'RU', ua: 'UA',
  cz: 'CZ', sk: 'SK', hu: 'HU', ro: 'RO', bg: 'BG', gr: 'GR', hr: 'HR', si: 'SI', rs: 'RS', lt: 'LT', lv: 'LV',
  ee: 'EE', lu: 'LU', is: 'IS', eg: 'EG', ng: 'NG', ke: 'KE', pk: 'PK', bd: 'BD', lk: 'LK', pe: 'PE', uy: 'UY',
};

/** Country for national-format numbers: the email's country-code TLD (`.co.uk` → GB), else the default. */
export function regionForEmail(email: string | undefined, fallback: CountryCode): CountryCode {
  if (!email) return fallback;
  const tld = emailDomain(email).split('.').pop() ?? '';
  return CCTLD_REGION[tld] ?? fallback;
}

export interface PhoneFound {
  e164: string;
  /** Where in the searched text the number starts and ends. */
  start: number;
  end: number;
  /** The label written before the number on its line (Tel, Mobile, Fax…), lower case. */
  label: string;
  isFax: boolean;
}

const NOT_PHONE_CONTEXT =
  /(vat|ust|u\.?st|tva|iva|btw|mwst|moms|gst|abn|acn|ein|tax|steuer|siret|siren|rcs|kvk|hrb|hra|handelsregister|amtsgericht|reg(?:istration|istered|\.)?\s*(?:no|nr|number|#)|company\s*(?:no|number|reg)|registered\s+in|iban|bic|swift|account|acct|invoice|order|ref(?:erence)?|ticket|case|po\s*box|p\.o\.|zip|postcode|postal|price|cost|total|budget|€|\$|£|usd|eur|gbp|isbn|id\s*[:#]|no\.\s*$|nr\.\s*$|#\s*$)[^\n]{0,24}$/i;
const FAX_LABEL = /(fax|telefax|facsimile|\bf\s*[:.]|\bfx\b)\s*[:.]?\s*[^\n]{0,6}$/i;
const LABEL_BEFORE = /([A-Za-zÀ-ÿ.]+(?:\s[A-Za-zÀ-ÿ.]+)?)\s*[:.]?\s*[^\p{L}\d\n]{0,4}$/u;

/**
 * Every plausible phone number in `text`, in order, normalised to E.164, with its label.
 * Rejects numbers preceded by VAT / registration / price / account words, and dates.
 */
export function findPhones(text: string, region: CountryCode): PhoneFound[] {
  const out: PhoneFound[] = [];
  let matches;
  try {
    matches = findPhoneNumbersInText(text, { defaultCountry: region, v2: true } as never) as unknown as Array<{
      number: { number: string; isValid(): boolean; country?: string };
      startsAt: number;
      endsAt: number;
    }>;
  } catch {
    return out;
  }
  for (const m of matches) {
    const raw = text.slice(m.startsAt, m.endsAt);
    const digits = raw.replace(/\D/g, '');
    if (digits.length < 7) continue;
    if (/^\d{4}-\d{2}-\d{2}$|^\d{1,2}[./]\d{1,2}[./]\d{2,4}$/.test(raw.trim())) continue;
    const lineStart = text.lastIndexOf('\n', m.startsAt - 1) + 1;
    const before = text.slice(Math.max(lineStart, m.startsAt - 40), m.startsAt);
    if (NOT_PHONE_CONTEXT.test(before)) continue;
    // A number glued to letters (VAT ids such as DE123456789) is not a phone.
    const prevChar = text[m.startsAt - 1] ?? '';
    if (/[\p{L}\d]/u.test(prevChar)) continue;
    const nextChar = text[m.endsAt] ?? '';
    if (/[\p{L}\d]/u.test(nextChar) && !/[xX]/.test(nextChar)) continue;
    if (!m.number.isValid()) continue;
    const e164 = m.number.number;
    if (!/^\+[1-9]\d{6,14}$/.test(e164)) continue;
    const labelMatch = LABEL_BEFORE.exec(before);
    const label = (labelMatch?.[1] ?? '').toLowerCase();
    out.push({ e164, start: m.startsAt, end: m.endsAt, label, isFax: FAX_LABEL.test(before) });
  }
  return out;
}

// ---------------------------------------------------------------- excerpt and cells

/** 13–19 digit card-like numbers that pass the Luhn check. */
const CARD_LIKE = /\b(?:\d[ -]?){12,18}\d\b/g;

function luhnOk(digits: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

export function redactCardNumbers(text: string): string {
  return text.replace(CARD_LIKE, (m) => {
    const digits = m.replace(/\D/g, '');
    return digits.length >= 13 && digits.length <= 19 && luhnOk(digits) ? '[redacted]' : m;
  });
}

export const EXCERPT_MAX = 1500;

/** The new text as one line: control characters removed, whitespace collapsed, cards redacted, capped. */
export function makeExcerpt(text: string): string {
  const collapsed = redactCardNumbers(
    text
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u2060\ufeff]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
  if (collapsed.length <= EXCERPT_MAX) return collapsed;
  return `${collapsed.slice(0, EXCERPT_MAX - 1).trimEnd()}…`;
}
