/**
 * DNS blocklists (RFC 5782): an IP's octets (IPv6: nibbles) reversed under the list's zone, or a
 * domain prefixed to it, queried for A. Each list's return codes are decoded with its documented
 * meaning. Every list is first asked about its own test points (127.0.0.2 listed, 127.0.0.1 not;
 * the documented test domains): a list that fails them, or answers with an error code (Spamhaus
 * 127.255.255.x for public resolvers and over-quota, URIBL 127.0.0.1, SURBL bit 1), is "unknown —
 * use your own resolver", never "listed". Retired lists are reported, not queried.
 */
import { isIP } from 'node:net';
import { finding, type Finding, type Severity } from './report.js';
import type { DnsClient, Lookup } from './resolver.js';
import { describeLookupError, reverseIp } from './resolver.js';

export { reverseIp };

export type BlocklistVerdict = 'listed' | 'not-listed' | 'unknown' | 'skipped';

export interface Decoded {
  /** What the answer means, in the list's words. */
  meaning: string;
  severity: Severity;
}

export interface Blocklist {
  name: string;
  zone: string;
  kind: 'ip' | 'domain';
  /** Whether the list answers for IPv6 addresses. */
  ipv6?: boolean;
  /** Query that must be listed, and one that must not (RFC 5782 §5). */
  testListed: string;
  testClean: string;
  /** What the list documents as the answer for testListed (for a loopback test zone). */
  testAnswer: string;
  /** Decode one answer; undefined for codes outside the documented set (list unusable). */
  decode(code: string): Decoded | 'refused' | undefined;
  removal: string;
}

const spamhausError = (code: string) => /^127\.255\.255\.\d+$/.test(code);

export const IP_BLOCKLISTS: Blocklist[] = [
  {
    name: 'Spamhaus ZEN',
    zone: 'zen.spamhaus.org',
    kind: 'ip',
    ipv6: true,
    testListed: '127.0.0.2',
    testClean: '127.0.0.1',
    testAnswer: '127.0.0.2',
    decode: (c) => {
      if (spamhausError(c)) return 'refused';
      const last = Number(c.split('.')[3]);
      if (!c.startsWith('127.0.0.')) return undefined;
      if (last === 2) return { meaning: 'SBL (spam source)', severity: 'error' };
      if (last === 3) return { meaning: 'SBL CSS (snowshoe spam)', severity: 'error' };
      if (last >= 4 && last <= 7) return { meaning: 'XBL (exploited host)', severity: 'error' };
      if (last === 9) return { meaning: 'DROP (hijacked range)', severity: 'error' };
      if (last === 10 || last === 11) return { meaning: 'PBL (end-user range that should not send direct to MX)', severity: 'warning' };
      return undefined;
    },
    removal: 'https://check.spamhaus.org/',
  },
  {
    name: 'SpamCop',
    zone: 'bl.spamcop.net',
    kind: 'ip',
    testListed: '127.0.0.2',
    testClean: '127.0.0.1',
    testAnswer: '127.0.0.2',
    decode: (c) => (c === '127.0.0.2' ? { meaning: 'reported as a spam source', severity: 'warning' } : undefined),
    removal: 'https://www.spamcop.net/bl.shtml (entries expire 24 h after the last report)',
  },
  {
    name: 'Barracuda',
    zone: 'b.barracudacentral.org',
    kind: 'ip',
    testListed: '127.0.0.2',
    testClean: '127.0.0.1',
    testAnswer: '127.0.0.2',
    decode: (c) => (c === '127.0.0.2' ? { meaning: 'poor reputation', severity: 'warning' } : undefined),
    removal: 'https://www.barracudacentral.org/rbl/removal-request',
  },
  {
    name: 'PSBL',
    zone: 'psbl.surriel.com',
    kind: 'ip',
    testListed: '127.0.0.2',
    testClean: '127.0.0.1',
    testAnswer: '127.0.0.2',
    decode: (c) => (c === '127.0.0.2' ? { meaning: 'mail seen at spam traps', severity: 'warning' } : undefined),
    removal: 'https://psbl.org/ (self-service removal)',
  },
  {
    name: 'Mailspike',
    zone: 'bl.mailspike.net',
    kind: 'ip',
    testListed: '127.0.0.2',
    testClean: '127.0.0.1',
    testAnswer: '127.0.0.2',
    decode: (c) => {
      if (c === '127.0.0.2') return { meaning: 'listed', severity: 'warning' };
      if (c === '127.0.0.10') return { meaning: 'worst reputation', severity: 'warning' };
      if (c === '127.0.0.11') return { meaning: 'very bad reputation', severity: 'warning' };
      if (c === '127.0.0.12') return { meaning: 'bad reputation', severity: 'warning' };
      if (c === '127.0.0.13' || c === '127.0.0.14') return { meaning: 'neutral-to-low reputation', severity: 'info' };
      return undefined;
    },
    removal: 'https://mailspike.io/ (reputation recovers as clean mail is seen)',
  },
  {
    name: 'UCEPROTECT L1',
    zone: 'dnsbl-1.uceprotect.net',
    kind: 'ip',
    testListed: '127.0.0.2',
    testClean: '127.0.0.1',
    testAnswer: '127.0.0.2',
    // Level 1 lists single IPs; levels 2 and 3 list whole ranges and networks and are not actionable.
    decode: (c) => (c === '127.0.0.2' ? { meaning: 'listed (level 1, expires after 7 days without spam)', severity: 'info' } : undefined),
    removal: 'https://www.uceprotect.net/en/rblcheck.php',
  },
];

