/**
 * SPF (RFC 7208) for `mailops dns-check`: record selection (§4.5), a parser/linter for one record
 * (§4.6, §5, §6, §7, §12), the check_host() evaluation of a sending IP (§4, §5), a static walk of
 * the whole include/redirect tree that counts what an evaluation may cost (§4.6.4), and the audit
 * of a domain that turns all of that into findings, aware of how Amazon SES sends (MAIL FROM).
 *
 * Where common linters are lenient (checkdmarc is the usual reference), this one follows the RFC:
 * an include target without SPF is an error (§5.2), a duplicate include counts again (§4.6.4),
 * TXT strings are joined with no separator (§3.3), `a/24` keeps its CIDR, and `+all`, `?all`,
 * a missing `all` and a `redirect` shadowed by `all` are reported.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { DnsClient, Lookup } from '../resolver.js';
import { addresses, describeLookupError, joinTxt } from '../resolver.js';
import type { CheckContext, Finding } from '../report.js';
import { finding, unknownFrom } from '../report.js';

// ─── Parsing ────────────────────────────────────────────────────────────────────────────────────

export type Qualifier = '+' | '-' | '~' | '?';
export type SpfResult = 'none' | 'neutral' | 'pass' | 'fail' | 'softfail' | 'temperror' | 'permerror';
export type MechanismName = 'all' | 'include' | 'a' | 'mx' | 'ptr' | 'ip4' | 'ip6' | 'exists';

/** What a matching mechanism yields, by its qualifier (RFC 7208 §4.6.2). */
export const QUALIFIER_RESULT: Record<Qualifier, 'pass' | 'fail' | 'softfail' | 'neutral'> = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' };

const MECHANISMS: ReadonlySet<string> = new Set<MechanismName>(['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists']);
/** Mechanisms and modifiers that cost a DNS lookup toward the limit of 10 (RFC 7208 §4.6.4). */
const LOOKUP_TERMS: ReadonlySet<string> = new Set(['include', 'a', 'mx', 'ptr', 'exists', 'redirect']);
const LOOKUP_LIMIT = 10;
const VOID_LIMIT = 2;

export interface SpfTerm {
  kind: 'mechanism' | 'modifier';
  /** Mechanism or modifier name, lower case. */
  name: string;
  /** Mechanisms only: '+' when none was written. */
  qualifier?: Qualifier;
  /** The domain-spec, IP network or modifier value as written (macros unexpanded). */
  value?: string;
  /** `ip4:…/n`, `a/n`, `mx/n`. */
  cidr4?: number;
  /** `ip6:…/n`, `a//n`, `mx//n`. */
  cidr6?: number;
  /** The term as written, and where it starts in the record. */
  text: string;
  position: number;
  /** After the first `all`: never evaluated (RFC 7208 §5.1). */
  afterAll: boolean;
}

export interface SpfSyntaxError {
  position: number;
  /** Says what is wrong and quotes the record with ➞ at `position`. */
  message: string;
}

export type SpfLintId = 'all' | 'no-all' | 'ptr' | 'after-all' | 'redirect-ignored';

export interface SpfLint {
  id: SpfLintId;
  severity: 'error' | 'warning';
  message: string;
  fix: string;
}

export interface ParsedSpf {
  record: string;
  /** No syntax errors: an evaluation may use the record (otherwise it is permerror, RFC 7208 §4.6). */
  valid: boolean;
  terms: SpfTerm[];
  /** Qualifier of the first `all`, when there is one. */
  all?: Qualifier;
  redirect?: string;
  exp?: string;
  syntaxErrors: SpfSyntaxError[];
  lints: SpfLint[];
}

/** The record with the marker ➞ inserted at a position. */
export function markAt(record: string, position: number): string {
  return `${record.slice(0, position)}➞${record.slice(position)}`;
}

interface Fault {
  at: number;
  what: string;
}

const MACRO_EXPAND = /^%\{([a-z])(\d*)(r?)([.\-+,/_=]*)\}/i;

/** A macro-string (RFC 7208 §7.1): visible ASCII, `%` only as `%{…}`, `%%`, `%_`, `%-`. */
function checkMacroString(s: string, explanationLetters: boolean): Fault | undefined {
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = ch.charCodeAt(0);
    if (ch !== '%') {
      if (code < 0x21 || code > 0x7e) return { at: i, what: `Invalid character ${JSON.stringify(ch)} (only visible ASCII is allowed)` };
      continue;
    }
    const next = s[i + 1];
    if (next === '%' || next === '_' || next === '-') {
      i++;
      continue;
    }
    if (next !== '{') return { at: i, what: 'Invalid SPF macro syntax: `%` must be followed by `{`, `%`, `_` or `-` (RFC 7208 §7.1)' };
    const m = MACRO_EXPAND.exec(s.slice(i));
    const letter = m?.[1]?.toLowerCase();
    if (!m || !letter || !'slodiphcrtv'.includes(letter)) {
      return { at: i, what: 'Invalid SPF macro syntax: expected `%{letter[digits][r][delimiters]}` with a letter from s l o d i p h c r t v (RFC 7208 §7.1)' };
    }
    if (m[2] && Number(m[2]) === 0) return { at: i, what: 'Invalid SPF macro syntax: the digit transformer must be greater than zero (RFC 7208 §7.3)' };
    if (!explanationLetters && 'crt'.includes(letter)) {
      return { at: i, what: `Invalid SPF macro: %{${m[1]}} is only allowed in explanation text, not in a domain (RFC 7208 §7.2)` };
    }
    i += m[0].length - 1;
  }
  return undefined;
}

const TOPLABEL = /^(?:[a-z0-9]*[a-z][a-z0-9]*|[a-z0-9]+-[a-z0-9-]*[a-z0-9])$/i;
const ENDS_WITH_MACRO = /(?:%\{[a-z]\d*r?[.\-+,/_=]*\}|%%|%_|%-)$/i;

/** A domain-spec (RFC 7208 §7.1): a macro-string ending in a macro or in `.` toplabel [`.`]. */
function checkDomainSpec(s: string): Fault | undefined {
  if (s === '') return { at: 0, what: 'Expected a domain name' };
  const macro = checkMacroString(s, false);
  if (macro) return macro;
  if (ENDS_WITH_MACRO.test(s)) return undefined;
  const t = s.endsWith('.') ? s.slice(0, -1) : s;
  const dot = t.lastIndexOf('.');
  if (dot < 0) return { at: 0, what: `Expected a fully qualified domain name, not \`${s}\`` };
  if (!TOPLABEL.test(t.slice(dot + 1))) return { at: dot + 1, what: `Expected a top-level label with a letter in it, not \`${t.slice(dot + 1)}\`` };
  return undefined;
}

const CIDR_SUFFIX = /(?:\/(\d+))?(?:\/\/(\d+))?$/;

function checkCidr(digits: string, max: number, family: string): string | undefined {
  if (!/^(?:0|[1-9]\d*)$/.test(digits) || Number(digits) > max) return `Invalid ${family} prefix length /${digits} (0 to ${max})`;
  return undefined;
}

type TermParse = { term: Omit<SpfTerm, 'position' | 'afterAll'> } | { fault: Fault };

