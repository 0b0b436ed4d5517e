/**
 * DMARC (RFC 9989, which obsoletes RFC 7489): the record parser and linter, policy discovery by
 * the DNS tree walk (RFC 9989 §4.10), the 'dmarc' audit of a domain, and the 'alignment'
 * feasibility of the way mailops sends (Amazon SES or the own Mailcow host).
 *
 * What RFC 9989 changed and this module follows: `pct`, `rf` and `ri` are gone (reported, then
 * dropped); `np`, `psd` and `t` are new; a record without a valid `p` counts as `p=none` only when
 * it has a usable `rua`, otherwise receivers apply no DMARC at all; the organizational domain
 * comes from the tree walk (at most 8 queries), not from a public suffix list.
 */
import { finding, unknownFrom, type CheckContext, type Finding } from '../report.js';
import { addresses, joinTxt, type DnsClient, type Lookup } from '../resolver.js';

export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

/** One `mailto:` destination from `rua` or `ruf`. */
export interface ReportUri {
  /** As published, e.g. `mailto:dmarc@example.com!10m`. */
  uri: string;
  address: string;
  /** The address's domain, lower case: where the reports are delivered. */
  host: string;
  /** The obsolete `!size` suffix, when present (RFC 9989 tells reporters to ignore it). */
  size?: string;
}

/** Something wrong or noteworthy in one record; `code` becomes the finding id `dmarc.<code>`. */
export interface DmarcProblem {
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  fix: string;
  /** The tag (`p`, `rua`…) or, for a syntax error, `position N`. */
  subject?: string;
}

export interface DmarcPolicies {
  /** For the domain the record is published for (`p`). */
  policy: DmarcPolicy;
  /** For its existing subdomains (`sp`, else `p`). */
  subdomainPolicy: DmarcPolicy;
  /** For its non-existent subdomains (`np`, else `sp`, else `p`). */
  nonexistentPolicy: DmarcPolicy;
}

export interface ParsedDmarc {
  record: string;
  /** Starts with the version tag `v=DMARC1` (tag name in any case, value exactly `DMARC1`). */
  isDmarc: boolean;
  /** No error-severity problem (warnings allowed). */
  valid: boolean;
  /** The recognised tags as published (first occurrence, names lower case), in record order. */
  tags: Record<string, string>;
  /**
   * How a receiver acts on the record (RFC 9989 §4.10.1): 'policy' as published; 'implicit-none'
   * when `p` is missing or invalid (or `sp`/`np` invalid) but `rua` has a usable address, so
   * everything is `none`; 'none' when there is no usable `rua` either: no DMARC processing.
   */
  processing: 'policy' | 'implicit-none' | 'none';
  /** Explicit, valid `p`/`sp`/`np` values as published. */
  p?: DmarcPolicy;
  sp?: DmarcPolicy;
  np?: DmarcPolicy;
  /** Policies with the defaults filled in (sp←p; np←sp if explicit, else p), before `t=y`. */
  published?: DmarcPolicies;
  /** What receivers apply: `published` lowered one level when `t=y`. */
  effective?: DmarcPolicies;
  adkim: 'r' | 's';
  aspf: 'r' | 's';
  fo: string[];
  rua: ReportUri[];
  ruf: ReportUri[];
  psd: 'y' | 'n' | 'u';
  t: 'y' | 'n';
  problems: DmarcProblem[];
}

const POLICIES: readonly string[] = ['none', 'quarantine', 'reject'];
const KNOWN_TAGS = new Set(['v', 'p', 'sp', 'np', 'adkim', 'aspf', 'fo', 'rua', 'ruf', 'psd', 't']);
const REMOVED_TAGS = new Set(['pct', 'rf', 'ri']);
const VALUE_SETS: Record<string, readonly string[]> = {
  p: POLICIES,
  sp: POLICIES,
  np: POLICIES,
  adkim: ['r', 's'],
  aspf: ['r', 's'],
  psd: ['y', 'n', 'u'],
  t: ['y', 'n'],
};
const MARKER = '➞';
const VERSION = /^[vV][ \t]*=[ \t]*DMARC1[ \t]*(?:;|$)/;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** True when the text is a DMARC record to a receiver: it begins with the version tag (RFC 9989 §4.7). */
export function isDmarcRecord(text: string): boolean {
  return VERSION.test(text);
}

/** `t=y` asks receivers to apply one level less (RFC 9989 §4.7); it has no effect on `none`. */
export function lowerPolicy(p: DmarcPolicy): DmarcPolicy {
  return p === 'reject' ? 'quarantine' : 'none';
}

const marked = (record: string, pos: number) => `${record.slice(0, pos)}${MARKER}${record.slice(pos)}`;
const isWsp = (c: string | undefined) => c === ' ' || c === '\t';

