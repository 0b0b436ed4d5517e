/**
 * Finds every contact in a reply's new text: the sender (display name + own signature) and every
 * other person the new text names together with an email or a phone (referrals, successors,
 * colleagues in Cc, small contact tables). Quoted history never reaches this module.
 */
import type { CountryCode } from 'libphonenumber-js';
import { cleanCompany, isRoleLike, parseContactCard, splitTitleCompany, TITLE_WORDS, type CardFields } from './contact-card.js';
import {
  EMAIL_IN_TEXT,
  emailDomain,
  findPhones,
  isOwnAddress,
  isRoleAddress,
  looksLikePersonName,
  nameTokens,
  normalizeEmail,
  normalizePersonName,
  regionForEmail,
} from './normalize.js';

const POSSESSIVE_LEAD = /^(?:(?:to|a|à|an|al|aan)\s+)?(?:our|my|the|their|your|nuestro|nuestra|nuestros|mi|su|notre|nos|mon|ma|unser|unsere|unseren|unserem|mein|meine|meinen|nostro|nostra|il nostro|la nostra|onze|mijn|vår|vårt|min|vores|nosso|nossa|meu|minha)\s+/i;
const POSSESSIVE_ANY = /(?:^|\s)(?:our|my|their|your|nuestro|nuestra|notre|unser|unsere|unseren|unserem|nostro|nostra|onze|vår|vores|nosso|nossa)\s+/gi;

const MAX_PROSE_CHARS = 20_000;
const MAX_CANDIDATES = 100;

export type ContactRole = 'sender' | 'referral' | 'cc' | 'card';

export interface Contact extends CardFields {
  role: ContactRole;
}

/** Copies the given fields that `from` has into `to`, with the reason each was chosen. */
function takeFields(to: Contact, from: CardFields, fields: Array<'title' | 'company' | 'phone'>, fallbackWhy: string): void {
  for (const f of fields) {
    const v = from[f];
    if (!v) continue;
    to[f] = v;
    to.why[f] = from.why[f] ?? fallbackWhy;
  }
}

export interface Address {
  address: string;
  name: string;
}

export interface ExtractInput {
  from: Address | undefined;
  cc: Address[];
  to: Address[];
  /** New text without the signature. */
  body: string;
  signature: string;
  ownDomains: Set<string>;
  defaultRegion: CountryCode;
}

const LEADING_NOISE = new Set(
  'please,kindly,contact,call,email,e-mail,mail,reach,write,ask,dear,hi,hello,for,in,during,my,our,your,the,his,her,their,and,or,to,with,via,cc,cc:,copying,looping,meanwhile,alternatively,instead,also,urgent,matters,questions,absence,while,until,colleague,colleagues,successor,replacement,team,at,on,by,mr,mrs,ms,dr,if,as,of,who,whom,is,new,now,both,either,them,him,speak,talk,get,touch,forward,forwarding,sending,send,introduce,introducing,meet,handles,handle,covers,cover,responsible,reachable,kollegen,kollegin,kollege,nachfolger,nachfolgerin,vertretung,vertreter,vertreterin,herrn,herr,frau,collègue,collègues,colega,collega,collaboratrice,collaborateur,successeur,sucesor,sucesora,kollega,kollegaen,ansprechpartner,ansprechpartnerin,bitte,an,sie,wenden,unter,oder,und,per,de,mon,ma,mi,il,la,el,su,sua'.split(','),
);

/** Candidate person names (runs of capitalised words) in a piece of prose, in order. */
function nameRuns(text: string): Array<{ name: string; start: number; end: number }> {
  const out: Array<{ name: string; start: number; end: number }> = [];
  const re = /(?:\p{Lu}[\p{Ll}\p{Lu}'’-]*\.?|\p{Lu}\.)(?:[ \t]+(?:(?:van|von|de|der|den|da|del|di|du|la|le|bin|al|ter)[ \t]+)?(?:\p{Lu}[\p{Ll}\p{Lu}'’-]*\.?|\p{Lu}\.))*/gu;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    let words = m[0].split(/[ \t]+/);
    let start = m.index;
    while (words.length && LEADING_NOISE.has(words[0]!.toLowerCase().replace(/[.:,]$/, ''))) {
      start += words[0]!.length + 1;
      words = words.slice(1);
    }
    while (words.length && LEADING_NOISE.has(words[words.length - 1]!.toLowerCase().replace(/[.:,]$/, ''))) words.pop();
    if (words.length < 1) continue;
    const candidate = words.join(' ').replace(/[.,]$/, '');
    if (words.length >= 2 && looksLikePersonName(candidate)) {
      out.push({ name: normalizePersonName(candidate)!, start, end: start + candidate.length });
    } else if (words.length === 1 && /^\p{Lu}\p{Ll}{2,}$/u.test(candidate)) {
      // A single first name ("Tom") is kept as a weak candidate; it is only used with header evidence.
      out.push({ name: candidate, start, end: start + candidate.length });
    }
  }
  return out;
}