function parseTerm(text: string): TermParse {
  const modifier = /^([a-z][a-z0-9_.-]*)=(.*)$/is.exec(text);
  if (modifier) {
    const name = modifier[1]!.toLowerCase();
    const value = modifier[2]!;
    const valueAt = modifier[1]!.length + 1;
    const fault = name === 'redirect' || name === 'exp' ? checkDomainSpec(value) : checkMacroString(value, true);
    if (fault) return { fault: { at: valueAt + fault.at, what: fault.what } };
    return { term: { kind: 'modifier', name, value, text } };
  }
  const head = /^([+\-~?]?)([a-z0-9]*)/i.exec(text)!;
  const qualifier = (head[1] || '+') as Qualifier;
  const nameAt = head[1]!.length;
  const name = head[2]!.toLowerCase();
  const rest = text.slice(head[0].length);
  const restAt = head[0].length;
  if (!name) return { fault: { at: nameAt, what: 'Expected a mechanism (all, include, a, mx, ptr, ip4, ip6, exists) or a modifier (name=value)' } };
  if (!MECHANISMS.has(name)) {
    const hint = name === 'redirect' || name === 'exp' ? ` (a modifier is written \`${name}=…\`)` : rest.startsWith('=') ? ' (a modifier takes no qualifier)' : '';
    return { fault: { at: nameAt, what: `Unknown mechanism \`${head[2]}\`${hint}` } };
  }
  const base = { kind: 'mechanism' as const, name, qualifier, text };
  const needDomain = (spec: string, at: number): TermParse => {
    const fault = checkDomainSpec(spec);
    return fault ? { fault: { at: at + fault.at, what: fault.what } } : { term: { ...base, value: spec } };
  };
  switch (name) {
    case 'all':
      return rest ? { fault: { at: restAt, what: 'Expected whitespace after `all`' } } : { term: base };
    case 'include':
    case 'exists':
      if (!rest.startsWith(':')) return { fault: { at: restAt, what: `Expected \`:\` and a domain after \`${name}\`` } };
      if (rest === ':') return { fault: { at: restAt + 1, what: `Expected a domain after \`${name}:\`` } };
      return needDomain(rest.slice(1), restAt + 1);
    case 'ptr':
      if (!rest) return { term: base };
      if (!rest.startsWith(':')) return { fault: { at: restAt, what: 'Expected `:` and a domain after `ptr`' } };
      if (rest === ':') return { fault: { at: restAt + 1, what: 'Expected a domain after `ptr:`' } };
      return needDomain(rest.slice(1), restAt + 1);
    case 'a':
    case 'mx': {
      const cidr = CIDR_SUFFIX.exec(rest)!;
      const before = rest.slice(0, cidr.index);
      const term: Omit<SpfTerm, 'position' | 'afterAll'> = { ...base };
      if (cidr[1] !== undefined) {
        const bad = checkCidr(cidr[1], 32, 'IPv4');
        if (bad) return { fault: { at: restAt + cidr.index + 1, what: bad } };
        term.cidr4 = Number(cidr[1]);
      }
      if (cidr[2] !== undefined) {
        const bad = checkCidr(cidr[2], 128, 'IPv6');
        if (bad) return { fault: { at: restAt + cidr.index + (cidr[1] !== undefined ? cidr[1].length + 1 : 0) + 2, what: bad } };
        term.cidr6 = Number(cidr[2]);
      }
      if (before) {
        if (!before.startsWith(':')) return { fault: { at: restAt, what: `Expected \`:\` and a domain, \`/\` and an IPv4 prefix length or \`//\` and an IPv6 one after \`${name}\`` } };
        if (before === ':') return { fault: { at: restAt + 1, what: `Expected a domain after \`${name}:\`` } };
        const fault = checkDomainSpec(before.slice(1));
        if (fault) return { fault: { at: restAt + 1 + fault.at, what: fault.what } };
        term.value = before.slice(1);
      }
      return { term };
    }
    case 'ip4':
    case 'ip6': {
      const family = name === 'ip4' ? 'IPv4' : 'IPv6';
      if (!rest.startsWith(':') || rest === ':') return { fault: { at: restAt + (rest.startsWith(':') ? 1 : 0), what: `Expected \`:\` and an ${family} network after \`${name}\`` } };
      const value = rest.slice(1);
      const valueAt = restAt + 1;
      const pct = value.indexOf('%');
      if (pct >= 0) return { fault: { at: valueAt + pct, what: `Macros are not allowed in ${name} (RFC 7208 §5.6)` } };
      const slash = value.indexOf('/');
      const network = slash < 0 ? value : value.slice(0, slash);
      const ok = name === 'ip4' ? isIPv4(network) : isIPv6(network);
      if (!ok) {
        const looks = name === 'ip4' && isIPv6(network) ? ' (it looks like IPv6: use `ip6:`)' : name === 'ip6' && isIPv4(network) ? ' (it looks like IPv4: use `ip4:`)' : '';
        return { fault: { at: valueAt, what: `\`${network}\` is not a valid ${family} address${looks}` } };
      }
      const term: Omit<SpfTerm, 'position' | 'afterAll'> = { ...base, value: network };
      if (slash >= 0) {
        const bad = checkCidr(value.slice(slash + 1), name === 'ip4' ? 32 : 128, family);
        if (bad) return { fault: { at: valueAt + slash + 1, what: bad } };
        term[name === 'ip4' ? 'cidr4' : 'cidr6'] = Number(value.slice(slash + 1));
      }
      return { term };
    }
  }
  return { fault: { at: nameAt, what: `Unknown mechanism \`${name}\`` } };
}

/**
 * Parse and lint one SPF record (its TXT strings already joined). Syntax follows RFC 7208 §12;
 * the lints are about what the record means: `+all`, `?all`, no `all`, `ptr`, text after `all`,
 * `redirect` shadowed by `all`.
 */
export function parseSpf(record: string): ParsedSpf {
  const parsed: ParsedSpf = { record, valid: false, terms: [], syntaxErrors: [], lints: [] };
  const fail = (position: number, what: string) =>
    parsed.syntaxErrors.push({ position, message: `${what} at position ${position} (marked with ➞) in: ${markAt(record, position)}` });
  const version = /^v=spf1(?= |$)/i.exec(record);
  if (!version) {
    fail(0, 'Expected `v=spf1` followed by a space or the end of the record (RFC 7208 §4.5)');
    return parsed;
  }
  const tokens: Array<{ text: string; position: number }> = [];
  for (const m of record.slice(6).matchAll(/[^ ]+/g)) tokens.push({ text: m[0], position: 6 + m.index });
  let afterAll = false;
  for (let k = 0; k < tokens.length; k++) {
    const { text, position } = tokens[k]!;
    const r = parseTerm(text);
    if ('fault' in r) {
      const glued = /^(.+?)([+\-~?]?all)$/i.exec(text);
      const next = tokens[k + 1];
      if (glued && !('fault' in parseTerm(glued[1]!))) {
        fail(position + glued[1]!.length, `Expected whitespace before \`${glued[2]}\``);
      } else if (/^[+\-~?]?(include|exists|a|mx|ptr|ip4|ip6):$|^(redirect|exp)=$/i.test(text) && next && next.position === position + text.length + 1) {
        fail(position + text.length, `Expected a domain right after \`${text}\`, found a space`);
        k++;
      } else {
        fail(position + r.fault.at, r.fault.what);
      }
      continue;
    }
    const term: SpfTerm = { ...r.term, position, afterAll };
    parsed.terms.push(term);
    if (term.kind === 'modifier' && (term.name === 'redirect' || term.name === 'exp')) {
      if (parsed[term.name] !== undefined) fail(position, `Multiple \`${term.name}\` modifiers (RFC 7208 §6)`);
      else parsed[term.name] = term.value!;
    }
    if (term.kind === 'mechanism' && term.name === 'all' && !afterAll) {
      parsed.all = term.qualifier!;
      afterAll = true;
    }
  }
  parsed.valid = parsed.syntaxErrors.length === 0;
  parsed.lints = lintParsed(parsed);
  return parsed;
}

function lintParsed(p: ParsedSpf): SpfLint[] {
  const lints: SpfLint[] = [];
  if (p.all === '+') {
    const written = p.terms.find((t) => t.name === 'all')!.text;
    lints.push({ id: 'all', severity: 'error', message: `\`${written}\` authorises every host on the Internet to send as this domain`, fix: `Replace \`${written}\` with \`~all\` (or \`-all\` once every sender is listed)` });
  } else if (p.all === '?') {
    lints.push({ id: 'all', severity: 'warning', message: '`?all` gives unlisted hosts a neutral result, which is the same as having no policy', fix: 'Replace `?all` with `~all` (or `-all` once every sender is listed)' });
  }
  if (p.all === undefined && p.redirect === undefined) {
    lints.push({ id: 'no-all', severity: 'warning', message: 'The record has no `all` and no `redirect`, so unlisted hosts get neutral (RFC 7208 §4.7)', fix: 'End the record with `~all` (or `-all` once every sender is listed)' });
  }
  if (p.all !== undefined && p.redirect !== undefined) {
    lints.push({ id: 'redirect-ignored', severity: 'warning', message: `\`redirect=${p.redirect}\` is ignored because the record has \`all\` (RFC 7208 §5.1, §6.1)`, fix: `Remove \`redirect=${p.redirect}\`, or remove the \`all\` term if the redirect is what you meant` });
  }
  if (p.terms.some((t) => t.name === 'ptr' && t.kind === 'mechanism' && !t.afterAll)) {
    lints.push({ id: 'ptr', severity: 'warning', message: 'The ptr mechanism should not be used: it is slow, unreliable and some receivers skip it (RFC 7208 §5.5)', fix: 'Replace `ptr` with `ip4:`/`ip6:` ranges or `a:` names of the sending hosts' });
  }
  const ignored = p.terms.filter((t) => t.afterAll && !(t.kind === 'modifier' && (t.name === 'exp' || t.name === 'redirect')));
  if (ignored.length) {
    lints.push({
      id: 'after-all',
      severity: 'warning',
      message: `Any text after the all mechanism other than an exp modifier is ignored: ${ignored.map((t) => `\`${t.text}\``).join(', ')}`,
      fix: `Move ${ignored.map((t) => `\`${t.text}\``).join(', ')} before \`all\` if it is meant to count, or delete it`,
    });
  }
  return lints;
}