/** Parse and lint one DMARC record (the text of one TXT record, chunks already joined). */
export function parseDmarc(record: string): ParsedDmarc {
  const problems: DmarcProblem[] = [];
  const base: ParsedDmarc = { record, isDmarc: false, valid: false, tags: {}, processing: 'none', adkim: 'r', aspf: 'r', fo: [], rua: [], ruf: [], psd: 'u', t: 'n', problems };
  const version = VERSION.exec(record);
  if (!version) {
    problems.push({ code: 'version', severity: 'error', message: `Not a DMARC record, receivers ignore it: ${notDmarcReason(record)}`, fix: 'Begin the record with exactly `v=DMARC1;` (upper case DMARC1, no leading space), e.g. `v=DMARC1; p=none`' });
    return base;
  }
  base.isDmarc = true;
  const tags: Record<string, string> = {};
  const order: string[] = [];
  const seen = new Set(['v']);
  const syntax = (pos: number, expected: string) =>
    problems.push({ code: 'syntax', severity: 'error', subject: `position ${pos}`, message: `Expected ${expected} at position ${pos} (marked with ${MARKER}) in: ${marked(record, pos)}`, fix: 'Write every tag as `name=value`, tags separated by `;`, e.g. `v=DMARC1; p=none; rua=mailto:dmarc@example.com`' });

  // Segments after the version tag, each with its offset so errors point into the record.
  let start = version[0].endsWith(';') ? version[0].length : record.length;
  while (start < record.length) {
    let end = record.indexOf(';', start);
    if (end < 0) end = record.length;
    const read = readTag(record, start, end);
    start = end + 1;
    if (!read) continue;
    if ('expected' in read) {
      syntax(read.at, read.expected);
      continue;
    }
    const { name, value } = read;
    const tag = name.toLowerCase();
    if (seen.has(tag)) {
      problems.push({ code: 'duplicate-tag', severity: 'error', subject: tag, message: `Duplicate ${tag} tags are not permitted (${tag}=${value} repeats it); receivers may read either`, fix: `Keep one \`${tag}=\` tag in the record` });
      continue;
    }
    seen.add(tag);
    if (REMOVED_TAGS.has(tag)) {
      problems.push({ code: 'removed-tag', severity: 'warning', subject: tag, message: `The ${tag} tag (${tag}=${value}) was removed in RFC 9989; receivers ignore it${tag === 'pct' ? ' (use t=y to test a policy)' : ''}`, fix: `Remove \`${name}=${value}\` from the record` });
    } else if (!KNOWN_TAGS.has(tag)) {
      problems.push({ code: 'unknown-tag', severity: 'warning', subject: tag, message: `Unknown DMARC tag '${tag}' (${tag}=${value}) is ignored (RFC 9989 §4.7: unknown tags MUST be ignored)`, fix: `Remove \`${name}=${value}\` from the record, or correct the tag name` });
    } else {
      tags[tag] = value;
      order.push(tag);
    }
  }
  base.tags = tags;

  // Enumerated values (case-insensitive, RFC 5234 quoted strings).
  const valid: Record<string, string> = {};
  const invalid: string[] = [];
  for (const [tag, set] of Object.entries(VALUE_SETS)) {
    const raw = tags[tag];
    if (raw === undefined) continue;
    if (set.includes(raw.toLowerCase())) valid[tag] = raw.toLowerCase();
    else invalid.push(tag);
  }
  if (valid.adkim) base.adkim = valid.adkim as 'r' | 's';
  if (valid.aspf) base.aspf = valid.aspf as 'r' | 's';
  if (valid.psd) base.psd = valid.psd as 'y' | 'n' | 'u';
  if (valid.t) base.t = valid.t as 'y' | 'n';
  if (valid.p) base.p = valid.p as DmarcPolicy;
  if (valid.sp) base.sp = valid.sp as DmarcPolicy;
  if (valid.np) base.np = valid.np as DmarcPolicy;
  for (const tag of ['rua', 'ruf'] as const) {
    if (tags[tag] === undefined) continue;
    const { uris, problems: uriProblems } = parseReportUris(tag, tags[tag]);
    base[tag] = uris;
    problems.push(...uriProblems);
  }

  // A missing or invalid p, or an invalid sp/np: p=none if rua has a usable address, else no DMARC (RFC 9989 §4.10.1).
  const policyBroken = !base.p || invalid.includes('sp') || invalid.includes('np');
  base.processing = !policyBroken ? 'policy' : base.rua.length ? 'implicit-none' : 'none';
  const consequence = base.processing === 'implicit-none' ? 'receivers act as if the record said p=none (RFC 9989 §4.10.1: rua has a valid address)' : 'receivers apply no DMARC processing at all (RFC 9989 §4.10.1: no valid rua either)';
  for (const tag of invalid) {
    const set = VALUE_SETS[tag]!;
    const after = ['p', 'sp', 'np'].includes(tag) ? `; ${consequence}` : `; the default ${tag === 'psd' ? 'u' : tag === 't' ? 'n' : 'r'} applies`;
    problems.push({ code: 'tag-value', severity: 'error', subject: tag, message: `Tag ${tag} must have one of the following values: ${set.join(', ')} — not ${tags[tag]}${after}`, fix: `Set \`${tag}=\` to one of ${set.map((x) => `\`${x}\``).join(', ')}` });
  }
  if (tags.p === undefined) {
    problems.push({ code: 'policy-missing', severity: base.processing === 'none' ? 'error' : 'warning', subject: 'p', message: `No p tag: ${consequence}`, fix: 'Add `p=none` right after `v=DMARC1;` (then move to quarantine and reject)' });
  } else if (base.p && order[0] !== 'p') {
    problems.push({ code: 'tag-order', severity: 'warning', subject: 'p', message: 'The p tag does not immediately follow the v tag; RFC 7489 receivers expect it there', fix: 'Move `p=` right after `v=DMARC1;`' });
  }

  if (tags.fo !== undefined) {
    const items = tags.fo.toLowerCase().split(':').map((x) => x.trim());
    if (items.some((x) => !['0', '1', 'd', 's'].includes(x))) {
      problems.push({ code: 'tag-value', severity: 'error', subject: 'fo', message: `Tag fo must be a colon-separated list of 0, 1, d, s — not ${tags.fo}; the default 0 applies`, fix: 'Set `fo=1` (or remove fo: the default is 0)' });
    } else {
      base.fo = [...new Set(items)];
      if (items.includes('0') && items.includes('1')) problems.push({ code: 'fo', severity: 'warning', subject: 'fo', message: `fo=${tags.fo}: the values 0 and 1 are mutually exclusive in RFC 9989`, fix: 'Keep only one of them, e.g. `fo=1`' });
      if (tags.ruf === undefined) problems.push({ code: 'fo-without-ruf', severity: 'info', subject: 'fo', message: `fo=${tags.fo} has no effect without a ruf tag (RFC 9989 §4.7)`, fix: 'Remove the fo tag, or add `ruf=mailto:…` if you want failure reports' });
    }
  }

  if (base.processing !== 'none') {
    const p = base.processing === 'policy' ? base.p! : 'none';
    const sp = base.processing === 'policy' ? (base.sp ?? p) : 'none';
    const np = base.processing === 'policy' ? (base.np ?? base.sp ?? p) : 'none';
    base.published = { policy: p, subdomainPolicy: sp, nonexistentPolicy: np };
    base.effective = base.t === 'y' ? { policy: lowerPolicy(p), subdomainPolicy: lowerPolicy(sp), nonexistentPolicy: lowerPolicy(np) } : { ...base.published };
  }
  base.valid = !problems.some((x) => x.severity === 'error');
  return base;
}

/** One `name = value` segment of a record between `start` and `end` (a `;` or the end): the tag,
 *  nothing for an empty segment, or where it went wrong and what was expected there. */
function readTag(record: string, start: number, end: number): { name: string; value: string } | { at: number; expected: string } | undefined {
  let s = start;
  while (s < end && isWsp(record[s])) s++;
  if (s === end) return undefined;
  const name = /^[A-Za-z]+/.exec(record.slice(s, end))?.[0];
  if (!name) return { at: s, expected: 'a tag name (letters)' };
  let e = s + name.length;
  while (e < end && isWsp(record[e])) e++;
  if (e >= end || record[e] !== '=') return { at: e, expected: `'=' after tag '${name}'` };
  let vs = e + 1;
  while (vs < end && isWsp(record[vs])) vs++;
  let ve = end;
  while (ve > vs && isWsp(record[ve - 1])) ve--;
  if (vs >= ve) return { at: vs, expected: `a value for tag '${name}'` };
  const bad = record.slice(vs, ve).search(/[^\x20-\x7e]/);
  if (bad >= 0) return { at: vs + bad, expected: `a printable ASCII character in the value of tag '${name}'` };
  return { name, value: record.slice(vs, ve) };
}

function notDmarcReason(record: string): string {
  if (record === '') return 'the record is empty';
  if (isWsp(record[0]) || /^\s/.test(record)) return 'it begins with whitespace; the version tag must come first';
  const v = /^[vV][ \t]*=[ \t]*([^;]*)/.exec(record);
  if (!v) return 'the first tag must be v=DMARC1';
  return `the version must be exactly DMARC1 (case-sensitive), not ${v[1]!.trim() || '(empty)'}`;
}

function parseReportUris(tag: 'rua' | 'ruf', value: string): { uris: ReportUri[]; problems: DmarcProblem[] } {
  const uris: ReportUri[] = [];
  const problems: DmarcProblem[] = [];
  const kind = tag === 'rua' ? 'aggregate' : 'failure';
  const invalid = (uri: string, why: string) =>
    problems.push({ code: 'report-uri', severity: 'error', subject: `${tag} ${uri}`, message: `${tag}: ${uri || '(empty)'} ${why}; receivers skip it`, fix: `Write ${kind} report destinations as comma-separated mailto: URIs, e.g. \`${tag}=mailto:dmarc@example.com\`` });
  for (const uri of value.split(',').map((x) => x.trim())) {
    const m = /^mailto:(.*)$/i.exec(uri);
    if (!m) {
      invalid(uri, 'is not a mailto: URI');
      continue;
    }
    let rest = m[1]!;
    let size: string | undefined;
    const sized = /!(\d+[kmgt]?)$/i.exec(rest);
    if (sized) {
      size = sized[1]!;
      rest = rest.slice(0, sized.index);
    }
    if (rest.includes('!')) {
      invalid(uri, "has a '!' that is not a size suffix (encode it as %21)");
      continue;
    }
    let address: string;
    try {
      address = decodeURIComponent(rest.split('?')[0]!);
    } catch {
      invalid(uri, 'has a malformed %-escape');
      continue;
    }
    const at = address.lastIndexOf('@');
    const host = address.slice(at + 1).toLowerCase().replace(/\.$/, '');
    if (at < 1 || /\s/.test(address) || !HOSTNAME.test(host)) {
      invalid(uri, 'does not hold a valid mail address');
      continue;
    }
    uris.push({ uri, address, host, ...(size ? { size } : {}) });
    if (size) problems.push({ code: 'report-size', severity: 'warning', subject: `${tag} ${uri}`, message: `${tag}: the size limit !${size} in ${uri} is obsolete in RFC 9989; reporters ignore it`, fix: `Remove \`!${size}\` from ${uri}` });
  }
  if (uris.length > 2) problems.push({ code: 'report-count', severity: 'warning', subject: tag, message: `${tag} lists ${uris.length} URIs; some reporters send to no more than two ${tag} URIs`, fix: `Keep at most two ${tag} destinations` });
  return { uris, problems };
}