/**
 * Prose wrapped by the mail client: single line breaks inside a paragraph become spaces (same
 * length, so offsets stay valid). Table-like lines (pipes, tabs, bullets) keep their breaks.
 */
function reflow(text: string): string {
  const lines = text.split('\n');
  const tabular = (l: string | undefined) => l !== undefined && (/[|\t]/.test(l) || /^\s*(?:[-*•]|\d+[.)])\s/.test(l));
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    out += lines[i];
    if (i === lines.length - 1) break;
    const cur = lines[i]!;
    const next = lines[i + 1];
    const join = cur.trim() !== '' && next !== undefined && next.trim() !== '' && !tabular(cur) && !tabular(next) && !/[.!?:]\s*$/.test(cur);
    out += join ? ' ' : '\n';
  }
  return out;
}

/** Clause boundaries: line breaks, sentence ends and semicolons. */
function clauseBounds(text: string, at: number): [number, number] {
  let start = 0;
  const before = text.slice(0, at);
  const re = /\n|[.!?;](?=\s+\p{Lu})(?<!\b(?:tel|ph|mob|no|nr|dr|mr|mrs|ms|st|ext|fax|[a-z])\.)/giu;
  let m: RegExpExecArray | null;
  while ((m = re.exec(before))) start = m.index + m[0].length;
  const after = text.slice(at);
  const endRel = after.search(/\n|[.!?;](?=\s+\p{Lu}|\s*$)(?<!\b[A-Z])/u);
  return [start, endRel < 0 ? text.length : at + endRel];
}