// ─── Record selection ───────────────────────────────────────────────────────────────────────────

export interface SpfSelection {
  /** The SPF record, when there is exactly one. */
  record?: string;
  /** Every TXT record that is an SPF record (RFC 7208 §4.5). */
  records: string[];
  count: number;
  /** A deprecated Sender ID record (`spf2.0/…`) is published too. */
  senderId: boolean;
  senderIdRecords: string[];
  /** TXT records that look like SPF but are not (`v=spf10`, `v=spf1foo`, leading whitespace). */
  nearMisses: string[];
}

/** RFC 7208 §4.5: an SPF record is exactly `v=spf1` or begins with `v=spf1 ` (case-insensitive). */
export function selectSpf(txtRecords: string[]): SpfSelection {
  const records = txtRecords.filter((t) => /^v=spf1(?: |$)/i.test(t));
  // Sender ID (RFC 4406) records begin `spf2.0/`; some are published as `v=spf2.0/…`.
  const senderIdRecords = txtRecords.filter((t) => /^(?:v=)?spf2\.0\//i.test(t));
  const nearMisses = txtRecords.filter((t) => !records.includes(t) && !senderIdRecords.includes(t) && /^\s*v\s*=\s*spf/i.test(t));
  return {
    ...(records.length === 1 ? { record: records[0]! } : {}),
    records,
    count: records.length,
    senderId: senderIdRecords.length > 0,
    senderIdRecords,
    nearMisses,
  };
}

// ─── Addresses ──────────────────────────────────────────────────────────────────────────────────

interface Address {
  family: 4 | 6;
  bytes: number[];
}

function parseAddress(text: string): Address | undefined {
  const s = text.trim().replace(/%.*$/, '');
  if (isIPv4(s)) return { family: 4, bytes: s.split('.').map(Number) };
  if (!isIPv6(s)) return undefined;
  const groups = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((g) => {
          if (!g.includes('.')) return [parseInt(g, 16)];
          const b = g.split('.').map(Number);
          return [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
        });
  const [head = '', tail] = s.split('::');
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return { family: 6, bytes: all.flatMap((g) => [g >> 8, g & 0xff]) };
}

/** The client address as SPF sees it: an IPv4-mapped IPv6 address is IPv4 (RFC 7208 §5). */
function clientAddress(text: string): Address | undefined {
  const a = parseAddress(text);
  if (a?.family === 6 && a.bytes.slice(0, 10).every((b) => b === 0) && a.bytes[10] === 0xff && a.bytes[11] === 0xff) return { family: 4, bytes: a.bytes.slice(12) };
  return a;
}

function inNetwork(ip: Address, net: Address, prefix: number): boolean {
  if (ip.family !== net.family) return false;
  let bits = prefix;
  for (let i = 0; i < ip.bytes.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((ip.bytes[i]! ^ net.bytes[i]!) & mask) !== 0) return false;
  }
  return true;
}

function addressText(a: Address): string {
  if (a.family === 4) return a.bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((a.bytes[i]! << 8) | a.bytes[i + 1]!).toString(16));
  return groups.join(':');
}

// ─── Macros ─────────────────────────────────────────────────────────────────────────────────────

interface MacroValues {
  sender: string;
  local: string;
  senderDomain: string;
  ip: Address;
  helo: string;
}

function macroLetter(letter: string, m: MacroValues, domain: string): string {
  switch (letter) {
    case 's':
      return m.sender;
    case 'l':
      return m.local;
    case 'o':
      return m.senderDomain;
    case 'd':
      return domain;
    case 'i':
      // IPv6 as dotted nibbles (RFC 7208 §7.3): 2001:db8::1 → 2.0.0.1.0.d.b.8.…
      return m.ip.family === 4 ? m.ip.bytes.join('.') : m.ip.bytes.flatMap((b) => [b >> 4, b & 0xf]).map((n) => n.toString(16)).join('.');
    case 'c':
      return addressText(m.ip);
    case 'v':
      return m.ip.family === 4 ? 'in-addr' : 'ip6';
    case 'h':
      return m.helo;
    case 't':
      return String(Math.floor(Date.now() / 1000));
    // p: the validated domain of the IP costs extra lookups and RFC 7208 §5.5/§7.3 discourage it;
    // "unknown" is the value the RFC gives when no validated name is found. r: the receiving host.
    default:
      return 'unknown';
  }
}