/** The record rebuilt from its valid tags, `p` first, with `changes` applied (undefined removes). */
export function suggestRecord(parsed: ParsedDmarc | undefined, changes: Record<string, string | undefined>): string {
  const tags: Array<[string, string]> = [];
  if (parsed) {
    const norm: Record<string, string | undefined> = {
      p: parsed.p,
      sp: parsed.sp,
      np: parsed.np,
      adkim: parsed.tags.adkim !== undefined ? parsed.adkim : undefined,
      aspf: parsed.tags.aspf !== undefined ? parsed.aspf : undefined,
      fo: parsed.fo.length ? parsed.fo.join(':') : undefined,
      rua: parsed.rua.length ? parsed.rua.map((u) => `mailto:${u.address}`).join(',') : undefined,
      ruf: parsed.ruf.length ? parsed.ruf.map((u) => `mailto:${u.address}`).join(',') : undefined,
      psd: parsed.tags.psd !== undefined ? parsed.psd : undefined,
      t: parsed.tags.t !== undefined ? parsed.t : undefined,
    };
    for (const tag of Object.keys(parsed.tags)) if (norm[tag] !== undefined) tags.push([tag, norm[tag]!]);
  }
  for (const [tag, value] of Object.entries(changes)) {
    const i = tags.findIndex(([t]) => t === tag);
    if (value === undefined) {
      if (i >= 0) tags.splice(i, 1);
    } else if (i >= 0) tags[i] = [tag, value];
    else tags.push([tag, value]);
  }
  const p = tags.findIndex(([t]) => t === 'p');
  if (p > 0) tags.unshift(...tags.splice(p, 1));
  return ['v=DMARC1', ...tags.map(([t, v]) => `${t}=${v}`)].join('; ');
}

// ---------------------------------------------------------------------------------------------
// Discovery (RFC 9989 §4.10, §4.10.1, §4.10.2)

/** What one `_dmarc.<name>` query returned. */
export interface DmarcNameLookup {
  /** The domain whose record was asked for, e.g. `example.com`. */
  name: string;
  /** The name queried, e.g. `_dmarc.example.com`. */
  query: string;
  status: Lookup<unknown>['status'];
  code?: string;
  /** TXT texts that are DMARC records (begin with `v=DMARC1`). */
  records: string[];
  /** Every other TXT text at that name. */
  others: string[];
}

