/**
 * Reads a block of short lines that describes one person — a signature, or a contact card pasted
 * into a reply — into name, title, company, email and phone, saying why each field was chosen.
 */
import type { CountryCode } from 'libphonenumber-js';
import {
  EMAIL_IN_TEXT,
  findPhones,
  looksLikePersonName,
  nameTokens,
  normalizeEmail,
  normalizePersonName,
} from './normalize.js';

export interface CardFields {
  name?: string;
  title?: string;
  company?: string;
  email?: string;
  phone?: string;
  why: Record<string, string>;
}

/** Words that name a role (a person's job), as opposed to a department. */
export const ROLE_WORDS =
  /\b(?:ceo|cto|cfo|coo|cmo|cio|ciso|cpo|cro|chro|vp|svp|evp|avp|president|vice[- ]president|director|manager|head|chief|officer|founder|co-?founder|owner|partner|principal|lead|leader|engineer|developer|architect|consultant|analyst|associate|specialist|coordinator|administrator|assistant|executive|representative|advisor|adviser|counsel|attorney|lawyer|accountant|controller|treasurer|secretary|chairman|chairwoman|chair|supervisor|recruiter|buyer|strategist|scientist|researcher|professor|editor|producer|designer|planner|agent|broker|auditor|intern|geschäftsführer|geschäftsführerin|leiter|leiterin|prokurist|inhaber|inhaberin|vorstand|referent|referentin|berater|beraterin|directeur|directrice|responsable|chef|chargé|chargée|gérant|gérante|président|présidente|ingénieur|gerente|jefe|jefa|director[a]?|presidente|responsabile|direttore|direttrice|consulente|eigenaar|dyrektor|kierownik|prezes|diretor|diretora|sócio|sócia|toimitusjohtaja|einkäufer|hoofd|inkoper|adviseur|beheerder|medewerker|coordinador|coordinadora|coordenador|coordenadora|analista|gestor|gestora|responsável|jefe|socio|socia|amministratore|titolare|dirigente|gérant|associé|associée|fondateur|fondatrice|cofondateur|leder|daglig leder|direktør|ledare|johtaja|vd)\b/i;

const ROLE_COMPOUND = /(?:chef|leiter|leiterin|direktor|direktorin|manager|ansvarig|sjef|päällikkö|verantwortlicher|beauftragter|beauftragte)(?![\p{L}])/iu;

export function isRoleLike(s: string): boolean {
  return ROLE_WORDS.test(s) || ROLE_COMPOUND.test(s);
}

export const TITLE_WORDS =
  /\b(?:ceo|cto|cfo|coo|cmo|cio|ciso|cpo|cro|chro|vp|svp|evp|avp|president|vice[- ]president|director|manager|head|chief|officer|founder|co-?founder|owner|partner|principal|lead|leader|engineer|developer|architect|consultant|analyst|associate|specialist|coordinator|administrator|assistant|executive|representative|advisor|adviser|counsel|attorney|lawyer|accountant|controller|treasurer|secretary|chairman|chairwoman|chair|board member|member of the board|managing|general manager|supervisor|superintendent|recruiter|buyer|purchaser|strategist|scientist|researcher|professor|lecturer|editor|producer|designer|marketer|planner|agent|broker|trader|banker|auditor|inspector|technician|operator|officer|intern|trainee|evangelist|ambassador|sales|marketing|procurement|purchasing|operations|business development|account manager|key account|customer success|growth|talent|people|hr|finance|legal|compliance|engineering|product|programme|program|project|geschäftsführer|geschaftsfuhrer|geschäftsführerin|leiter|leiterin|prokurist|vertriebsleiter|einkauf|einkäufer|inhaber|inhaberin|vorstand|abteilungsleiter|referent|referentin|berater|beraterin|directeur|directrice|responsable|chef de|chargé|chargée|gérant|gérante|président|présidente|ingénieur|commercial|gerente|jefe|jefa|director[a]?|presidente|responsabile|direttore|direttrice|amministratore|consulente|bedrijfsleider|directeur|eigenaar|inköpschef|säljchef|vd|toimitusjohtaja|dyrektor|kierownik|prezes|diretor|diretora|sócio|sócia)\b/i;