/** RFC 3986 unreserved characters stay; everything else is percent-encoded (uppercase macros). */
function urlEscape(s: string): string {
  return Array.from(new TextEncoder().encode(s), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** Expand a domain-spec (RFC 7208 §7.3) and keep it within 253 octets by dropping left labels. */
function expandDomainSpec(spec: string, m: MacroValues, domain: string): string {
  const out = spec.replace(/%\{([a-z])(\d*)(r?)([.\-+,/_=]*)\}|%%|%_|%-/gi, (whole, letter: string | undefined, digits: string, reverse: string, delimiters: string) => {
    if (whole === '%%') return '%';
    if (whole === '%_') return ' ';
    if (whole === '%-') return '%20';
    const l = letter!;
    const split = new RegExp(`[${(delimiters || '.').replace(/[-\\\]^]/g, '\\$&')}]`);
    const parts = macroLetter(l.toLowerCase(), m, domain).split(split);
    if (reverse) parts.reverse();
    const n = digits ? Number(digits) : parts.length;
    const value = parts.slice(Math.max(0, parts.length - n)).join('.');
    return l === l.toUpperCase() ? urlEscape(value) : value;
  });
  let name = out.replace(/\.$/, '');
  while (name.length > 253 && name.includes('.')) name = name.slice(name.indexOf('.') + 1);
  return name;
}

function isDomainName(name: string): boolean {
  const n = name.replace(/\.$/, '');
  if (!n || n.length > 253) return false;
  return n.split('.').every((label) => label.length > 0 && label.length <= 63 && /^[\x21-\x7e]+$/.test(label));
}

const normalise = (name: string) => name.toLowerCase().replace(/\.$/, '');

// ─── check_host() ───────────────────────────────────────────────────────────────────────────────

export interface SpfEvaluateOptions {
  /** MAIL FROM address (or a bare domain); `postmaster@<domain>` when absent (RFC 7208 §4.3). */
  sender?: string;
  /** HELO/EHLO name for the `h` macro; the domain when absent. */
  helo?: string;
  maxLookups?: number;
  maxVoidLookups?: number;
}

export interface SpfEvaluation {
  ip: string;
  domain: string;
  result: SpfResult;
  /** One sentence on why, e.g. `example.com: ip4:192.0.2.0/24 matched` or the error. */
  reason: string;
  /** The term that decided the result, and the record (domain) it sits in. */
  matched?: { domain: string; term: string };
  /** Every term evaluated, in order, with what it gave. */
  trail: string[];
  lookups: number;
  voidLookups: number;
}

class SpfAbort extends Error {
  constructor(
    readonly result: 'temperror' | 'permerror',
    readonly reason: string,
  ) {
    super(reason);
  }
}

interface EvalState {
  dns: DnsClient;
  ip: Address;
  macros: MacroValues;
  lookups: number;
  voids: number;
  maxLookups: number;
  maxVoids: number;
  trail: string[];
}

type HostOutcome = { result: 'none' | 'neutral' | 'pass' | 'fail' | 'softfail'; reason: string; matched?: { domain: string; term: string } };

function countLookup(st: EvalState, domain: string, term: string): void {
  st.lookups++;
  if (st.lookups > st.maxLookups) throw new SpfAbort('permerror', `${domain}: \`${term}\` is DNS lookup ${st.lookups}, over the limit of ${st.maxLookups} (RFC 7208 §4.6.4)`);
}

function countVoid(st: EvalState, domain: string, term: string): void {
  st.voids++;
  if (st.voids > st.maxVoids) throw new SpfAbort('permerror', `${domain}: \`${term}\` is void lookup ${st.voids}, over the limit of ${st.maxVoids} (RFC 7208 §4.6.4)`);
}

/** Records of a lookup, [] for NXDOMAIN/NODATA (counted as void), temperror for a DNS error. */
function recordsOf<T>(st: EvalState, l: Lookup<T>, what: string, domain: string, term: string): T[] {
  if (l.status === 'error') throw new SpfAbort('temperror', `${domain}: \`${term}\`: ${what}: ${describeLookupError(l.code)}`);
  if (l.status === 'ok') return l.records;
  countVoid(st, domain, term);
  return [];
}

function addressLookup(st: EvalState, host: string): Promise<Lookup<string>> {
  return st.ip.family === 4 ? st.dns.a(host) : st.dns.aaaa(host);
}

async function mechanismMatches(st: EvalState, term: SpfTerm, domain: string, chain: string[]): Promise<boolean> {
  const target = () => (term.value === undefined ? domain : expandDomainSpec(term.value, st.macros, domain));
  const rrtype = st.ip.family === 4 ? 'A' : 'AAAA';
  const prefix = st.ip.family === 4 ? (term.cidr4 ?? 32) : (term.cidr6 ?? 128);
  const matchesAny = (list: string[]) => list.some((a) => {
    const net = parseAddress(a);
    return net !== undefined && inNetwork(st.ip, net, prefix);
  });
  switch (term.name) {
    case 'all':
      return true;
    case 'ip4':
    case 'ip6': {
      const net = parseAddress(term.value!)!;
      return inNetwork(st.ip, net, (term.name === 'ip4' ? term.cidr4 : term.cidr6) ?? (net.family === 4 ? 32 : 128));
    }
    case 'a': {
      countLookup(st, domain, term.text);
      const t = target();
      if (!isDomainName(t)) return false;
      return matchesAny(recordsOf(st, await addressLookup(st, t), `${rrtype} ${t}`, domain, term.text));
    }
    case 'mx': {
      countLookup(st, domain, term.text);
      const t = target();
      if (!isDomainName(t)) return false;
      const hosts = recordsOf(st, await st.dns.mx(t), `MX ${t}`, domain, term.text).map((r) => r.exchange).filter(Boolean);
      if (hosts.length > 10) throw new SpfAbort('permerror', `${domain}: \`${term.text}\`: ${t} has ${hosts.length} MX records; an mx mechanism may look up at most 10 (RFC 7208 §4.6.4)`);
      const answers = await Promise.all(hosts.map((h) => addressLookup(st, h)));
      return answers.some((l, i) => matchesAny(recordsOf(st, l, `${rrtype} ${hosts[i]}`, domain, term.text)));
    }
    case 'ptr': {
      countLookup(st, domain, term.text);
      const t = normalise(target());
      const names = await st.dns.ptr(addressText(st.ip));
      // A DNS error on the PTR query means no match (RFC 7208 §5.5), not temperror.
      if (names.status === 'error') return false;
      const list = recordsOf(st, names, `PTR ${addressText(st.ip)}`, domain, term.text).slice(0, 10); // names past the 10th are ignored (§4.6.4)
      const answers = await Promise.all(list.map((n) => addressLookup(st, n)));
      return list.some((n, i) => {
        const l = answers[i]!;
        const name = normalise(n);
        return l.status === 'ok' && matchesAny(l.records) && (name === t || name.endsWith(`.${t}`));
      });
    }
    case 'exists': {
      countLookup(st, domain, term.text);
      const t = target();
      if (!isDomainName(t)) return false;
      // exists always asks for A, whatever the client's address family (RFC 7208 §5.7).
      return recordsOf(st, await st.dns.a(t), `A ${t}`, domain, term.text).length > 0;
    }
    case 'include': {
      countLookup(st, domain, term.text);
      const t = normalise(target());
      if (chain.includes(t)) throw new SpfAbort('permerror', `Include loop: ${[...chain, t].join(' -> ')}`);
      const inner = await checkHost(st, t, [...chain, t]);
      st.trail.push(`${t}: ${inner.result} (${inner.reason})`);
      if (inner.result === 'none') throw new SpfAbort('permerror', `${domain}: \`${term.text}\`: ${t} has no SPF record (RFC 7208 §5.2)`);
      return inner.result === 'pass';
    }
  }
  return false;
}

async function checkHost(st: EvalState, domain: string, chain: string[]): Promise<HostOutcome> {
  if (!isDomainName(domain) || !domain.includes('.')) return { result: 'none', reason: `${domain} is not a valid domain name (RFC 7208 §4.3)` };
  const txt = await st.dns.txt(domain);
  if (txt.status === 'error') throw new SpfAbort('temperror', `TXT ${domain}: ${describeLookupError(txt.code)}`);
  if (txt.status === 'nxdomain') return { result: 'none', reason: `${domain} does not exist` };
  const sel = selectSpf(txt.status === 'ok' ? joinTxt(txt.records) : []);
  if (sel.count === 0) return { result: 'none', reason: `${domain} has no SPF record` };
  if (sel.count > 1) throw new SpfAbort('permerror', `${domain} has ${sel.count} SPF records (RFC 7208 §4.5)`);
  const parsed = parseSpf(sel.record!);
  if (!parsed.valid) throw new SpfAbort('permerror', `${domain}: ${parsed.syntaxErrors[0]!.message}`);
  for (const term of parsed.terms) {
    if (term.kind !== 'mechanism' || term.afterAll) continue;
    const match = await mechanismMatches(st, term, domain, chain);
    st.trail.push(`${domain}: ${term.text} → ${match ? 'match' : 'no match'}`);
    if (match) return { result: QUALIFIER_RESULT[term.qualifier!], reason: `${domain}: \`${term.text}\` matched`, matched: { domain, term: term.text } };
  }
  if (parsed.redirect !== undefined && parsed.all === undefined) {
    countLookup(st, domain, `redirect=${parsed.redirect}`);
    const t = normalise(expandDomainSpec(parsed.redirect, st.macros, domain));
    if (chain.includes(t)) throw new SpfAbort('permerror', `Redirect loop: ${[...chain, t].join(' -> ')}`);
    st.trail.push(`${domain}: redirect=${t}`);
    const inner = await checkHost(st, t, [...chain, t]);
    if (inner.result === 'none') throw new SpfAbort('permerror', `${domain}: \`redirect=${parsed.redirect}\`: ${inner.reason} (RFC 7208 §6.1)`);
    return inner;
  }
  return { result: 'neutral', reason: `${domain}: no mechanism matched and there is no \`all\` (RFC 7208 §4.7)` };
}

/** RFC 7208 check_host(): the SPF result for mail from `ip` whose MAIL FROM domain is `domain`. */
export async function evaluateSpf(ip: string, domain: string, dns: DnsClient, opts: SpfEvaluateOptions = {}): Promise<SpfEvaluation> {
  const d = normalise(domain);
  const address = clientAddress(ip);
  const base = { ip, domain: d, trail: [] as string[], lookups: 0, voidLookups: 0 };
  if (!address) return { ...base, result: 'permerror', reason: `${ip} is not an IP address` };
  const sender = opts.sender ? (opts.sender.includes('@') ? opts.sender : `postmaster@${opts.sender}`) : `postmaster@${d}`;
  const at = sender.lastIndexOf('@');
  const st: EvalState = {
    dns,
    ip: address,
    macros: { sender, local: sender.slice(0, at) || 'postmaster', senderDomain: sender.slice(at + 1), ip: address, helo: opts.helo ?? d },
    lookups: 0,
    voids: 0,
    maxLookups: opts.maxLookups ?? LOOKUP_LIMIT,
    maxVoids: opts.maxVoidLookups ?? VOID_LIMIT,
    trail: base.trail,
  };
  try {
    const r = await checkHost(st, d, [d]);
    return { ...base, result: r.result, reason: r.reason, ...(r.matched ? { matched: r.matched } : {}), lookups: st.lookups, voidLookups: st.voids };
  } catch (err) {
    if (!(err instanceof SpfAbort)) throw err;
    return { ...base, result: err.result, reason: err.reason, lookups: st.lookups, voidLookups: st.voids };
  }
}

// ─── The static tree walk ───────────────────────────────────────────────────────────────────────

export interface SpfTreeLint {
  domain: string;
  /** The root has exactly one syntactically valid SPF record; otherwise nothing was walked. */
  rootStatus: 'ok' | 'none' | 'nxdomain' | 'multiple' | 'syntax' | 'error';
  record?: string;
  /** DNS-lookup terms an evaluation that matches nothing would spend, every include and redirect followed. */
  lookups: number;
  voidLookups: number;
  /** Include targets, each once, in record order (literal targets only). */
  includes: string[];
  /** Include targets written with macros, which only an evaluation can follow. */
  macroIncludes: string[];
  /** The `all` that ends an evaluation, following redirects. */
  allQualifier?: Qualifier;
  /** Some part of the tree could not be read (DNS error): the counts are lower bounds. */
  incomplete: boolean;
  findings: Finding[];
}

interface Walked {
  lookups: number;
  voids: number;
  includes: string[];
  all?: Qualifier | undefined;
}

interface Walker {
  dns: DnsClient;
  findings: Finding[];
  incomplete: boolean;
  macroIncludes: string[];
  /** Records still allowed to be walked: a tree bigger than this is far over the lookup limit anyway. */
  budget: number;
  /** The audited domain: its own record is linted separately, included ones here. */
  root: string;
}

const NOTHING: Walked = { lookups: 0, voids: 0, includes: [] };
const WALK_BUDGET = 200;

/** Expand the macros a static walk can know (`%{d}` and the escapes); undefined when others are used. */
function staticTarget(spec: string | undefined, domain: string): string | undefined {
  if (spec === undefined) return domain;
  const other = /%\{([a-z])/gi;
  for (const m of spec.matchAll(other)) if (m[1]!.toLowerCase() !== 'd') return undefined;
  const dummy: MacroValues = { sender: '', local: '', senderDomain: '', ip: { family: 4, bytes: [0, 0, 0, 0] }, helo: '' };
  return normalise(expandDomainSpec(spec, dummy, domain));
}

function sum(parts: Walked[]): Walked {
  return parts.reduce((a, b) => ({ lookups: a.lookups + b.lookups, voids: a.voids + b.voids, includes: [...a.includes, ...b.includes] }), NOTHING);
}

/** Fetch, select and parse the record an include or redirect points at; findings for what is wrong. */
async function followTarget(w: Walker, from: string, term: string, target: string, kind: 'include' | 'redirect'): Promise<{ parsed?: ParsedSpf; voids: number }> {
  const id = `${kind}-target`;
  const where = `\`${term}\` in the SPF record at ${from}`;
  const remove = `Remove \`${term}\` from the SPF record at ${from}`;
  const l = await w.dns.txt(target);
  if (l.status === 'error') {
    w.incomplete = true;
    w.findings.push(unknownFrom('spf', id, target, 'TXT', l, target)!);
    return { voids: 0 };
  }
  const consequence = kind === 'include' ? 'RFC 7208 §5.2 makes every SPF check of this domain permerror' : 'RFC 7208 §6.1 makes every SPF check of this domain permerror';
  if (l.status === 'nxdomain' || l.status === 'nodata') {
    const what = l.status === 'nxdomain' ? 'The domain does not exist' : 'It has no TXT records';
    w.findings.push(finding('spf', id, 'error', `${where}: ${target}: ${what}; ${consequence}`, { fix: `${remove}, or correct the domain name`, subject: target }));
    return { voids: 1 };
  }
  const sel = selectSpf(joinTxt(l.records));
  if (sel.count !== 1) {
    const what = sel.count === 0 ? 'it has no SPF record' : `it has ${sel.count} SPF records`;
    w.findings.push(finding('spf', id, 'error', `${where}: ${target}: ${what}; ${consequence}`, { fix: sel.count === 0 ? `${remove}, or publish an SPF record at ${target}` : `Keep exactly one \`v=spf1\` TXT record at ${target}`, subject: target }));
    return { voids: 0 };
  }
  const parsed = parseSpf(sel.record!);
  if (!parsed.valid) {
    w.findings.push(finding('spf', id, 'error', `${where}: the SPF record at ${target} is invalid, so every SPF check is permerror: ${parsed.syntaxErrors[0]!.message}`, { fix: `Fix the record at ${target} (or ask its owner to), or ${remove.charAt(0).toLowerCase()}${remove.slice(1)}`, subject: target }));
    return { voids: 0 };
  }
  return { parsed, voids: 0 };
}

/** Addresses of an `a` target or an MX host: 1 void lookup when it has none. */
async function lintTargetHost(w: Walker, from: string, term: string, host: string, label: string): Promise<number> {
  const l = await addresses(w.dns, host);
  if (l.status === 'error') {
    w.incomplete = true;
    w.findings.push(unknownFrom('spf', 'target', host, 'A/AAAA', l, host)!);
    return 0;
  }
  if (l.status === 'ok') return 0;
  w.findings.push(finding('spf', 'target', 'warning', `Error when processing \`${term}\` in the SPF record at ${from}: ${label} does not have any A or AAAA records (a void lookup, RFC 7208 §4.6.4)`, { fix: `Remove \`${term}\` from the SPF record at ${from}, or publish an address for ${host}`, subject: host }));
  return 1;
}

async function walkTerm(w: Walker, domain: string, term: SpfTerm, chain: string[]): Promise<Walked> {
  const one: Walked = { lookups: 1, voids: 0, includes: [] };
  const target = staticTarget(term.value, domain);
  switch (term.name) {
    case 'include': {
      if (target === undefined) {
        w.macroIncludes.push(term.value!);
        return one;
      }
      if (chain.includes(target)) {
        const loop = [...chain, target].join(' -> ');
        w.findings.push(finding('spf', 'loop', 'error', `Include loop: ${loop}; every SPF check of this domain is permerror`, { fix: `Remove \`${term.text}\` from the SPF record at ${domain}`, subject: loop }));
        return { ...one, includes: [target] };
      }
      if (--w.budget < 0) return { ...one, includes: [target] };
      const { parsed, voids } = await followTarget(w, domain, term.text, target, 'include');
      if (!parsed) return { lookups: 1, voids, includes: [target] };
      if (parsed.all === '+') {
        w.findings.push(finding('spf', 'include-all', 'error', `\`${term.text}\` in the SPF record at ${domain}: ${target} ends with \`+all\`, so the include passes every host on the Internet`, { fix: `Remove \`${term.text}\` from the SPF record at ${domain}`, subject: target }));
      }
      const sub = await walkRecord(w, target, parsed, [...chain, target], false);
      return { lookups: 1 + sub.lookups, voids: sub.voids, includes: [target, ...sub.includes] };
    }
    case 'a':
      if (target === undefined) return one;
      return { ...one, voids: await lintTargetHost(w, domain, term.text, target, target) };
    case 'exists': {
      if (target === undefined) return one;
      const l = await w.dns.a(target);
      if (l.status === 'error') {
        w.incomplete = true;
        w.findings.push(unknownFrom('spf', 'target', target, 'A', l, target)!);
        return one;
      }
      if (l.status === 'ok') return one;
      w.findings.push(finding('spf', 'target', 'warning', `\`${term.text}\` in the SPF record at ${domain}: ${target} has no A record, so the mechanism never matches (a void lookup)`, { fix: `Remove \`${term.text}\` from the SPF record at ${domain}, or publish an A record at ${target}`, subject: target }));
      return { ...one, voids: 1 };
    }
    case 'mx': {
      if (target === undefined) return one;
      const l = await w.dns.mx(target);
      if (l.status === 'error') {
        w.incomplete = true;
        w.findings.push(unknownFrom('spf', 'target', target, 'MX', l, target)!);
        return one;
      }
      if (l.status !== 'ok') {
        w.findings.push(finding('spf', 'target', 'warning', `Error when processing \`${term.text}\` in the SPF record at ${domain}: an mx mechanism points to ${target}, but that domain does not have any MX records (a void lookup)`, { fix: `Remove \`${term.text}\` from the SPF record at ${domain}, or publish MX records at ${target}`, subject: target }));
        return { ...one, voids: 1 };
      }
      const hosts = [...new Set(l.records.map((r) => normalise(r.exchange)).filter(Boolean))];
      if (l.records.length > 10) {
        w.findings.push(finding('spf', 'mx-limit', 'error', `\`${term.text}\` in the SPF record at ${domain}: ${target} has ${l.records.length} MX records; more than 10 makes the mx mechanism permerror (RFC 7208 §4.6.4)`, { fix: `Replace \`${term.text}\` with the ip4:/ip6: ranges of the hosts that send mail`, subject: target }));
        return one;
      }
      const voids = await Promise.all(hosts.map((h) => lintTargetHost(w, domain, term.text, h, `${h} (an MX host of ${target})`)));
      return { ...one, voids: voids.reduce((a, b) => a + b, 0) };
    }
    case 'ptr':
      // The root record's ptr is linted with the record; one in an included record costs the same.
      if (domain !== w.root) w.findings.push(finding('spf', 'ptr', 'warning', `\`${term.text}\` in the SPF record at ${domain} (included from ${w.root}): the ptr mechanism should not be used (RFC 7208 §5.5)`, { fix: `Ask the owner of ${domain} to replace ptr with ip4:/ip6: ranges, or list those ranges in ${w.root}'s record instead of the include`, subject: domain }));
      return one;
  }
  return NOTHING;
}

async function walkRedirect(w: Walker, domain: string, redirect: string, chain: string[]): Promise<Walked> {
  const term = `redirect=${redirect}`;
  const one: Walked = { lookups: 1, voids: 0, includes: [] };
  const target = staticTarget(redirect, domain);
  if (target === undefined || --w.budget < 0) return one;
  if (chain.includes(target)) {
    const loop = [...chain, target].join(' -> ');
    w.findings.push(finding('spf', 'loop', 'error', `Redirect loop: ${loop}; every SPF check of this domain is permerror`, { fix: `Remove \`${term}\` from the SPF record at ${domain}`, subject: loop }));
    return one;
  }
  const { parsed, voids } = await followTarget(w, domain, term, target, 'redirect');
  if (!parsed) return { ...one, voids };
  const sub = await walkRecord(w, target, parsed, [...chain, target], true);
  return { ...sub, lookups: 1 + sub.lookups };
}

async function walkRecord(w: Walker, domain: string, parsed: ParsedSpf, chain: string[], explanationUsed: boolean): Promise<Walked> {
  const evaluated = parsed.terms.filter((t) => t.kind === 'mechanism' && !t.afterAll && LOOKUP_TERMS.has(t.name));
  const redirect = parsed.redirect !== undefined && parsed.all === undefined ? walkRedirect(w, domain, parsed.redirect, chain) : Promise.resolve(undefined);
  // The explanation is fetched only after a fail, and only from the record the evaluation ended
  // in (an included record's exp is never used, RFC 7208 §6.2); it costs no lookup.
  const explanation = explanationUsed && parsed.exp !== undefined ? lintExplanation(w, domain, parsed.exp) : Promise.resolve();
  const [terms, redirected] = await Promise.all([Promise.all(evaluated.map((t) => walkTerm(w, domain, t, chain))), redirect, explanation]);
  const walked = sum(redirected ? [...terms, redirected] : terms);
  return { ...walked, all: parsed.all ?? redirected?.all };
}

async function lintExplanation(w: Walker, domain: string, exp: string): Promise<void> {
  const target = staticTarget(exp, domain);
  if (target === undefined) return;
  const l = await w.dns.txt(target);
  const fix = `Publish exactly one TXT record with the explanation text at ${target}, or remove \`exp=${exp}\` from the SPF record at ${domain}`;
  if (l.status === 'error') w.findings.push(unknownFrom('spf', 'exp', target, 'TXT', l, target)!);
  else if (l.status !== 'ok') w.findings.push(finding('spf', 'exp', 'warning', `No TXT records at exp value ${target} (from the SPF record at ${domain})`, { fix, subject: target }));
  else if (l.records.length > 1) w.findings.push(finding('spf', 'exp', 'warning', `Too many TXT records at exp value ${target} (${l.records.length}; an explanation needs exactly one)`, { fix, subject: target }));
}

/**
 * Walk the SPF tree of `domain` without an IP: every include and redirect, recursively, with the
 * lookups at each level asked together, so the walk costs one chain of round trips. Counts what an
 * evaluation that matches nothing would spend (RFC 7208 §4.6.4: a repeated include counts again)
 * and reports loops, include/redirect targets that make the record permerror, void targets,
 * `mx` targets over 10 MX records and the explanation target.
 */
export async function lintSpfTree(domain: string, dns: DnsClient): Promise<SpfTreeLint> {
  const d = normalise(domain);
  const result: SpfTreeLint = { domain: d, rootStatus: 'ok', lookups: 0, voidLookups: 0, includes: [], macroIncludes: [], incomplete: false, findings: [] };
  const txt = await dns.txt(d);
  if (txt.status !== 'ok') return { ...result, rootStatus: txt.status === 'error' ? 'error' : txt.status === 'nxdomain' ? 'nxdomain' : 'none', incomplete: txt.status === 'error' };
  const sel = selectSpf(joinTxt(txt.records));
  if (sel.count !== 1) return { ...result, rootStatus: sel.count === 0 ? 'none' : 'multiple' };
  const parsed = parseSpf(sel.record!);
  if (!parsed.valid) return { ...result, rootStatus: 'syntax', record: sel.record! };
  const w: Walker = { dns, findings: [], incomplete: false, macroIncludes: [], budget: WALK_BUDGET, root: d };
  const walked = await walkRecord(w, d, parsed, [d], true);
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const f of w.findings) {
    const key = `${f.id} ${f.subject ?? ''} ${f.message}`;
    if (!seen.has(key)) (seen.add(key), findings.push(f));
  }
  const times = new Map<string, number>();
  for (const i of walked.includes) times.set(i, (times.get(i) ?? 0) + 1);
  for (const [target, n] of times) {
    if (n > 1) findings.push(finding('spf', 'duplicate-include', 'warning', `Duplicate include: ${target} is included ${n} times, and each one counts toward the 10-lookup limit (RFC 7208 §4.6.4)`, { fix: `Keep a single \`include:${target}\` in the SPF tree of ${d}`, subject: target }));
  }
  const lookupTerms = parsed.terms.filter((t) => !t.afterAll && LOOKUP_TERMS.has(t.name) && !(t.name === 'redirect' && parsed.all !== undefined)).map((t) => `\`${t.text}\``);
  const over = walked.lookups > LOOKUP_LIMIT;
  const macroNote = w.macroIncludes.length ? `, plus whatever ${w.macroIncludes.map((m) => `include:${m}`).join(', ')} needs` : '';
  if (over) {
    findings.push(finding('spf', 'lookups', 'error', `${d}: Parsing the SPF record requires ${walked.lookups}/${LOOKUP_LIMIT} DNS lookups (RFC 7208 §4.6.4), so receivers get permerror`, {
      fix: `Cut DNS-lookup terms in the SPF record at ${d} (${lookupTerms.join(' ')}): replace a/mx with ip4:/ip6: ranges, drop ptr and includes of services you no longer use`,
    }));
  } else if (w.incomplete) {
    findings.push(finding('spf', 'lookups', 'unknown', `${d}: at least ${walked.lookups}/${LOOKUP_LIMIT} DNS lookups; part of the tree could not be read`, { fix: 'Re-run later, or point --resolver at a resolver that answers (your own recursive resolver, not a public one)' }));
  } else {
    findings.push(finding('spf', 'lookups', 'ok', `${d}: ${walked.lookups}/${LOOKUP_LIMIT} DNS lookups${macroNote}`));
  }
  if (walked.voids > VOID_LIMIT) {
    findings.push(finding('spf', 'void-lookups', 'error', `${d}: Parsing the SPF record has ${walked.voids}/${VOID_LIMIT} maximum void DNS lookups (RFC 7208 §4.6.4), so receivers may return permerror`, { fix: `Remove the terms of the SPF tree of ${d} whose targets have no records (listed as spf.target)` }));
  } else if (!w.incomplete) {
    findings.push(finding('spf', 'void-lookups', 'ok', `${d}: ${walked.voids}/${VOID_LIMIT} void DNS lookups`));
  }
  return {
    ...result,
    record: sel.record!,
    lookups: walked.lookups,
    voidLookups: walked.voids,
    includes: [...new Set(walked.includes)],
    macroIncludes: w.macroIncludes,
    ...(walked.all ? { allQualifier: walked.all } : {}),
    incomplete: w.incomplete,
    findings,
  };
}

// ─── The audit ──────────────────────────────────────────────────────────────────────────────────

export interface SpfFacts {
  record: string | undefined;
  lookups: number;
  voidLookups: number;
  /** The qualifier of the `all` that ends an evaluation, following redirects. */
  allQualifier: Qualifier | undefined;
  includes: string[];
  evaluations: SpfEvaluation[];
  /** amazonses.com is included somewhere in the tree of the domain. */
  includesAmazonSes: boolean;
  /** The SES custom MAIL FROM subdomain, when one is configured. */
  sesMailFrom?: { domain: string; record: string | undefined; includesAmazonSes: boolean; mx: string[] };
}

export interface CheckSpfOptions {
  /** The domain sends no mail: its record should be exactly `v=spf1 -all`. */
  parked?: boolean;
}

const AMAZON_SES = 'amazonses.com';
const SES_MAIL_FROM_RECORD = `v=spf1 include:${AMAZON_SES} ~all`;

/** The `ip4:`/`ip6:` term that lists an address (a mapped IPv6 address is listed as IPv4). */
function directive(ip: string): string {
  const a = clientAddress(ip);
  return a?.family === 4 ? `ip4:${addressText(a)}` : `ip6:${ip.trim().toLowerCase()}`;
}

/**
 * TXT strings are joined with no separator (RFC 7208 §3.3). When the record only parses with a
 * space at the joins, returns the strings as they should be published and where the first bad
 * join falls in the record.
 */
function brokenJoin(chunks: string[]): { fixed: string[]; position: number } | undefined {
  let position = -1;
  let offset = 0;
  const fixed = chunks.map((c, i) => {
    offset += c.length;
    const next = chunks[i + 1];
    if (next === undefined || c.endsWith(' ') || next.startsWith(' ')) return c;
    if (position < 0) position = offset;
    return `${c} `;
  });
  return position >= 0 && parseSpf(fixed.join('')).valid ? { fixed, position } : undefined;
}

/** The `spf` area of `mailops dns-check` for ctx.domain. */
export async function checkSpf(ctx: CheckContext, opts: CheckSpfOptions = {}): Promise<{ findings: Finding[]; facts: SpfFacts }> {
  const domain = normalise(ctx.domain);
  const findings: Finding[] = [];
  const add = (f: Finding | undefined) => f && findings.push(f);
  const suggested = opts.parked ? 'v=spf1 -all' : ['v=spf1', ...ctx.ips.map(directive), 'mx', '~all'].join(' ');
  const facts: SpfFacts = { record: undefined, lookups: 0, voidLookups: 0, allQualifier: undefined, includes: [], evaluations: [], includesAmazonSes: false };

  const txt = await ctx.dns.txt(domain);
  let chunks: string[] | undefined;
  if (txt.status === 'error') add(unknownFrom('spf', 'present', domain, 'TXT', txt));
  else if (txt.status === 'nxdomain') {
    add(finding('spf', 'nxdomain', 'error', `${domain}: The domain does not exist, so it has no SPF record`, { fix: `Check the spelling of ${domain}, or publish its zone with the TXT record \`${suggested}\`` }));
  } else {
    const joined = txt.status === 'ok' ? joinTxt(txt.records) : [];
    const sel = selectSpf(joined);
    const nearMiss = sel.nearMisses.length ? ` (${sel.nearMisses.map((t) => `\`${t}\``).join(', ')} is not one: according to RFC 7208 §4.5, an SPF record should be equal to v=spf1 or begin with v=spf1 followed by a space)` : '';
    if (sel.count === 0) {
      add(finding('spf', 'missing', 'error', `${domain}: An SPF record does not exist${nearMiss}`, { fix: `Publish the TXT record \`${suggested}\` at ${domain}${sel.nearMisses.length ? `, replacing ${sel.nearMisses.map((t) => `\`${t}\``).join(', ')}` : ''}` }));
    } else if (sel.count > 1) {
      add(finding('spf', 'multiple', 'error', `${domain}: The domain has multiple SPF TXT records (${sel.records.map((r) => `\`${r}\``).join(', ')}), so every SPF check is permerror (RFC 7208 §4.5)`, { fix: `Merge them into one \`v=spf1 …\` TXT record at ${domain} and delete the others` }));
    } else {
      facts.record = sel.record!;
      chunks = txt.status === 'ok' ? txt.records.find((c) => c.join('') === sel.record) : undefined;
      add(finding('spf', 'present', 'ok', `${domain}: ${sel.record}`));
    }
    if (sel.senderId) {
      add(finding('spf', 'sender-id', 'warning', `${domain}: A deprecated Sender ID record was found (${sel.senderIdRecords.map((r) => `\`${r}\``).join(', ')}); receivers ignore it`, { fix: `Delete the \`spf2.0/…\` TXT record at ${domain}` }));
    }
  }

  let tree: SpfTreeLint | undefined;
  const evaluations = Promise.all(ctx.ips.map((ip) => evaluateSpf(ip, domain, ctx.dns)));
  const mailFrom = ctx.path.ses && ctx.path.sesMailFrom ? checkSesMailFrom(ctx, normalise(ctx.path.sesMailFrom), domain) : undefined;

  if (facts.record !== undefined) {
    const parsed = parseSpf(facts.record);
    if (!parsed.valid) {
      const join = chunks && brokenJoin(chunks);
      const first = parsed.syntaxErrors[0]!.message;
      const more = parsed.syntaxErrors.length > 1 ? ` (and ${parsed.syntaxErrors.length - 1} more)` : '';
      if (join) {
        add(finding('spf', 'syntax', 'error', `${domain}: The TXT record is published as ${chunks!.length} strings, and receivers join them with no space (RFC 7208 §3.3), which breaks the record at position ${join.position} (marked with ➞): ${markAt(facts.record, join.position)}`, {
          fix: `The strings are joined with no space: put a space at the end of the first string, i.e. publish ${join.fixed.map((c) => JSON.stringify(c)).join(' ')} at ${domain}`,
        }));
      } else {
        add(finding('spf', 'syntax', 'error', `${domain}: ${first}${more}; every SPF check is permerror`, { fix: `Correct the SPF record at ${domain} at the ➞ marker` }));
      }
    } else {
      add(finding('spf', 'syntax', 'ok', `${domain}: the record parses (${parsed.terms.length} terms)`));
      for (const lint of parsed.lints) if (lint.id !== 'all' && lint.id !== 'no-all') add(finding('spf', lint.id, lint.severity, `${domain}: ${lint.message}`, { fix: `${lint.fix} (SPF record at ${domain})` }));
      tree = await lintSpfTree(domain, ctx.dns);
      findings.push(...tree.findings);
      facts.lookups = tree.lookups;
      facts.voidLookups = tree.voidLookups;
      facts.includes = tree.includes;
      facts.allQualifier = tree.allQualifier;
      facts.includesAmazonSes = tree.includes.includes(AMAZON_SES);
      // The effective `all` decides what unlisted hosts get, so it is judged after redirects.
      const all = tree.allQualifier;
      const allTerm = parsed.terms.find((t) => t.name === 'all' && !t.afterAll)?.text ?? `${all === '+' ? '+' : all}all`;
      const via = parsed.all === undefined && parsed.redirect !== undefined ? ` (via redirect=${parsed.redirect})` : '';
      if (all === '+') add(finding('spf', 'all', 'error', `${domain}: \`${allTerm}\`${via} authorises every host on the Internet to send as ${domain}`, { fix: `Replace \`${allTerm}\` with \`~all\` (or \`-all\` once every sender is listed) in the SPF record${via ? ` at ${parsed.redirect}` : ` at ${domain}`}` }));
      else if (all === '?') add(finding('spf', 'all', 'warning', `${domain}: \`?all\`${via} gives unlisted hosts a neutral result, the same as no policy`, { fix: `Replace \`?all\` with \`~all\` (or \`-all\` once every sender is listed) in the SPF record${via ? ` at ${parsed.redirect}` : ` at ${domain}`}` }));
      else if (all === '~' || all === '-') add(finding('spf', 'all', 'ok', `${domain}: \`${all}all\`${via}: mail from unlisted hosts ${all === '-' ? 'fails' : 'soft-fails'} SPF`));
      else if (parsed.redirect === undefined || !tree.findings.some((f) => f.severity !== 'ok' && (f.id === 'spf.redirect-target' || f.id === 'spf.loop' || f.id === 'spf.lookups'))) {
        // Through a redirect that could not be followed, the record has no `all` to judge.
        const at = via ? ` at ${parsed.redirect}` : ` at ${domain}`;
        add(finding('spf', 'all', 'warning', `${domain}: The SPF record${via} has no \`all\`, so unlisted hosts get neutral (RFC 7208 §4.7)`, { fix: `End the SPF record${at} with \`~all\` (or \`-all\` once every sender is listed)` }));
      }
      if (opts.parked && !/^v=spf1 +-all *$/i.test(facts.record)) {
        add(finding('spf', 'parked', 'warning', `${domain}: The SPF record for parked domains should be: v=spf1 -all not: ${facts.record}`, { fix: `Publish \`v=spf1 -all\` at ${domain} in place of the current record` }));
      }
    }
    // A single character-string over 255 octets cannot arrive from DNS, so only the joined size
    // is checked: over 450 bytes the whole answer risks the 512-byte UDP limit.
    if (Buffer.byteLength(facts.record) > 450) {
      add(finding('spf', 'size', 'warning', `${domain}: The SPF record is ${Buffer.byteLength(facts.record)} bytes; over 450 the DNS answer may not fit in 512-byte UDP (RFC 7208 §3.4)`, { fix: `Shorten the SPF record at ${domain}: merge ip4: ranges into CIDR blocks or move senders into an include` }));
    }
  }

  for (const e of await evaluations) {
    facts.evaluations.push(e);
    const how = e.matched ? ` (${e.matched.domain}: \`${e.matched.term}\`)` : '';
    const fixAdd = `Add \`${directive(e.ip)}\` to the SPF record at ${domain}`;
    if (e.result === 'pass') add(finding('spf', 'ip', 'ok', `${e.ip} passes SPF for ${domain}${how}`, { subject: e.ip }));
    else if (e.result === 'temperror') {
      add(finding('spf', 'ip', 'unknown', `${e.ip}: the SPF check for ${domain} hit a DNS error: ${e.reason}`, { fix: 'Re-run later, or point --resolver at a resolver that answers (your own recursive resolver, not a public one)', subject: e.ip }));
    } else if (e.result === 'permerror') {
      add(finding('spf', 'ip', 'error', `${e.ip}: SPF for ${domain} is permerror: ${e.reason}`, { fix: `Fix the SPF tree of ${domain} (see the other spf findings), then check ${e.ip} again`, subject: e.ip }));
    } else if (e.result === 'none') {
      add(finding('spf', 'ip', 'error', `${e.ip}: SPF for ${domain} is none (${e.reason})`, { fix: `Publish the TXT record \`${suggested}\` at ${domain}`, subject: e.ip }));
    } else {
      add(finding('spf', 'ip', 'error', `${e.ip}: SPF for ${domain} is ${e.result}${how}: receivers may reject or junk its mail`, { fix: fixAdd, subject: e.ip }));
    }
  }

  if (ctx.path.ses) {
    if (mailFrom) {
      const mf = await mailFrom;
      findings.push(...mf.findings);
      facts.sesMailFrom = mf.facts;
      if (facts.includesAmazonSes && mf.facts.domain !== domain) {
        add(finding('spf', 'ses-apex-include', 'info', `${domain}: include:${AMAZON_SES} is not needed for alignment (SES sends with MAIL FROM ${mf.facts.domain}, never the apex); it spends one DNS lookup`, { fix: `Remove \`include:${AMAZON_SES}\` from the SPF record at ${domain} unless another service sends with MAIL FROM ${domain}` }));
      }
    } else {
      add(finding('spf', 'ses-alignment', 'info', `${domain}: Without a custom MAIL FROM, SES sends with MAIL FROM ${AMAZON_SES}: SPF passes for ${AMAZON_SES} but is not aligned with ${domain}, so DMARC rests on DKIM`, { fix: `Configure a custom MAIL FROM subdomain in SES (e.g. bounce.${domain}) with \`${SES_MAIL_FROM_RECORD}\` and an MX to feedback-smtp.<region>.amazonses.com` }));
    }
  }
  return { findings, facts };
}