/** Something wrong at a `_dmarc` name; `kind` becomes the finding id. */
export interface DmarcDiscoveryIssue {
  query: string;
  kind: 'multiple' | 'spf-at-dmarc' | 'whitespace' | 'version' | 'unrelated-txt';
  severity: 'error' | 'info';
  text: string;
}

export interface DmarcDiscovery {
  domain: string;
  /** 'unknown' when a lookup failed before the applicable record could be known. */
  result: 'found' | 'missing' | 'unknown';
  /** The `_dmarc` names queried, in order (at most 8). */
  namesQueried: string[];
  lookups: DmarcNameLookup[];
  /** The domain whose record applies (the domain itself, its organizational domain or its PSD). */
  policyDomain?: string;
  /** `_dmarc.<policyDomain>`. */
  location?: string;
  record?: string;
  parsed?: ParsedDmarc;
  /** The record comes from a parent: the domain's policy is that record's sp (or np). */
  inherited: boolean;
  orgDomain: string;
  /** How the organizational domain was found (RFC 9989 §4.10.2). */
  orgDomainFrom: 'psd=n' | 'psd=y' | 'fewest-labels' | 'no-record';
  /** Whether the domain exists (NXDOMAIN means it does not; asked only when the record is inherited). */
  domainExists: boolean | 'unknown';
  /** The tag whose policy applies to the domain. */
  appliedTag?: 'p' | 'sp' | 'np';
  /** The policy that applies to the domain as published, and after `t=y`. */
  publishedPolicy?: DmarcPolicy;
  domainPolicy?: DmarcPolicy;
  issues: DmarcDiscoveryIssue[];
  /** The failed lookup, when one failed (the result is 'unknown' unless the domain's own record was found). */
  error?: { query: string; lookup: Lookup<unknown> };
}

const normalize = (d: string) => d.trim().toLowerCase().replace(/\.$/, '');

/** The names a tree walk visits from `domain` (RFC 9989 §4.10): the domain, then — past 8 labels —
 *  a jump to its last 7 labels, then one label less each step, down to the TLD: at most 8 names. */
export function treeWalkNames(domain: string): string[] {
  const labels = normalize(domain).split('.');
  const names = [labels.join('.')];
  let n = labels.length >= 8 ? 7 : labels.length - 1;
  for (; n >= 1; n--) names.push(labels.slice(-n).join('.'));
  return names;
}

/** Policy discovery for `domain` (RFC 9989 §4.10.1): its own `_dmarc` record, else its
 *  organizational domain's, else its public suffix domain's. The walk runs on past the domain's own
 *  record (to the TLD, or to the first record with psd=y/psd=n) because the report-destination and
 *  alignment checks need the organizational domain (§4.10.2); for a registered domain that costs
 *  one more query (`_dmarc.<tld>`). */
export async function discoverDmarc(domain: string, dns: DnsClient): Promise<DmarcDiscovery> {
  const d = normalize(domain);
  const out: DmarcDiscovery = { domain: d, result: 'missing', namesQueried: [], lookups: [], inherited: false, orgDomain: d, orgDomainFrom: 'no-record', domainExists: true, issues: [] };
  // Every name of the walk is asked at once (at most 8, RFC 9989 §4.10); the answers are then read
  // in the walk's order, which stops at the first record with psd=y or psd=n. So the walk costs one
  // round trip, and at worst a few answers nobody reads.
  const names = treeWalkNames(d);
  for (const name of names) void dns.txt(`_dmarc.${name}`);
  for (const name of names) {
    const query = `_dmarc.${name}`;
    out.namesQueried.push(query);
    const l = await dns.txt(query);
    const at: DmarcNameLookup = { name, query, status: l.status, records: [], others: [] };
    if (l.status === 'error') {
      at.code = l.code;
      out.lookups.push(at);
      out.error = { query, lookup: l };
      break;
    }
    for (const text of l.status === 'ok' ? joinTxt(l.records) : []) {
      if (isDmarcRecord(text)) at.records.push(text);
      else {
        at.others.push(text);
        const trimmed = text.trim();
        const kind = isDmarcRecord(text.trimStart()) ? 'whitespace' : /^v[ \t]*=[ \t]*spf1(?:\s|$)/i.test(trimmed) ? 'spf-at-dmarc' : /^v[ \t]*=[ \t]*dmarc/i.test(trimmed) ? 'version' : 'unrelated-txt';
        out.issues.push({ query, kind, severity: kind === 'unrelated-txt' ? 'info' : 'error', text });
      }
    }
    // More than one DMARC record at a name: all are discarded (RFC 9989 §4.10 step 2).
    if (at.records.length > 1) out.issues.push({ query, kind: 'multiple', severity: 'error', text: at.records.join(' | ') });
    out.lookups.push(at);
    const single = at.records.length === 1 ? parseDmarc(at.records[0]!) : undefined;
    if (single && (single.psd === 'y' || single.psd === 'n')) break;
  }

  const found = out.lookups.filter((x) => x.records.length === 1).map((x) => ({ name: x.name, parsed: parseDmarc(x.records[0]!) }));
  const own = found.find((x) => x.name === d);
  // A failed lookup leaves the applicable record unknown, unless the domain's own record answered.
  if (out.error && !own) {
    out.result = 'unknown';
    return out;
  }

  // Organizational domain (§4.10.2), from the records found, longest name first.
  let psdRecord: (typeof found)[number] | undefined;
  const psdN = found.find((x) => x.parsed.psd === 'n');
  const psdY = found.find((x) => x.parsed.psd === 'y' && x.name !== d);
  if (psdN) {
    out.orgDomain = psdN.name;
    out.orgDomainFrom = 'psd=n';
  } else if (psdY) {
    psdRecord = psdY;
    out.orgDomain = d.split('.').slice(-(psdY.name.split('.').length + 1)).join('.');
    out.orgDomainFrom = 'psd=y';
  } else if (found.length) {
    out.orgDomain = found[found.length - 1]!.name;
    out.orgDomainFrom = 'fewest-labels';
  }

  // The applicable record (§4.10.1): the domain's own, else the organizational domain's, else the PSD's.
  const applied = own ?? found.find((x) => x.name === out.orgDomain) ?? psdRecord;
  if (!applied) return out;
  out.result = 'found';
  out.policyDomain = applied.name;
  out.location = `_dmarc.${applied.name}`;
  out.record = applied.parsed.record;
  out.parsed = applied.parsed;
  out.inherited = applied !== own;
  if (!out.inherited) out.appliedTag = 'p';
  else {
    // Non-existent means NXDOMAIN (RFC 9989 §3.2.13); NODATA still exists.
    const a = await dns.a(d);
    out.domainExists = a.status === 'error' ? 'unknown' : a.status !== 'nxdomain';
    out.appliedTag = out.domainExists === false ? 'np' : 'sp';
  }
  const pick = (p: DmarcPolicies | undefined) => (p ? (out.appliedTag === 'p' ? p.policy : out.appliedTag === 'sp' ? p.subdomainPolicy : p.nonexistentPolicy) : undefined);
  const published = pick(applied.parsed.published);
  const effective = pick(applied.parsed.effective);
  if (published) out.publishedPolicy = published;
  if (effective) out.domainPolicy = effective;
  return out;
}