function titleNear(text: string, nameEnd: number, targetStart: number, nameStart: number, clauseStart: number): { title: string; company?: string } | undefined {
  // ", Head of Procurement," or " (CFO) " between the name and the address.
  const between = text
    .slice(nameEnd, targetStart)
    .replace(/\b(?:at|on|via|by|under|is|at:|email|e-mail|mail|tel|phone|mobile|or)\b[\s:]*$/i, '')
    .trim()
    .replace(/^[\s,(\[–—|:-]+|[\s,)\]–—:<|-]+$/g, '')
    .trim();
  const cleaned = between.replace(POSSESSIVE_LEAD, '');
  if (cleaned && cleaned.length <= 90 && isRoleLike(cleaned) && !/@/.test(cleaned) && !/\b(?:runs|handles|looks after|manages|is|she|he|they|who|which|will|can|as well)\b/i.test(cleaned)) {
    const [title, company, weak] = splitTitleCompany(cleaned);
    return company ? { title, company: cleanCompany(company) } : { title };
  }
  // "Owen Marsh, Brightline Partners (owen@…)" / "Alicia Gómez at ShipCove": a company and no title.
  const companyOnly = /^(?:at|from|with|of|@|bei|chez|de)?\s*(\p{Lu}[\p{L}\d&.'’ -]{1,60})$/u.exec(cleaned.replace(/\s*\([^)]*(?:\)|$)\s*/g, ' ').replace(/[\s,;:–—-]+$/, '').trim());
  if (companyOnly && !isRoleLike(companyOnly[1]!) && !looksLikePersonName(companyOnly[1]!.trim())) {
    return { title: '', company: cleanCompany(companyOnly[1]!) };
  }
  // "our CFO, Jane Roe" / "Head of Procurement Jane Roe"
  const before = text.slice(clauseStart, nameStart);
  // The role right before the name, after the last possessive: "forwarded this to our COO, Dana Li".
  const poss = [...before.matchAll(POSSESSIVE_ANY)].pop();
  if (poss) {
    const t = before.slice((poss.index ?? 0) + poss[0].length).replace(/[\s,:–—-]+$/, '').trim();
    if (t && t.length <= 50 && isRoleLike(t) && !/\b(?:contact|please)\b/i.test(t)) return { title: t };
  }
  return undefined;
}

export function extractContacts(input: ExtractInput): Contact[] {
  const contacts: Contact[] = [];
  const senderEmail = normalizeEmail(input.from?.address);
  const senderRegion = regionForEmail(senderEmail, input.defaultRegion);
  const displayName = normalizePersonName(input.from?.name);
  const hintTokens = [...new Set([...(displayName ? nameTokens(displayName) : []), ...(senderEmail ? nameTokens(senderEmail.split('@')[0]!.replace(/[._-]/g, ' ')) : [])])];

  // ---- the sender
  const card: CardFields = input.signature
    ? parseContactCard(input.signature, { region: senderRegion, nameTokens: hintTokens, ...(senderEmail ? { email: senderEmail } : {}) })
    : { why: {} };
  const sender: Contact = { role: 'sender', why: {} };
  if (senderEmail) {
    sender.email = senderEmail;
    sender.why.email = 'the From address';
  }
  const ownSignature = card.email !== undefined && card.email !== senderEmail && isOwnAddress(card.email, input.ownDomains);
  if (ownSignature) {
    for (const k of ['name', 'title', 'company', 'phone'] as const) delete card[k];
  }
  const sigName = card.name;
  if (displayName && sigName) {
    const a = nameTokens(displayName);
    const b = nameTokens(sigName);
    const overlap = a.some((t) => b.includes(t) || b.some((u) => u.startsWith(t) || t.startsWith(u)));
    if (overlap) {
      const pick = b.length >= a.length ? sigName : displayName;
      sender.name = pick;
      sender.why.name = pick === sigName ? `fullest form, from the signature (display name "${input.from?.name}")` : 'fullest form, from the display name';
    } else {
      sender.name = displayName;
      sender.why.name = 'display name (the signature name does not match it)';
    }
  } else if (sigName && (!input.from?.name || hintTokens.some((t) => nameTokens(sigName).includes(t)) || !displayName)) {
    sender.name = sigName;
    sender.why.name = card.why.name ?? 'signature';
  } else if (displayName) {
    sender.name = displayName;
    sender.why.name = 'display name of the From header';
  }
  const sigIsSenders = !sigName || !displayName || nameTokens(sigName).some((t) => nameTokens(displayName).includes(t)) || hintTokens.some((t) => nameTokens(sigName).includes(t));
  if (sigIsSenders) takeFields(sender, card, ['title', 'company', 'phone'], 'signature');
  if (senderEmail && isRoleAddress(senderEmail) && card.email && card.name && !isRoleAddress(card.email) && emailDomain(card.email) === emailDomain(senderEmail)) {
    sender.email = card.email;
    sender.why.email = `the personal address in the signature (the From address ${senderEmail} is a shared mailbox)`;
    sender.name = card.name;
    sender.why.name = card.why.name ?? 'signature';
  }
  if (sender.email || sender.name) contacts.push(sender);

  // ---- other people in the new text
  const usable = (email: string | undefined): email is string =>
    !!email && email !== senderEmail && !isOwnAddress(email, input.ownDomains) && !isRoleAddress(email);
  const seen = new Set<string>(senderEmail ? [senderEmail] : []);
  const others: Contact[] = [];
  const addOther = (c: Contact) => {
    const key = c.email ?? `${c.name ?? ''}|${c.phone ?? ''}`;
    if (seen.has(key)) {
      const existing = others.find((o) => (o.email ?? `${o.name ?? ''}|${o.phone ?? ''}`) === key);
      if (existing) {
        for (const f of ['name', 'title', 'company', 'phone'] as const) {
          if (!existing[f] && c[f]) {
            existing[f] = c[f];
            existing.why[f] = c.why[f] ?? '';
          }
        }
      }
      return;
    }
    seen.add(key);
    others.push(c);
  };
  // New text longer than this is not a reply a person wrote; capping keeps hostile input cheap.
  const body = reflow(input.body.slice(0, MAX_PROSE_CHARS));
  const consumed: Array<[number, number]> = [];

  // Contact cards: blocks of short lines with a name line and an email or phone.
  let offset = 0;
  for (const block of body.split(/\n\s*\n/)) {
    const start = body.indexOf(block, offset);
    offset = start + block.length;
    const lines = block.split('\n').filter((l) => l.trim());
    if (lines.length < 2 || lines.length > 8 || lines.some((l) => l.trim().length > 90)) continue;
    if (!looksLikePersonName(lines[0]!.replace(/^[-*•\d.)\s]+/, '').replace(/[:,]$/, ''))) continue;
    const emails = (block.match(EMAIL_IN_TEXT) ?? []).map((e) => normalizeEmail(e)).filter(usable);
    const region = regionForEmail(emails[0], input.defaultRegion);
    const f = parseContactCard(block.replace(/^[-*•\d.)\s]+/gm, ''), { region });
    if (!f.name || (!emails[0] && !f.phone)) continue;
    const c: Contact = { role: 'card', name: f.name, why: { name: `first line of a contact block: "${lines[0]!.trim()}"` } };
    if (emails[0]) {
      c.email = emails[0];
      c.why.email = 'written in the same block';
    }
    takeFields(c, f, ['title', 'company', 'phone'], 'written in the same block');
    addOther(c);
    consumed.push([start, start + block.length]);
  }
  const isConsumed = (i: number) => consumed.some(([a, b]) => i >= a && i < b);

  // Prose: every email and phone, with the name written before it in the same clause.
  const headerNames = new Map<string, string>();
  for (const a of [...input.cc, ...input.to]) {
    const e = normalizeEmail(a.address);
    const n = normalizePersonName(a.name);
    if (e && n) headerNames.set(e, n);
  }
  const phonesInBody = findPhones(body, senderRegion).slice(0, MAX_CANDIDATES);
  const emailMatches = [...body.matchAll(EMAIL_IN_TEXT)].filter((m) => !isConsumed(m.index ?? 0)).slice(0, MAX_CANDIDATES);
  const targets: Array<{ kind: 'email' | 'phone'; start: number; end: number; value: string }> = [];
  for (const m of emailMatches) {
    const e = normalizeEmail(m[0]);
    if (usable(e)) targets.push({ kind: 'email', start: m.index!, end: m.index! + m[0].length, value: e });
  }
  for (const p of phonesInBody) if (!p.isFax && !isConsumed(p.start)) targets.push({ kind: 'phone', start: p.start, end: p.end, value: p.e164 });
  targets.sort((a, b) => a.start - b.start);

  const byPerson: Array<{ contact: Contact; clause: [number, number]; nameEnd: number }> = [];
  for (const t of targets) {
    const [cs, ce] = clauseBounds(body, t.start);
    // A phone right after an email (or the other way round) in the same clause belongs to that person.
    const prev = byPerson[byPerson.length - 1];
    const clause = body.slice(cs, t.start);
    const runs = nameRuns(clause).filter(
      (r) => r.name.includes(' ') && !TITLE_WORDS.test(r.name) && !isRoleLike(r.name) && !/\b(?:at|from|bei|chez|of|for)\s+$/i.test(clause.slice(0, r.start)),
    );
    let lastRun = runs[runs.length - 1];
    // "Grace Thompson, Procurement Lead, Southern Cross Health": a run after "Name, Role," is the company.
    if (runs.length >= 2) {
      const prevRun = runs[runs.length - 2]!;
      const gap = clause.slice(prevRun.end, lastRun!.start);
      if (/^\s*[,(–—-]\s*[^,()]{2,60}?\s*(?:,|at|@|\||–|—|-)\s*$/.test(gap) && isRoleLike(gap)) lastRun = prevRun;
    }
    // "talk to Sarah in procurement — sarah.k@…": a lone first name that the address confirms.
    if (!lastRun && t.kind === 'email') {
      const first = t.value.split('@')[0]!.split(/[._-]/)[0]!;
      const single = nameRuns(clause).filter((r) => !r.name.includes(' ') && r.name.toLowerCase() === first).pop();
      if (single) lastRun = single;
    }
    if (prev && prev.clause[0] === cs && (!lastRun || cs + lastRun.start < prev.nameEnd)) {
      const c = prev.contact;
      if (t.kind === 'phone' && !c.phone) {
        // Re-derive the region from the person's email now that we know it.
        const region = regionForEmail(c.email, input.defaultRegion);
        const again = findPhones(body.slice(t.start, t.end), region)[0];
        c.phone = again?.e164 ?? t.value;
        c.why.phone = 'number written next to the person';
        continue;
      }
      if (t.kind === 'email' && !c.email) {
        c.email = t.value;
        c.why.email = 'address written next to the person';
        continue;
      }
    }
    let name: string | undefined;
    let nameStart = t.start;
    let nameEnd = t.start;
    let why = '';
    if (lastRun) {
      name = lastRun.name;
      nameStart = cs + lastRun.start;
      nameEnd = cs + lastRun.end;
      why = 'name written before it in the same sentence';
    } else {
      const after = body.slice(t.end, ce);
      const m = /^\s*[(\[<,–-]\s*(\p{Lu}[\p{L}'’-]+(?:\s+\p{Lu}[\p{L}'’.-]+){1,3})\s*[)\]>]?/u.exec(after);
      const n = m ? normalizePersonName(m[1]) : undefined;
      if (n) {
        name = n;
        why = 'name written after it';
      } else if (t.kind === 'email' && headerNames.has(t.value)) {
        name = headerNames.get(t.value);
        why = 'display name of the same address in the Cc/To header';
      }
    }
    if (!name && t.kind === 'phone') continue; // a bare number with nobody named is not a contact
    if (t.kind === 'email') {
      // A national-format number after the address is read in the person's own country.
      const region = regionForEmail(t.value, input.defaultRegion);
      const tail = body.slice(t.end, ce);
      const p = findPhones(tail, region).find((x) => !x.isFax);
      if (p && !targets.some((o) => o.kind === 'phone' && o.start === t.end + p.start)) {
        targets.push({ kind: 'phone', start: t.end + p.start, end: t.end + p.end, value: p.e164 });
        targets.sort((a, b) => a.start - b.start);
      }
    }
    const c: Contact = { role: 'referral', why: {} };
    if (name) {
      c.name = name;
      c.why.name = why;
    }
    if (t.kind === 'email') {
      c.email = t.value;
      c.why.email = 'address written in the new text';
    } else {
      c.phone = t.value;
      c.why.phone = 'number written next to the person';
    }
    let title = name ? titleNear(body, nameEnd, t.start, nameStart, cs) : undefined;
    if (!title && name) {
      const after = /^[\s)\]>]*[,–—-]\s*(?:who is\s+|he is\s+|she is\s+)?(?:our|my|the|their)\s+([^,.;()\n]{2,60})/i.exec(body.slice(t.end, ce));
      if (after && isRoleLike(after[1]!) && !/@/.test(after[1]!)) title = { title: after[1]!.trim() };
    }
    if (title) {
      c.title = title.title;
      c.why.title = 'written next to the name';
      if (title.company) {
        c.company = title.company;
        c.why.company = 'written next to the name';
      }
    }
    byPerson.push({ contact: c, clause: [cs, ce], nameEnd: Math.max(nameEnd, t.end) });
  }
  for (const { contact } of byPerson) {
    // Phone region follows the person's email when the number was written without +CC.
    if (contact.phone && contact.email) {
      const region = regionForEmail(contact.email, input.defaultRegion);
      if (region !== input.defaultRegion) {
        const idx = targets.find((t) => t.kind === 'phone' && t.value === contact.phone);
        if (idx) {
          const again = findPhones(body.slice(idx.start, idx.end), region)[0];
          if (again) contact.phone = again.e164;
        }
      }
    }
    if (contact.email || (contact.name && contact.name.includes(' ') && contact.phone)) addOther(contact);
  }

  // Cc'd colleagues the new text names ("cc'ing Tom, who handles this"). To is us, so only Cc counts.
  for (const a of input.cc) {
    const e = normalizeEmail(a.address);
    if (!usable(e) || seen.has(e)) continue;
    const n = normalizePersonName(a.name);
    if (!n) continue;
    const tokens = n.split(' ');
    const mentioned = tokens.some((t) => t.length > 1 && new RegExp(`(^|[^\\p{L}])${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}])`, 'u').test(body));
    if (!mentioned) continue;
    addOther({ role: 'cc', name: n, email: e, why: { name: 'display name in the Cc/To header, named in the new text', email: 'Cc/To header' } });
  }

  // Colleagues (same email domain as the sender) inherit the sender's company.
  for (const c of others) {
    if (!c.company && sender.company && c.email && senderEmail && emailDomain(c.email) === emailDomain(senderEmail)) {
      c.company = sender.company;
      c.why.company = "the sender's company (same email domain)";
    }
  }
  return [...contacts, ...others];
}