export const DOMAIN_BLOCKLISTS: Blocklist[] = [
  {
    name: 'Spamhaus DBL',
    zone: 'dbl.spamhaus.org',
    kind: 'domain',
    testListed: 'dbltest.com',
    testClean: 'invalid',
    testAnswer: '127.0.1.2',
    decode: (c) => {
      if (spamhausError(c) || c === '127.0.1.255') return 'refused';
      const m = /^127\.0\.1\.(\d+)$/.exec(c);
      if (!m) return undefined;
      const meanings: Record<string, string> = {
        '2': 'spam domain',
        '4': 'phishing domain',
        '5': 'malware domain',
        '6': 'botnet C&C domain',
        '102': 'abused legitimate domain (spam)',
        '103': 'abused legitimate domain (spammed redirector)',
        '104': 'abused legitimate domain (phishing)',
        '105': 'abused legitimate domain (malware)',
        '106': 'abused legitimate domain (botnet C&C)',
      };
      const meaning = meanings[m[1]!];
      return meaning ? { meaning, severity: 'error' } : undefined;
    },
    removal: 'https://check.spamhaus.org/',
  },
  {
    name: 'SURBL',
    zone: 'multi.surbl.org',
    kind: 'domain',
    testListed: 'test.surbl.org',
    testClean: 'invalid',
    testAnswer: '127.0.0.254',
    decode: (c) => {
      const m = /^127\.0\.0\.(\d+)$/.exec(c);
      if (!m) return undefined;
      const bits = Number(m[1]);
      if (bits & 1) return 'refused';
      const bad = [
        [8, 'phishing'],
        [16, 'malware'],
        [64, 'abuse'],
        [128, 'cracked site'],
      ].filter(([b]) => bits & (b as number));
      const soft = [
        [4, 'DM'],
        [32, 'CT'],
      ].filter(([b]) => bits & (b as number));
      if (bad.length) return { meaning: bad.map(([, n]) => n).join(', '), severity: 'error' };
      if (soft.length) return { meaning: `informational (${soft.map(([, n]) => n).join(', ')})`, severity: 'info' };
      return undefined;
    },
    removal: 'https://surbl.org/surbl-analysis',
  },
  {
    name: 'URIBL',
    zone: 'multi.uribl.com',
    kind: 'domain',
    testListed: 'test.uribl.com',
    testClean: 'invalid',
    testAnswer: '127.0.0.14',
    decode: (c) => {
      const m = /^127\.0\.0\.(\d+)$/.exec(c);
      if (!m) return undefined;
      const bits = Number(m[1]);
      if (bits === 1) return 'refused';
      if (bits & 2) return { meaning: 'black', severity: 'error' };
      if (bits & 8) return { meaning: 'red', severity: 'warning' };
      if (bits & 4) return { meaning: 'grey', severity: 'warning' };
      return undefined;
    },
    removal: 'https://admin.uribl.com/',
  },
];

/** Lists that are gone: reported as such, never queried (their zones may answer anything now). */
export const RETIRED_BLOCKLISTS = [{ name: 'SORBS', zone: 'dnsbl.sorbs.net', note: 'shut down on 5 June 2024' }];

export interface BlocklistAnswer {
  list: string;
  zone: string;
  /** The IP or domain that was looked up. */
  subject: string;
  verdict: BlocklistVerdict;
  codes: string[];
  severity: Severity;
  detail: string;
}

const codesOf = (l: Lookup<string>) => (l.status === 'ok' ? l.records : []);