// ---------------------------------------------------------------------------------------------
// The 'dmarc' audit

export interface DmarcFacts {
  /** A record applies to the domain; 'unknown' when the lookups failed. */
  found: boolean | 'unknown';
  record?: string;
  /** Where the applicable record is, e.g. `_dmarc.example.com`. */
  location?: string;
  policyDomain?: string;
  inherited: boolean;
  /** The tag that sets the domain's own policy (p, or the parent's sp/np). */
  appliedTag?: 'p' | 'sp' | 'np';
  /** Effective policies of the record (after `t=y`), for its domain, existing and non-existent subdomains. */
  policy?: DmarcPolicy;
  subdomainPolicy?: DmarcPolicy;
  nonexistentPolicy?: DmarcPolicy;
  /** The effective policy for the audited domain itself. */
  domainPolicy?: DmarcPolicy;
  testing: boolean;
  adkim: 'r' | 's';
  aspf: 'r' | 's';
  /** Report addresses (mailto: stripped). */
  rua: string[];
  ruf: string[];
  orgDomain: string;
  namesQueried: string[];
}

const ISSUE_TEXT: Record<DmarcDiscoveryIssue['kind'], { message: (i: DmarcDiscoveryIssue) => string; fix: (i: DmarcDiscoveryIssue) => string }> = {
  multiple: {
    message: (i) => `${i.query} has more than one DMARC record, so receivers discard them all (RFC 9989 §4.10): ${i.text}`,
    fix: (i) => `Delete all but one \`v=DMARC1\` TXT record at \`${i.query}\``,
  },
  'spf-at-dmarc': {
    message: (i) => `${i.query} answers an SPF record (${i.text}) where the DMARC record belongs — usually a wildcard TXT or a CNAME at that name`,
    fix: (i) => `Publish a TXT record \`v=DMARC1; p=none\` at \`${i.query}\` (an explicit record overrides the wildcard) and remove any CNAME there`,
  },
  whitespace: {
    message: (i) => `The record at ${i.query} begins with whitespace, so receivers do not see a DMARC record: '${i.text}'`,
    fix: (i) => `Re-publish it at \`${i.query}\` without the leading space: \`${i.text.trim()}\``,
  },
  version: {
    message: (i) => `${i.query} has a record that looks like DMARC but is not one to receivers: the version tag must be exactly v=DMARC1 (value case-sensitive): ${i.text}`,
    fix: (i) => `Re-publish it at \`${i.query}\` beginning with \`v=DMARC1;\``,
  },
  'unrelated-txt': {
    message: (i) => `${i.query} also holds a TXT record that is not DMARC (receivers skip it): ${i.text}`,
    fix: (i) => `Remove the unrelated TXT record from \`${i.query}\` unless something else needs it there`,
  },
};

/** Organizational-domain test used for report destinations: the host is the policy domain's
 *  organizational domain (from the tree walk) or below it. Asking the tree walk for each
 *  destination's own organizational domain would cost up to 8 queries per host; for the
 *  question "is this destination outside our organization" the containment test gives the same
 *  answer whenever our organizational domain is right, and needs no public suffix list. */
export function sameOrganization(host: string, orgDomain: string): boolean {
  const h = normalize(host);
  const o = normalize(orgDomain);
  return h === o || h.endsWith(`.${o}`);
}