async function checkSesMailFrom(ctx: CheckContext, mf: string, domain: string): Promise<{ findings: Finding[]; facts: NonNullable<SpfFacts['sesMailFrom']> }> {
  const findings: Finding[] = [];
  const facts: NonNullable<SpfFacts['sesMailFrom']> = { domain: mf, record: undefined, includesAmazonSes: false, mx: [] };
  if (!mf.endsWith(`.${domain}`)) {
    findings.push(finding('spf', 'ses-mail-from', 'error', `SES custom MAIL FROM ${mf} is not a subdomain of ${domain}; SES requires a subdomain of the verified identity`, { fix: `Use a subdomain such as bounce.${domain} as the SES custom MAIL FROM`, subject: mf }));
  }
  const [txt, mx, tree] = await Promise.all([ctx.dns.txt(mf), ctx.dns.mx(mf), lintSpfTree(mf, ctx.dns)]);
  const publish = `Publish the TXT record \`${SES_MAIL_FROM_RECORD}\` at ${mf}`;
  if (txt.status === 'error') findings.push(unknownFrom('spf', 'ses-mail-from', mf, 'TXT', txt, mf)!);
  else {
    const sel = selectSpf(txt.status === 'ok' ? joinTxt(txt.records) : []);
    facts.record = sel.record;
    facts.includesAmazonSes = tree.includes.includes(AMAZON_SES);
    if (sel.count === 0) findings.push(finding('spf', 'ses-mail-from', 'error', `${mf} (SES MAIL FROM) has no SPF record, so SES mail fails SPF there and SES may fall back to ${AMAZON_SES}`, { fix: publish, subject: mf }));
    else if (sel.count > 1) findings.push(finding('spf', 'ses-mail-from', 'error', `${mf} (SES MAIL FROM) has ${sel.count} SPF records, so SPF is permerror`, { fix: `${publish} and delete the other v=spf1 records there`, subject: mf }));
    else if (tree.rootStatus === 'syntax') findings.push(finding('spf', 'ses-mail-from', 'error', `${mf} (SES MAIL FROM): ${parseSpf(sel.record!).syntaxErrors[0]!.message}`, { fix: `${publish} in place of \`${sel.record}\``, subject: mf }));
    else if (!facts.includesAmazonSes) findings.push(finding('spf', 'ses-mail-from', tree.incomplete ? 'unknown' : 'error', `${mf} (SES MAIL FROM): \`${sel.record}\` does not include ${AMAZON_SES}, so SES mail ${tree.incomplete ? 'may fail' : 'fails'} SPF`, { fix: `${publish} in place of \`${sel.record}\``, subject: mf }));
    else findings.push(finding('spf', 'ses-mail-from', 'ok', `${mf} (SES MAIL FROM): ${sel.record}`, { subject: mf }));
    // What is wrong further down the MAIL FROM tree (limits, targets), named by the subdomain.
    for (const f of tree.findings) if (f.severity !== 'ok') findings.push({ ...f, message: `${mf} (SES MAIL FROM): ${f.message}`, subject: f.subject ?? mf });
  }
  const mxFix = `Publish \`MX 10 feedback-smtp.<region>.amazonses.com\` at ${mf} (<region> is your SES region, e.g. us-east-1)`;
  if (mx.status === 'error') findings.push(unknownFrom('spf', 'ses-mail-from-mx', mf, 'MX', mx, mf)!);
  else {
    facts.mx = mx.status === 'ok' ? mx.records.map((r) => normalise(r.exchange)) : [];
    const ses = facts.mx.find((h) => h.endsWith(`.${AMAZON_SES}`));
    if (ses) findings.push(finding('spf', 'ses-mail-from-mx', 'ok', `${mf} (SES MAIL FROM): MX ${ses}`, { subject: mf }));
    else findings.push(finding('spf', 'ses-mail-from-mx', 'error', `${mf} (SES MAIL FROM) has no MX pointing to feedback-smtp.<region>.amazonses.com${facts.mx.length ? ` (MX: ${facts.mx.join(', ')})` : ''}, so SES cannot verify it and falls back to ${AMAZON_SES} or rejects the mail`, { fix: mxFix, subject: mf }));
  }
  return { findings, facts };
}