/** Whether the list answers this resolver correctly at its test points; a reason when not. */
async function usable(list: Blocklist, dns: DnsClient): Promise<string | undefined> {
  const q = (s: string) => (list.kind === 'ip' ? `${reverseIp(s)}.${list.zone}` : `${s}.${list.zone}`);
  const [pos, neg] = await Promise.all([dns.a(q(list.testListed)), dns.a(q(list.testClean))]);
  if (pos.status === 'error') return describeLookupError(pos.code);
  const posCodes = codesOf(pos);
  if (posCodes.some((c) => list.decode(c) === 'refused')) return `the list refused this resolver (answer ${posCodes.join(', ')}): it blocks public resolvers and heavy users`;
  if (!posCodes.some((c) => typeof list.decode(c) === 'object')) return `its test entry ${list.testListed} is not listed here, so this resolver does not reach the list`;
  if (neg.status === 'ok') return `its clean test entry ${list.testClean} comes back listed, so this resolver rewrites answers`;
  return undefined;
}

export async function lookupBlocklist(subject: string, list: Blocklist, dns: DnsClient): Promise<BlocklistAnswer> {
  const base = { list: list.name, zone: list.zone, subject };
  const unknown = (detail: string): BlocklistAnswer => ({ ...base, verdict: 'unknown', codes: [], severity: 'unknown', detail });
  const name = list.kind === 'ip' ? reverseIp(subject) : subject.toLowerCase().replace(/\.$/, '');
  if (!name) return unknown(`${subject} is not an IP address`);
  if (list.kind === 'ip' && isIP(subject) === 6 && !list.ipv6) return { ...base, verdict: 'skipped', codes: [], severity: 'info', detail: 'not asked: the list covers IPv4 only' };
  const [answer, problem] = await Promise.all([dns.a(`${name}.${list.zone}`), usable(list, dns)]);
  if (answer.status === 'error') return unknown(describeLookupError(answer.code));
  const codes = codesOf(answer);
  if (!codes.length) return problem ? unknown(problem) : { ...base, verdict: 'not-listed', codes, severity: 'ok', detail: 'not listed' };
  const decoded = codes.map((c) => list.decode(c));
  if (decoded.includes('refused')) return { ...unknown(`the list refused this resolver (answer ${codes.join(', ')}): query it with your own recursive resolver, not a public one`), codes };
  if (problem) return { ...unknown(problem), codes };
  const known = decoded.filter((d): d is Decoded => typeof d === 'object');
  if (!known.length) return { ...unknown(`answer ${codes.join(', ')} is outside the list's documented codes`), codes };
  const severity = known.some((d) => d.severity === 'error') ? 'error' : known.some((d) => d.severity === 'warning') ? 'warning' : 'info';
  return { ...base, verdict: 'listed', codes, severity, detail: `listed: ${[...new Set(known.map((d) => d.meaning))].join('; ')} (${codes.join(', ')})` };
}

/** Every IP list for each IP and every domain list for the domain, concurrently. */
export async function checkBlocklists(ips: string[], domain: string | undefined, dns: DnsClient): Promise<BlocklistAnswer[]> {
  return Promise.all([
    ...ips.flatMap((ip) => IP_BLOCKLISTS.map((l) => lookupBlocklist(ip, l, dns))),
    ...(domain ? DOMAIN_BLOCKLISTS.map((l) => lookupBlocklist(domain, l, dns)) : []),
  ]);
}

/** A zone answering every list's listed test entry as documented (RFC 5782 §5), for tests and benchmarks. */
export function blocklistTestZone(): Record<string, { A: string[] }> {
  return Object.fromEntries(
    [...IP_BLOCKLISTS, ...DOMAIN_BLOCKLISTS].map((l) => [`${l.kind === 'ip' ? reverseIp(l.testListed) : l.testListed}.${l.zone}`, { A: [l.testAnswer] }]),
  );
}

export function blocklistFindings(answers: BlocklistAnswer[]): Finding[] {
  const byName = new Map([...IP_BLOCKLISTS, ...DOMAIN_BLOCKLISTS].map((l) => [l.name, l]));
  const out = answers.map((a) =>
    finding('blocklists', a.verdict === 'listed' ? 'listed' : a.verdict === 'unknown' ? 'unknown' : a.verdict === 'skipped' ? 'skipped' : 'clean', a.severity, `${a.list}: ${a.subject}${a.verdict === 'unknown' ? ' unknown —' : ''} ${a.detail}`, {
      subject: `${a.subject} ${a.zone}`,
      fix:
        a.verdict === 'listed'
          ? `find and stop the cause, then request removal at ${byName.get(a.list)?.removal ?? a.zone}`
          : a.verdict === 'unknown'
            ? 'query with your own recursive resolver (--resolver), not a public one; some lists need a registered resolver or a free data-query key'
            : undefined,
    }),
  );
  for (const r of RETIRED_BLOCKLISTS) out.push(finding('blocklists', 'retired', 'info', `${r.name} (${r.zone}) is not queried: ${r.note}`, { subject: r.zone }));
  return out;
}