export async function checkDmarc(ctx: CheckContext): Promise<{ findings: Finding[]; facts: DmarcFacts }> {
  const domain = normalize(ctx.domain);
  const { dns } = ctx;
  const f: Finding[] = [];
  const add = (id: string, severity: Finding['severity'], message: string, fix?: string, subject?: string) => f.push(finding('dmarc', id, severity, message, { fix, subject }));
  const [disc, apex] = await Promise.all([discoverDmarc(domain, dns), dns.txt(domain)]);
  const parsed = disc.parsed;
  const facts: DmarcFacts = {
    found: disc.result === 'unknown' ? 'unknown' : disc.result === 'found' && parsed?.processing !== 'none',
    inherited: disc.inherited,
    testing: parsed?.t === 'y',
    adkim: parsed?.adkim ?? 'r',
    aspf: parsed?.aspf ?? 'r',
    rua: parsed?.rua.map((u) => u.address) ?? [],
    ruf: parsed?.ruf.map((u) => u.address) ?? [],
    orgDomain: disc.orgDomain,
    namesQueried: disc.namesQueried,
    ...(disc.record ? { record: disc.record } : {}),
    ...(disc.location ? { location: disc.location, policyDomain: disc.policyDomain } : {}),
    ...(disc.appliedTag ? { appliedTag: disc.appliedTag } : {}),
    ...(parsed?.effective ? { policy: parsed.effective.policy, subdomainPolicy: parsed.effective.subdomainPolicy, nonexistentPolicy: parsed.effective.nonexistentPolicy } : {}),
    ...(disc.domainPolicy ? { domainPolicy: disc.domainPolicy } : {}),
  };
  const ownQuery = `_dmarc.${domain}`;

  if (disc.result === 'unknown') {
    const e = disc.error!;
    f.push(unknownFrom('dmarc', 'present', e.query, 'TXT', e.lookup)!);
    return { findings: f, facts };
  }
  if (disc.error) f.push(unknownFrom('dmarc', 'org-domain', disc.error.query, 'TXT', disc.error.lookup)!);

  // What sits at the queried names: the domain's own name fully, parents only for errors.
  for (const i of disc.issues) {
    if (i.query !== ownQuery && i.severity !== 'error') continue;
    const s = ISSUE_TEXT[i.kind];
    add(i.kind, i.severity, s.message(i), s.fix(i), i.query);
  }
  const ownHasRecord = disc.lookups[0]?.records.length === 1;
  const ownExplained = disc.issues.some((i) => i.query === ownQuery && i.severity === 'error');

  // A DMARC record at the domain itself (not under _dmarc) is never read by receivers.
  const apexRecords = apex.status === 'ok' ? joinTxt(apex.records).filter(isDmarcRecord) : [];
  if (apex.status === 'error') f.push(unknownFrom('dmarc', 'location', domain, 'TXT', apex)!);
  else if (apexRecords.length && !ownHasRecord) {
    add('location', 'error', `The DMARC record is in the wrong location: it must be at ${ownQuery}, not at ${domain} itself, where receivers never look`, `Publish \`${apexRecords[0]}\` as TXT at \`${ownQuery}\` and delete it from \`${domain}\``);
  } else if (apexRecords.length) {
    add('location', 'warning', `The DMARC record at the root of ${domain} has no effect (receivers read ${ownQuery}): ${apexRecords[0]}`, `Delete the \`v=DMARC1\` TXT record at \`${domain}\``);
  }

  if (disc.result === 'missing' || !parsed) {
    if (!apexRecords.length && !ownExplained) {
      add('missing', 'error', `A DMARC record does not exist for ${domain} or its parent domains (queried ${disc.namesQueried.join(', ')})`, `Publish TXT \`v=DMARC1; p=none; rua=mailto:dmarc@${domain}\` at \`${ownQuery}\``);
    }
    return { findings: f, facts };
  }

  const loc = disc.location!;
  const policyDomain = disc.policyDomain!;
  const suggest = (changes: Record<string, string | undefined>) => `\`${suggestRecord(parsed, changes)}\` at \`${loc}\``;
  const ruaDefault = `mailto:dmarc@${policyDomain}`;

  // Where the record comes from.
  if (disc.inherited) {
    const exists = disc.domainExists === 'unknown' ? 'whose existence could not be checked (assumed to exist)' : disc.domainExists ? 'which exists' : 'which does not exist (NXDOMAIN)';
    const tag = disc.appliedTag!;
    const explicit = tag === 'sp' ? parsed.sp : parsed.np;
    const fallback = explicit ? '' : tag === 'sp' ? ' (no sp tag, so p applies)' : parsed.sp ? ' (no np tag, so sp applies)' : ' (no np tag, so p applies)';
    const skipped = disc.lookups.filter((x) => x.records.length === 1 && x.name !== domain && x.name !== policyDomain).map((x) => x.query);
    const note = skipped.length ? `; the record at ${skipped.join(', ')} does not apply to ${domain} (only the domain's own, its organizational domain's or its public suffix domain's record does, RFC 9989 §4.10.1)` : '';
    add('inherited', 'info', `No DMARC record at ${ownQuery}; ${domain} gets its policy from ${loc} (organizational domain ${disc.orgDomain}): for ${domain}, ${exists}, the ${tag} tag applies: ${tag}=${disc.publishedPolicy ?? 'n/a'}${fallback}${note}`, `To give ${domain} a policy of its own, publish TXT \`v=DMARC1; p=${disc.publishedPolicy ?? 'none'}; rua=${ruaDefault}\` at \`${ownQuery}\``);
  }
  if (parsed.processing !== 'none' && !disc.inherited) add('present', 'ok', `${loc}: ${parsed.record}`);

  for (const p of parsed.problems) add(p.code, p.severity, `${loc}: ${p.message}`, p.fix, p.subject);
  if (parsed.processing === 'none') return { findings: f, facts };

  // The policy for the domain itself (p, or the parent's sp/np), as published.
  const tag = disc.appliedTag!;
  const applied = disc.publishedPolicy!;
  const bulk = 'the bulk-sender minimum of Gmail, Yahoo and Microsoft (a published DMARC policy, p=none accepted) is met';
  // With no valid policy (implicit-none), the policy-missing / tag-value finding already says so.
  if (parsed.processing === 'policy') {
    if (applied === 'none') {
      add('policy', 'warning', `${tag}=none in ${loc} leaves DMARC unenforced for mail from ${domain} (receivers only report); ${bulk}`, `Once aggregate reports show all legitimate mail passing, publish ${suggest({ [tag]: 'quarantine' })}, and later ${tag}=reject (none → quarantine → reject)`);
    } else if (applied === 'quarantine') {
      add('policy', 'info', `${tag}=quarantine in ${loc}: failing mail from ${domain} goes to spam; reject is the last step`, `When reports stay clean, publish ${suggest({ [tag]: 'reject' })}`);
    } else {
      add('policy', 'ok', `${tag}=reject in ${loc}: failing mail from ${domain} is refused`);
    }
  }

  // sp/np only count in a record at the organizational domain or a PSD (RFC 9989 §4.7).
  const subMatters = policyDomain === disc.orgDomain || parsed.psd === 'y';
  if (parsed.processing === 'policy' && (parsed.sp || parsed.np)) {
    if (!subMatters && !disc.error) {
      add('subdomain-policy', 'info', `${loc}: sp/np have no effect in a record below the organizational domain ${disc.orgDomain}; subdomains of ${policyDomain} take their policy from _dmarc.${disc.orgDomain}`, `Set the subdomain policy in the record at \`_dmarc.${disc.orgDomain}\`, and drop sp/np from \`${loc}\``);
    } else if (parsed.p !== 'none') {
      for (const t of ['sp', 'np'] as const) {
        if (parsed[t] !== 'none' || (disc.inherited && tag === t)) continue;
        const what = t === 'sp' ? `existing subdomains${parsed.np ? '' : ' and non-existent ones (np falls back to sp)'}` : 'non-existent subdomains (anyone can invent them)';
        add('subdomain-policy', 'warning', `${t}=none while p=${parsed.p}: DMARC is unenforced for ${what} of ${policyDomain}`, `Publish ${suggest({ [t]: undefined })} (without ${t}, p=${parsed.p} applies), or ${t}=quarantine`, t);
      }
    }
  }

  // t=y: one level less (RFC 9989 §4.7).
  if (parsed.t === 'y') {
    const pub = parsed.published!;
    const eff = parsed.effective!;
    if ([pub.policy, pub.subdomainPolicy, pub.nonexistentPolicy].some((p) => p !== 'none')) {
      add('testing', 'warning', `t=y in ${loc}: receivers apply the policy one level lower (p=${pub.policy} acts as ${eff.policy}, sp=${pub.subdomainPolicy} as ${eff.subdomainPolicy}, np=${pub.nonexistentPolicy} as ${eff.nonexistentPolicy})`, `When reports stay clean, publish ${suggest({ t: undefined })}`);
    } else {
      add('testing', 'info', `t=y in ${loc} has no effect: every policy is none`, `Remove \`t=y\`: publish ${suggest({ t: undefined })}`);
    }
  }

  const eff = parsed.effective!;
  add('effective', 'info', `Effective policy (${parsed.t === 'y' ? 'after t=y' : 'as published'}) from ${loc}: ${policyDomain} ${eff.policy}, existing subdomains ${eff.subdomainPolicy}, non-existent subdomains ${eff.nonexistentPolicy}; for ${domain}: ${disc.domainPolicy ?? 'n/a'} (${tag}); organizational domain ${disc.orgDomain} (${disc.orgDomainFrom}); alignment adkim=${parsed.adkim}, aspf=${parsed.aspf}`, `To change them, edit p/sp/np/t in the TXT record at \`${loc}\``);

  // Report destinations.
  if (!parsed.rua.length) {
    add('rua', 'warning', `${loc} has no rua tag (destination for aggregate reports), so no receiver sends reports and you cannot see who sends as ${policyDomain}`, `Publish ${suggest({ rua: ruaDefault })}`);
  } else {
    add('rua', 'ok', `Aggregate reports go to ${parsed.rua.map((u) => u.address).join(', ')}`);
  }
  const hosts = new Map<string, string[]>();
  for (const t of ['rua', 'ruf'] as const) for (const u of parsed[t]) hosts.set(u.host, [...new Set([...(hosts.get(u.host) ?? []), t])]);
  const results = await Promise.all(
    [...hosts].map(async ([host, tags]) => {
      const external = !sameOrganization(host, disc.orgDomain);
      const [auth, mx] = await Promise.all([external ? reportAuthorization(policyDomain, host, dns) : undefined, dns.mx(host)]);
      const mxFallback = mx.status === 'nodata' || mx.status === 'nxdomain' ? await addresses(dns, host) : undefined;
      return { host, tags, auth, mx, mxFallback };
    }),
  );
  for (const { host, tags, auth, mx, mxFallback } of results) {
    const via = tags.join('/');
    if (auth) {
      const need = `${policyDomain}._report._dmarc.${host}`;
      if (auth.status === 'authorized') add('rua-authorization', 'ok', `${host} (${via}) accepts DMARC reports about ${policyDomain}: ${auth.name} has v=DMARC1`, undefined, host);
      else if (auth.status === 'unknown') f.push(unknownFrom('dmarc', 'rua-authorization', auth.name, 'TXT', auth.lookup!, host)!);
      else add('rua-authorization', 'warning', `Unverified destination: ${host} (${via}) is outside the organizational domain ${disc.orgDomain} and does not indicate that it accepts DMARC reports about ${policyDomain} — no v=DMARC1 TXT at ${need} or *._report._dmarc.${host}, so receivers drop those reports`, `Have ${host} publish TXT \`v=DMARC1\` at \`${need}\``, host);
    }
    if (mx.status === 'error') f.push(unknownFrom('dmarc', 'rua-mx', host, 'MX', mx, host)!);
    else if (mx.status === 'ok' && mx.records.every((r) => r.exchange === '' || r.exchange === '.')) {
      add('rua-mx', 'warning', `The domain ${host} of the ${via} address publishes a null MX: it accepts no mail, so reports bounce`, `Send ${via} reports to an address at a domain that receives mail, e.g. \`${ruaDefault}\``, host);
    } else if (mx.status === 'ok') {
      add('rua-mx', 'ok', `${host} (${via}) has MX ${mx.records.map((r) => r.exchange).join(', ')}`, undefined, host);
    } else if (mxFallback?.status === 'ok') {
      add('rua-mx', 'info', `The domain ${host} of the ${via} address has no MX records; reports rely on delivery to its address record (implicit MX)`, `Publish an MX record for \`${host}\``, host);
    } else if (mxFallback?.status === 'error') {
      f.push(unknownFrom('dmarc', 'rua-mx', host, 'A/AAAA', mxFallback, host)!);
    } else {
      add('rua-mx', 'warning', `The domain ${host} of the ${via} address has no MX records (and no A/AAAA record): reports cannot be delivered`, `Publish an MX record for \`${host}\`, or send reports to \`${ruaDefault}\``, host);
    }
  }
  return { findings: f, facts };
}