const COMPANY_SUFFIX =
  /(?:\b(?:inc|incorporated|llc|l\.l\.c|llp|lp|ltd|limited|plc|gmbh|mbh|ag|kg|ohg|gbr|ug|se|sa|s\.a|sas|sarl|s\.a\.r\.l|srl|s\.r\.l|spa|s\.p\.a|bv|b\.v|nv|n\.v|oy|oyj|ab|as|a\/s|aps|asa|kk|pty|pte|pvt|corp|corporation|company|co|group|holdings?|technologies|technology|tech|solutions|systems|software|labs|laboratories|industries|international|partners|consulting|ventures|capital|logistics|networks|media|studios?|analytics|digital|global|enterprises|associates|bank|insurance|university|institute|foundation|hospital|clinic|agency|s\.l|sl|kft|zrt|s\.c|sp\. z o\.o\.|sp z oo|a\.s|s\.r\.o|d\.o\.o|ltda|s\.a\.s|e\.v|ev)\.?(?=$|[\s,)|])|&\s*co\b)/i;

const URL_LIKE = /^(?:https?:\/\/|www\.)\S+$|^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|de|uk|fr|eu|ai|app|dev|biz|info|us|ca|au|in|es|it|nl|ch|at|se|no|dk|fi|pl|pt|be|ie)(?:\/\S*)?$/i;
const LABEL_PREFIX = /^\s*(?:t|tel|tél|tele|telefon|telephone|téléphone|phone|ph|p|m|mob|mobile|mobil|mobiel|cell|cellular|c|handy|portable|móvil|movil|cellulare|d|dd|direct|direct line|dir|office|o|w|work|main|fon|tlf|e|email|e-mail|mail|w|web|website|f|fax|a|address|adresse|addr)\s*[.:]\s*/i;
const ADDRESS_LIKE =
  /\b(?:street|st\.|road|rd\.|avenue|ave\.?|boulevard|blvd|lane|ln\.|drive|dr\.|suite|ste\.?|floor|fl\.|building|bldg|strasse|straße|str\.|weg|platz|allee|gasse|rue|avenue|chemin|calle|avenida|via|piazza|plaza|laan|straat|gracht|vej|gatan|vägen|p\.?o\.? box|postfach|cedex)\b|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|\b\d{5}(?:-\d{4})?\b|\b\d{4,5}\s+\p{Lu}\p{Ll}+/iu;
const DISCLAIMER = /\b(confidential|intended (?:only )?for|privileged|disclaimer|if you (?:have )?received this|virus|environment before printing|unsubscribe|this e-?mail)\b/i;
const SOCIAL = /\b(linkedin|twitter|facebook|instagram|xing|youtube|calendly|book a (?:meeting|call)|schedule a)\b/i;

/** Splits signature lines into segments on the separators people use between fields. */
function segments(line: string): string[] {
  return line
    .split(/\s+[|¦•·/–—]\s+|\s*[|¦]\s*|\s{3,}|\t+/)
    .map((s) => s.trim().replace(/^[*_>\-–—•·]+\s*/, '').replace(/[*_]+$/, '').trim())
    .filter(Boolean);
}

function isCompanyLike(seg: string): boolean {
  return COMPANY_SUFFIX.test(seg) && seg.length <= 80 && !/@/.test(seg) && !/^\+?\d/.test(seg);
}

/**
 * "VP Sales, Acme GmbH" / "Head of IT at Acme" → [title, company, weak]. A company split off without a
 * company suffix ("Senior Manager - Strategic Sourcing") is weak: used only if no better one is found.
 */
export function splitTitleCompany(seg: string): [string, string | undefined, boolean] {
  const at = /^(.*?\S)\s+(?:at|@|bei|chez|presso|bij|hos)\s+(\p{Lu}.*)$/u.exec(seg);
  if (at && TITLE_WORDS.test(at[1]!)) return [at[1]!.trim(), at[2]!.trim().replace(/[,;.]+$/, ''), false];
  for (const sep of [/\s*,\s+/, /\s+[-–—]\s+/]) {
    const parts = seg.split(sep);
    if (parts.length < 2) continue;
    // The longest tail that is company-like: "Leiter Einkauf, Bergmann Logistik GmbH & Co. KG".
    for (let i = 1; i < parts.length; i++) {
      const tail = parts.slice(i).join(sep.source.includes(',') ? ', ' : ' - ');
      const head = parts.slice(0, i).join(sep.source.includes(',') ? ', ' : ' - ');
      if (isCompanyLike(tail) && ROLE_WORDS.test(head)) return [head.trim(), tail.trim(), false];
    }
    const last = parts[parts.length - 1]!;
    const head = parts.slice(0, -1).join(', ');
    if (!TITLE_WORDS.test(last) && /^\p{Lu}/u.test(last) && ROLE_WORDS.test(head) && last.split(/\s+/).length <= 6) {
      return [head.trim(), last.trim(), true];
    }
  }
  return [seg.trim(), undefined, false];
}