/** External report authorization (RFC 9990 §3 / RFC 7489 §7.1): TXT `v=DMARC1` at
 *  `<policy-domain>._report._dmarc.<host>`, or at the wildcard `*._report._dmarc.<host>`. */
export async function reportAuthorization(policyDomain: string, host: string, dns: DnsClient): Promise<{ status: 'authorized' | 'missing' | 'unknown'; name: string; lookup?: Lookup<unknown> }> {
  for (const name of [`${policyDomain}._report._dmarc.${host}`, `*._report._dmarc.${host}`]) {
    const l = await dns.txt(name);
    if (l.status === 'error') return { status: 'unknown', name, lookup: l };
    if (l.status === 'ok' && joinTxt(l.records).some(isDmarcRecord)) return { status: 'authorized', name };
  }
  return { status: 'missing', name: `${policyDomain}._report._dmarc.${host}` };
}

// ---------------------------------------------------------------------------------------------
// Alignment feasibility (area 'alignment')

/**
 * Whether mail from this setup can pass DMARC, from facts only (no lookups): how mailops sends
 * (SES with or without a custom MAIL FROM subdomain, or the own Mailcow host), the DMARC
 * alignment modes, whether a DKIM key signing as the domain is known to be published, and whether
 * SPF for the envelope domain (the domain itself, or the SES MAIL FROM subdomain) can pass at all.
 */