const LOCATION_LINE = /^(?:[\p{Lu}][\p{L}.' -]+,\s*)?(?:usa|u\.s\.a\.|us|uk|united kingdom|united states|germany|deutschland|france|spain|españa|italy|italia|australia|india|canada|ireland|netherlands|nederland|switzerland|schweiz|austria|österreich|sweden|norway|denmark|finland|poland|portugal|belgium|brazil|mexico|japan|singapore|new zealand|south africa|[A-Z]{2}\s+\d{5})$/iu;

/** Trailing separators and unbalanced brackets are not part of a company name. */
export function cleanCompany(value: string): string {
  let v = value.trim().replace(/[\s,;:–—(\[{-]+$/u, '').replace(/^[\s,;:–—)\]}-]+/u, '');
  if ((v.match(/\(/g) ?? []).length > (v.match(/\)/g) ?? []).length) v = v.replace(/\s*\([^)]*$/, '');
  if ((v.match(/\)/g) ?? []).length > (v.match(/\(/g) ?? []).length) v = v.replace(/\)+$/, '');
  return v.trim();
}

export interface CardHints {
  region: CountryCode;
  /** Tokens of the person's display name, to recognise the name line. */
  nameTokens?: string[];
  /** The person's email, when known from headers. */
  email?: string;
}

export function parseContactCard(text: string, hints: CardHints): CardFields {
  const why: Record<string, string> = {};
  const out: CardFields = { why };
  const rawLines = text
    .slice(0, 4000)
    // Gmail writes image alt text as "[image: Lakeshore Foods]": keep a company logo's name, drop the rest.
    .replace(/\[image:\s*([^\]]*)\]/gi, (_m, alt: string) =>
      /\b(headshot|photo|portrait|avatar|banner|icon|linkedin|twitter|facebook|instagram|youtube|badge|award)\b|\.(png|jpe?g|gif)$/i.test(alt) ? '' : alt.replace(/\s+logo$/i, ''),
    )
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && l.length <= 120 && !DISCLAIMER.test(l));
  let titleLine = -1;
  let nameLine = -1;
  const companyCandidates: Array<{ seg: string; line: number }> = [];
  let weakCompany: string | undefined;

  let titleSegment: string | undefined;
  let skipLine = -1;
  rawLines.forEach((line, li) => {
    if (li === skipLine) return;
    if (!out.email) {
      const em = line.match(EMAIL_IN_TEXT);
      const pick = em?.map((e) => normalizeEmail(e)).find((e) => e !== undefined);
      if (pick) {
        out.email = pick;
        why.email = `written in the block: "${line}"`;
      }
    }
    for (const segRaw of segments(line)) {
      let seg = segRaw.replace(LABEL_PREFIX, '').trim();
      // "Company: Skärgård Frakt AB" / "Titel: Einkaufsleiter": a label says what the value is.
      const labelled = /^(company|firma|företag|empresa|société|societe|unternehmen|bedrijf|azienda|organi[sz]ation|title|titel|position|befattning|funktion|poste|cargo|ruolo|functie)\s*:\s*(.+)$/iu.exec(seg);
      if (labelled) {
        const isCompany = /^(company|firma|företag|empresa|soci|unternehmen|bedrijf|azienda|organi)/i.test(labelled[1]!);
        if (isCompany && out.company === undefined) {
          out.company = labelled[2]!.trim();
          why.company = `labelled "${labelled[1]}" in the signature`;
          continue;
        }
        if (!isCompany && out.title === undefined) {
          out.title = labelled[2]!.trim();
          titleLine = li;
          why.title = `labelled "${labelled[1]}" in the signature`;
          continue;
        }
      }
      if (!seg) continue;
      if (/@/.test(seg) || URL_LIKE.test(seg) || SOCIAL.test(seg)) continue;
      const digits = seg.replace(/\D/g, '').length;
      if (digits >= 6 && digits / seg.length > 0.4) continue; // phone-ish
      if (ADDRESS_LIKE.test(seg) || LOCATION_LINE.test(seg)) continue;
      if (out.name !== undefined && !out.name.includes(' ') && titleLine < 0 && looksLikePersonName(seg.replace(/,\s*[A-Z][A-Za-z.]{1,8}\.?$/, ''))) {
        const fuller = normalizePersonName(seg);
        if (fuller && nameTokens(fuller)[0]?.startsWith(nameTokens(out.name)[0]?.slice(0, 3) ?? '\u0000')) {
          out.name = fuller;
          nameLine = li;
          why.name = `fuller name under the first-name sign-off: "${line}"`;
          continue;
        }
      }
      if (out.name === undefined && nameLine < 0 && titleLine < 0) {
        const tokens = nameTokens(seg);
        const matchesHint = hints.nameTokens?.length ? hints.nameTokens.some((t) => tokens.includes(t)) : false;
        const stripped = seg.replace(/,\s*(?:[A-Z][A-Za-z.]{1,8}\.?)(?:,?\s*[A-Z][A-Za-z.]{1,8}\.?)*$/, '');
        if ((looksLikePersonName(stripped) || (matchesHint && tokens.length <= 5)) && !TITLE_WORDS.test(stripped) && !isCompanyLike(seg)) {
          const n = normalizePersonName(seg);
          if (n && !/^\p{Ll}/u.test(seg)) {
            out.name = n;
            nameLine = li;
            why.name = matchesHint ? `signature line matching the sender's name: "${line}"` : `name-shaped first line of the block: "${line}"`;
            continue;
          }
        }
      }
      if (out.title === undefined && isRoleLike(seg) && seg.length <= 80 && !seg.includes(':')) {
        // "Lukas Zimmermann, Geschäftsführer": a name written before the title on the same segment.
        const lead = /^(\p{Lu}[\p{L}'’.-]+(?:\s+\p{Lu}[\p{L}'’.-]+){1,3}),\s+(.+)$/u.exec(seg);
        if (lead && out.name === undefined && looksLikePersonName(lead[1]!) && isRoleLike(lead[2]!)) {
          out.name = normalizePersonName(lead[1]!);
          nameLine = li;
          why.name = `name written before the title: "${line}"`;
          seg = lead[2]!;
        }
        const [title, company, weak] = splitTitleCompany(seg);
        if (company || !isCompanyLike(seg) || ROLE_WORDS.test(seg.replace(COMPANY_SUFFIX, ''))) {
          out.title = weak ? seg : title;
          titleSegment = seg;
          titleLine = li;
          why.title = `line with a job-title word: "${line}"`;
          // A title that a mail client wrapped ("Director, Carrier Partnerships &" / "Procurement Strategy").
          const next = rawLines[li + 1];
          if (/(?:[&,/+-]|\b(?:and|of|for|y|de|et|und|e|of the|del|della|van)\b)\s*$/i.test(seg) && next && !/[@\d]/.test(next) && next.length <= 60 && !isCompanyLike(next)) {
            out.title = `${out.title} ${next.trim()}`;
            skipLine = li + 1;
          }
          if (company && out.company === undefined) {
            if (weak) weakCompany = company;
            else {
              out.company = company;
              why.company = `company written with the title: "${line}"`;
            }
          }
          continue;
        }
      }
      if (out.company === undefined && isCompanyLike(seg)) {
        out.company = seg;
        why.company = `line with a company suffix: "${line}"`;
        continue;
      }
      companyCandidates.push({ seg, line: li });
    }
  });

  // A plain company name ("SourceWW", "Northwind") is accepted next to the title or name line.
  if (out.company === undefined) {
    const anchor = titleLine >= 0 ? titleLine : nameLine;
    const cand = companyCandidates.find(
      (c) =>
        anchor >= 0 &&
        (c.line === anchor || c.line === anchor + 1) &&
        c.seg.length <= 50 &&
        /^[\p{Lu}\d]/u.test(c.seg) &&
        !/[.!?]$/.test(c.seg) &&
        c.seg.split(/\s+/).length <= 5 &&
        !(out.name && nameTokens(c.seg).every((t) => nameTokens(out.name!).includes(t))),
    );
    if (cand) {
      out.company = cand.seg;
      why.company = `short capitalised line next to the ${titleLine >= 0 ? 'title' : 'name'}: "${cand.seg}"`;
    } else if (weakCompany && titleSegment) {
      // "VP Sales, Northwind" with no other company line: the tail is the company.
      out.title = splitTitleCompany(titleSegment)[0];
      out.company = weakCompany;
      why.company = 'written after the title on the same line';
    }
  }

  if (out.company) out.company = cleanCompany(out.company);
  const phones = findPhones(rawLines.join('\n'), hints.region);
  const firstVoice = phones.find((p) => !p.isFax);
  if (firstVoice) {
    out.phone = firstVoice.e164;
    why.phone = `first non-fax number in the block${firstVoice.label ? ` (labelled "${firstVoice.label}")` : ''}`;
  }
  return out;
}