export function checkAlignment(ctx: CheckContext, dmarc: DmarcFacts, info: { dkimAligned: boolean | 'unknown'; spfPasses?: boolean | 'unknown' }): Finding[] {
  const domain = normalize(ctx.domain);
  const org = dmarc.orgDomain ? normalize(dmarc.orgDomain) : domain;
  const f: Finding[] = [];
  const add = (id: string, severity: Finding['severity'], message: string, fix?: string) => f.push(finding('alignment', id, severity, message, { fix }));
  const modes = dmarc.found === true ? `adkim=${dmarc.adkim}, aspf=${dmarc.aspf}` : 'no DMARC record applies, so relaxed modes are assumed';
  const where = dmarc.location ?? `_dmarc.${domain}`;
  const mailFrom = ctx.path.sesMailFrom ? normalize(ctx.path.sesMailFrom) : undefined;
  const selector = ctx.selectors[0] ?? 'dkim';

  let spf: boolean;
  if (ctx.path.ses && !mailFrom) {
    spf = false;
    add('spf', 'info', `SES sends with MAIL FROM amazonses.com (no custom MAIL FROM set): SPF passes for amazonses.com but cannot align with ${domain}, so DMARC rests on DKIM`, `Configure an SES custom MAIL FROM subdomain such as \`bounce.${domain}\` (MX 10 feedback-smtp.<region>.amazonses.com, TXT \`v=spf1 include:amazonses.com ~all\`) so SPF aligns too`);
  } else if (ctx.path.ses && mailFrom) {
    if (!sameOrganization(mailFrom, org) || mailFrom === domain) {
      spf = false;
      const why = mailFrom === domain ? 'is the From domain itself, which SES does not accept (it must be a subdomain)' : `is outside the organizational domain ${org} of ${domain}`;
      add('spf', 'warning', `SES MAIL FROM ${mailFrom} ${why}: SPF cannot align (${modes})`, `Set the SES custom MAIL FROM to a subdomain of ${domain}, e.g. \`bounce.${domain}\``);
    } else if (dmarc.aspf === 's') {
      spf = false;
      add('spf', 'warning', `aspf=s requires MAIL FROM to equal the From domain exactly; SES MAIL FROM ${mailFrom} ≠ ${domain}, so SPF never aligns`, `Remove \`aspf=s\` from the record at \`${where}\` (relaxed is the default)`);
    } else if (info.spfPasses === false) {
      spf = false;
      add('spf', 'warning', `SES MAIL FROM ${mailFrom} would align with ${domain}, but its SPF or MX records are missing or broken (see the spf findings), so SPF does not pass there`, `Publish \`v=spf1 include:amazonses.com ~all\` and \`MX 10 feedback-smtp.<region>.amazonses.com\` at ${mailFrom}`);
    } else if (info.spfPasses === 'unknown') {
      spf = false;
      add('spf', 'unknown', `SES MAIL FROM ${mailFrom} shares the organizational domain ${org} with ${domain}, but its SPF could not be checked`, 'Re-run later, or point --resolver at a resolver that answers');
    } else {
      spf = true;
      add('spf', 'ok', `SES MAIL FROM ${mailFrom} shares the organizational domain ${org} with ${domain}: SPF aligns in relaxed mode (${modes})`);
    }
  } else if (info.spfPasses === false) {
    spf = false;
    add('spf', 'warning', `Mailcow sends with MAIL FROM at ${domain}, but SPF for ${domain} does not pass (see the spf findings), so it cannot align`, `Fix the SPF record at ${domain} (the spf findings say how)`);
  } else if (info.spfPasses === 'unknown') {
    spf = false;
    add('spf', 'unknown', `Whether SPF passes for ${domain} could not be checked, so SPF alignment is unknown (${modes})`, 'Re-run later, or point --resolver at a resolver that answers');
  } else {
    spf = true;
    add('spf', 'ok', `Mailcow sends directly with the sender's own address as MAIL FROM (envelope domain ${domain}): SPF aligns in relaxed and strict mode (${modes})`);
  }

  const signer = ctx.path.ses ? `SES Easy DKIM (d=${domain})` : `Mailcow DKIM (d=${domain}, selector ${selector})`;
  const dkimFix = ctx.path.ses ? `Enable Easy DKIM for ${domain} in SES and publish its 3 CNAMEs \`<token>._domainkey.${domain}\` → \`<token>.dkim.amazonses.com\`` : `Publish Mailcow's DKIM key as TXT at \`${selector}._domainkey.${domain}\` (Mailcow admin → Configuration → ARC/DKIM keys)`;
  if (info.dkimAligned === true) add('dkim', 'ok', `${signer} signs as the From domain: DKIM aligns in relaxed and strict mode (${modes})`);
  else if (info.dkimAligned === 'unknown') add('dkim', 'unknown', `Whether ${signer} is published could not be checked, so DKIM alignment is unknown (${modes})`, `Re-run later, or point --resolver at a resolver that answers`);
  else add('dkim', spf ? 'info' : 'warning', `No DKIM key signing as ${domain} was found, so DKIM cannot align${spf ? '; DMARC rests on SPF alone, which breaks when mail is forwarded' : ''}`, dkimFix);

  const dkim = info.dkimAligned === true;
  if (spf || dkim) add('path', 'ok', `DMARC can pass for ${domain} via ${[spf ? 'SPF' : '', dkim ? 'DKIM' : ''].filter(Boolean).join(' and ')} alignment`);
  else add('path', 'warning', `No aligned path is known for ${domain}: ${ctx.path.ses && !mailFrom ? 'SES MAIL FROM is amazonses.com and ' : ''}SPF cannot align, and no aligned DKIM signature is ${info.dkimAligned === 'unknown' ? 'confirmed' : 'published'}, so DMARC fails for this mail`, dkimFix);
  return f;
}
