/**
 * SPF: the parser/linter, RFC 7208 §4.5 selection, check_host() evaluation, the static tree walk
 * and the `spf` audit, driven through a real DNS server on loopback (dns2). Every vector of
 * deliverability.md §7.1 (S1–S30) and §7.2 (O1–O17) is a row below.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer, type Zone } from '../../testing/dns-server.js';
import { createDnsClient, type DnsClient } from '../resolver.js';
import type { CheckContext, Finding, SendingPath } from '../report.js';
import { checkSpf, evaluateSpf, lintSpfTree, parseSpf, selectSpf, type SpfFacts } from './spf.js';

const S5_INCLUDES = ['salesforce', 'outlook', 'constantcontact', 'elasticemail', 'mcsv', 'google', 'service-now'].map((n) => `${n}.s5.test`);
const MX12 = Array.from({ length: 12 }, (_, i) => ({ exchange: `mx${i + 1}.s28.test`, priority: 10 }));
const O3_MX = Array.from({ length: 11 }, (_, i) => ({ exchange: `mx${i + 1}.e3.o.test`, priority: 10 }));
const O4_PTR = Array.from({ length: 11 }, (_, i) => `h${i + 1}.e4.o.test`);
const V6 = '2001:db8::19';
/** RFC 7208 §7.3: %{i} of an IPv6 address is its 32 nibbles, dot-separated. */
const V6_NIBBLES = '2.0.0.1.0.d.b.8' + '.0'.repeat(22) + '.1.9';
const LONG_SPF = `v=spf1 ${Array.from({ length: 30 }, (_, i) => `ip4:198.51.100.${i}`).join(' ')} -all`;

const zone: Zone = {
  // §7.1
  's1.test': { TXT: ['v=spf1 IP4:147.75.8.208 -ALL'] },
  's2.test': { TXT: [['v=spf1 ip4:147.75.8.208 ', 'include:_spf.salesforce.com -all']] },
  '_spf.salesforce.com': { TXT: ['v=spf1 ip4:192.0.2.0/24 ~all'] },
  's3.test': { TXT: ['v=spf1 ip4:213.5.39.110 -all MS=83859DAEBD1978F9A7A67D3'] },
  's4.test': { TXT: ['v=spf1 include:example.doesnotexist ~all'] },
  's5.test': { TXT: [`v=spf1 a ${S5_INCLUDES.map((d) => `include:${d}`).join(' ')} ~all`], A: ['192.0.2.5'] },
  ...Object.fromEntries(S5_INCLUDES.map((d) => [d, { TXT: ['v=spf1 a a a ~all'], A: ['192.0.2.55'] }])),
  's6.test': { TXT: ['v=spf1 a:q8f3k2.s6.test mx:z7w1p4.s6.test a:m2n9x6.s6.test ~all'] },
  's7.test': { TXT: ['v=spf1 mx a:mail.cohaesio.net include: trustpilotservice.com ~all'] },
  's8.test': { TXT: ['v=spf1 ip4:192.0.2.1 +ip4:relay.mailchannels.net ~all'] },
  's9.test': { TXT: ['v=spf1 ip4:1200:0000:AB00:1234:0000:2552:7777:1313 ~all'] },
  's10.test': { TXT: ['v=spf1 ip4:78.46.96.236/99 ~all'] },
  's11.test': { TXT: ['v=spf1 ip6:1200:0000:AB00:1234:O000:2552:7777:1313 ~all'] },
  's12.test': { TXT: ['v=spf1 ip6:78.46.96.236 ~all'] },
  's13.test': { TXT: ['v=spf1 ip6:1200:0000:AB00:1234:0000:2552:7777:1313/130 ~all'] },
  's14.test': { TXT: ['v=spf1 ip4:8.8.8.8~all'] },
  's15.test': { TXT: ['v=spf1 include:s15.test'] },
  's16.test': { TXT: ['v=spf1 redirect=s16.test'] },
  's17.test': { TXT: ['v=spf1 mx ~all'] },
  's18-a.test': { TXT: ['v=spf1 a:%{?} -all'] },
  's18-mx.test': { TXT: ['v=spf1 mx:%{?} -all'] },
  's18-ptr.test': { TXT: ['v=spf1 ptr:%{?} -all'] },
  's18-include.test': { TXT: ['v=spf1 include:%{?} -all'] },
  's18-exists.test': { TXT: ['v=spf1 exists:%{?} -all'] },
  's18-redirect.test': { TXT: ['v=spf1 redirect=%{?}'] },
  's18-exp.test': { TXT: ['v=spf1 -all exp=%{?}'] },
  's19.test': { TXT: ['v=spf1 a:%{l}.s19.test -all'] },
  'alice.s19.test': { A: ['192.0.2.19'] },
  's19x.test': { TXT: ['v=spf1 exists:%{i}._spf.s19x.test -all'] },
  '192.0.2.19._spf.s19x.test': { A: ['127.0.0.2'] },
  [`${V6_NIBBLES}._spf.s19x.test`]: { A: ['127.0.0.2'] },
  's20.test': { TXT: ['v=spf1 -all exp=%{S}.explain.s20.test'] },
  's20z.test': { TXT: ['v=spf1 -all exp=%{z}.explain.s20.test'] },
  's21-4.test': { TXT: ['v=spf1 ip4:%{i} -all'] },
  's21-6.test': { TXT: ['v=spf1 ip6:%{i} -all'] },
  's22.test': { TXT: ['v=spf1 -all', 'v=spf1 +all'] },
  's23-a.test': { TXT: ['v=spf10 -all'] },
  's23-b.test': { TXT: ['v=spf1foo -all'] },
  's23-c.test': { TXT: [' v=spf1 -all'] },
  's23-d.test': { TXT: ['\tv=spf1 -all'] },
  's24-a.test': { TXT: ['V=SPF1 -all'] },
  's24-b.test': { TXT: ['v=spf1 -all  '] },
  's25.test': { TXT: ['v=spf2.0/pra ip4:192.0.2.0/24 ~all', 'v=spf1 -all'] },
  's26.test': { TXT: ['v=spf1 ptr -all'] },
  's26-nested.test': { TXT: ['v=spf1 include:_spf.s26-nested.test -all'] },
  '_spf.s26-nested.test': { TXT: ['v=spf1 ptr ~all'] },
  's27-0.test': { TXT: ['v=spf1 -all exp=exp.s27-0.test'] },
  'exp.s27-0.test': { A: ['192.0.2.27'] },
  's27-2.test': { TXT: ['v=spf1 -all exp=exp.s27-2.test'] },
  'exp.s27-2.test': { TXT: ['First explanation', 'Second explanation'] },
  's28.test': { TXT: ['v=spf1 mx -all'], MX: MX12 },
  's28v.test': { TXT: ['v=spf1 mx -all'], MX: [1, 2, 3].map((i) => ({ exchange: `nohost${i}.s28v.test`, priority: i })) },
  's29.test': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
  's29ok.test': { TXT: ['v=spf1 -all'] },
  's30-q.test': { TXT: ['v=spf1 ?all'] },
  's30-t.test': { TXT: ['v=spf1 ~all'] },
  's30-m.test': { TXT: ['v=spf1 -all'] },

  // §7.2 (OpenSPF RFC 7208 suite)
  'e1.o.test': { TXT: ['v=spf1 ip4:1.1.1.1 redirect=e1.o.test'] },
  'e2.o.test': { TXT: ['v=spf1 include:e3.o.test'] },
  'e3.o.test': { TXT: ['v=spf1 include:e2.o.test'] },
  'e3mx.o.test': { TXT: ['v=spf1 mx'], MX: O3_MX },
  ...Object.fromEntries(O3_MX.map((m) => [m.exchange, { A: ['1.2.3.5'] }])),
  'e4.o.test': { TXT: ['v=spf1 ptr'] },
  '5.3.2.1.in-addr.arpa': { PTR: O4_PTR },
  // Only the 11th PTR name validates: a checker that looks past 10 names would pass.
  'h11.e4.o.test': { A: ['1.2.3.5'] },
  'e5.o.test': { TXT: ['v=spf1 a -all'], A: Array.from({ length: 12 }, (_, i) => `1.2.3.${i + 1}`) },
  'e6.o.test': { TXT: ['v=spf1 a mx a mx a mx a mx a ptr ip4:1.2.3.4 -all'], A: ['1.2.3.5'], MX: [{ exchange: 'mx.e6.o.test', priority: 10 }] },
  'mx.e6.o.test': { A: ['1.2.3.6'] },
  'e7.o.test': { TXT: ['v=spf1 a mx a mx a mx a mx a ptr a ip4:1.2.3.4 -all'], A: ['1.2.3.5'], MX: [{ exchange: 'mx.e6.o.test', priority: 10 }] },
  'e8.o.test': { TXT: ['v=spf1 a include:inc.o.test ip4:1.2.3.4 mx -all'], A: ['1.2.3.5'] },
  'e9.o.test': { TXT: ['v=spf1 a include:inc.o.test a ip4:1.2.3.4 -all'], A: ['1.2.3.5'] },
  'inc.o.test': { TXT: ['v=spf1 a a a a a a a a'], A: ['1.2.3.5'] },
  'e10.o.test': { TXT: ['v=spf1 a:err.o.test a:err1.o.test ?all'] },
  'e11.o.test': { TXT: ['v=spf1 a:err.o.test a:err1.o.test a:err2.o.test ?all'] },
  // O12: the suite also publishes an RR type 99 `v=spf1 +all` here. The test server has no type 99
  // and node:dns cannot ask for it, so what is observable is that the TXT record decides.
  'e12.o.test': { TXT: ['v=spf1 -all'] },
  'e13.o.test': { TXT: ['v=spf1 -all', 'v=spf1 +all'] },
  'e14.o.test': { TXT: ['v=spf1 ip4:1.2.3.4 -all moo'] },
  'e15.o.test': { TXT: ['v=spf1 ip4:1.2.3.4'] },
  'e16.o.test': { TXT: ['v=spf1 ip4:1.2.3.4 redirect:t2.o.test'] },
  't2.o.test': { TXT: ['v=spf1 ip4:1.2.3.4 -all'] },
  'e17.o.test': { TXT: ['v=spf1'] },
  'e17b.o.test': { TXT: ['v=spf10', 'v=spf1 mx'], MX: [{ exchange: 'mx.e17b.o.test', priority: 10 }] },
  'mx.e17b.o.test': { A: ['1.2.3.4'] },
  'mac.o.test': { TXT: ['v=spf1 exists:%{ir}.%{v}._spf.%{d2} -all'] },
  '4.3.2.1.in-addr._spf.o.test': { A: ['127.0.0.2'] },

  // Beyond the vectors
  'ok.test': { TXT: ['v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.ok.test -all', 'google-site-verification=abc'], MX: [{ exchange: 'mx.ok.test', priority: 10 }] },
  '_spf.ok.test': { TXT: ['v=spf1 ip4:198.51.100.0/24 ~all'] },
  'mx.ok.test': { A: ['192.0.2.25'] },
  'split.test': { TXT: [['v=spf1 ip4:192.0.2.1', 'include:_spf.ok.test -all']] },
  'long.test': { TXT: [LONG_SPF] },
  'plus.test': { TXT: ['v=spf1 mx +all'], MX: [{ exchange: 'mx.ok.test', priority: 10 }] },
  'noall.test': { TXT: ['v=spf1 ip4:192.0.2.1'] },
  'shadow.test': { TXT: ['v=spf1 ip4:192.0.2.1 redirect=_spf.ok.test -all'] },
  'redir.test': { TXT: ['v=spf1 redirect=_spf.ok.test'] },
  'redir-none.test': { TXT: ['v=spf1 redirect=s23-a.test'] },
  'dup.test': { TXT: ['v=spf1 include:d1.dup.test include:d1.dup.test -all'] },
  'd1.dup.test': { TXT: ['v=spf1 a -all'], A: ['192.0.2.61'] },
  'badinc.test': { TXT: ['v=spf1 include:nospf.badinc.test include:broken.badinc.test include:open.badinc.test -all'] },
  'nospf.badinc.test': { TXT: ['some verification token'] },
  'broken.badinc.test': { TXT: ['v=spf1 ip4:192.0.2.300 -all'] },
  'open.badinc.test': { TXT: ['v=spf1 +all'] },
  'nospf.test': { A: ['192.0.2.80'] },
  // Four includes at one level, each with a nested include and an address target.
  'par.test': { TXT: ['v=spf1 include:p1.par.test include:p2.par.test include:p3.par.test include:p4.par.test -all'] },
  ...Object.fromEntries(
    [1, 2, 3, 4].flatMap((i) => [
      [`p${i}.par.test`, { TXT: [`v=spf1 a:h${i}.par.test include:n${i}.par.test -all`] }],
      [`h${i}.par.test`, { A: [`192.0.2.${100 + i}`] }],
      [`n${i}.par.test`, { TXT: [`v=spf1 ip4:198.51.100.${i} -all`] }],
    ]),
  ),
  'slowinc.test': { TXT: ['v=spf1 include:slow.slowinc.test ip4:192.0.2.1 -all'] },
  // SES
  'amazonses.com': { TXT: ['v=spf1 ip4:199.255.192.0/22 ip4:199.127.232.0/22 ~all'] },
  'ses1.test': { TXT: ['v=spf1 mx include:amazonses.com ~all'], MX: [{ exchange: 'mx.ok.test', priority: 10 }] },
  'bounce.ses1.test': { TXT: ['v=spf1 include:amazonses.com ~all'], MX: [{ exchange: 'feedback-smtp.us-east-1.amazonses.com', priority: 10 }] },
  'ses2.test': { TXT: ['v=spf1 mx ~all'], MX: [{ exchange: 'mx.ok.test', priority: 10 }] },
  'ses3.test': { TXT: ['v=spf1 mx ~all'], MX: [{ exchange: 'mx.ok.test', priority: 10 }] },
  'bounce.ses3.test': { TXT: ['v=spf1 mx ~all'], MX: [{ exchange: 'mx.ok.test', priority: 10 }] },
};

let dns: DnsServer;
beforeAll(async () => {
  dns = await startDnsServer(zone);
});
afterAll(async () => dns.close());

const client = (timeoutMs = 500): DnsClient => createDnsClient({ server: dns.server, timeoutMs, tries: 1 });
const context = (domain: string, o: { ips?: string[]; path?: SendingPath; dns?: DnsClient } = {}): CheckContext => ({
  domain,
  dns: o.dns ?? client(),
  ips: o.ips ?? [],
  selectors: [],
  path: o.path ?? { ses: false },
});
const audit = (domain: string, o: Parameters<typeof context>[1] & { parked?: boolean } = {}) => checkSpf(context(domain, o), { parked: o.parked ?? false });
const pick = (findings: Finding[], id: string, subject?: string) => findings.filter((f) => f.id === id && (subject === undefined || f.subject === subject));
const one = (findings: Finding[], id: string, subject?: string): Finding => {
  const found = pick(findings, id, subject);
  expect(found, `${id}${subject ? ` (${subject})` : ''} in ${JSON.stringify(findings.map((f) => `${f.id}:${f.severity}`))}`).toHaveLength(1);
  return found[0]!;
};
const notOk = (findings: Finding[]) => findings.filter((f) => f.severity !== 'ok');

type Audit = { findings: Finding[]; facts: SpfFacts };
interface AuditRow {
  vector: string;
  domain: string;
  parked?: boolean;
  expect: (r: Audit) => void;
}

const syntaxError = (pattern: RegExp) => (r: Audit) => {
  const f = one(r.findings, 'spf.syntax');
  expect(f.severity).toBe('error');
  expect(f.message).toMatch(pattern);
  expect(f.message).toContain('➞');
  expect(f.fix).toBeTruthy();
};
const noSpf = (r: Audit) => {
  expect(one(r.findings, 'spf.missing').severity).toBe('error');
  expect(r.facts.record).toBeUndefined();
};

describe('deliverability.md §7.1 vectors through checkSpf (real DNS server)', () => {
  const rows: AuditRow[] = [
    {
      vector: 'S1 upper-case mechanisms: valid, no warnings, 0 lookups',
      domain: 's1.test',
      expect: (r) => {
        expect(notOk(r.findings)).toEqual([]);
        expect(r.facts.lookups).toBe(0);
        expect(r.facts.allQualifier).toBe('-');
      },
    },
    {
      vector: 'S2 two strings joined with no separator parse, all=fail',
      domain: 's2.test',
      expect: (r) => {
        expect(r.facts.record).toBe('v=spf1 ip4:147.75.8.208 include:_spf.salesforce.com -all');
        expect(one(r.findings, 'spf.syntax').severity).toBe('ok');
        expect(r.facts.allQualifier).toBe('-');
        expect(r.facts.includes).toEqual(['_spf.salesforce.com']);
        expect(r.facts.lookups).toBe(1);
      },
    },
    {
      vector: 'S3 text after all → warning',
      domain: 's3.test',
      expect: (r) => {
        const f = one(r.findings, 'spf.after-all');
        expect(f.severity).toBe('warning');
        expect(f.message).toMatch(/text after the all mechanism other than an exp modifier is ignored/);
        expect(f.message).toContain('MS=83859DAEBD1978F9A7A67D3');
      },
    },
    {
      vector: 'S4 include of a domain that does not exist → error (RFC 7208 §5.2 permerror), 1 lookup',
      domain: 's4.test',
      expect: (r) => {
        const f = one(r.findings, 'spf.include-target', 'example.doesnotexist');
        expect(f.severity).toBe('error');
        expect(f.message).toMatch(/example\.doesnotexist: The domain does not exist/);
        expect(r.facts.lookups).toBe(1);
        expect(r.facts.voidLookups).toBe(1);
      },
    },
    {
      vector: 'S5 a + 7 includes of `a a a` → too many DNS lookups',
      domain: 's5.test',
      expect: (r) => {
        const expected = 1 + S5_INCLUDES.length * (1 + 3);
        const f = one(r.findings, 'spf.lookups');
        expect(f.severity).toBe('error');
        expect(f.message).toContain(`requires ${expected}/10 DNS lookups (RFC 7208 §4.6.4)`);
        expect(r.facts.lookups).toBe(expected);
        expect(r.facts.includes).toEqual(S5_INCLUDES);
      },
    },
    {
      vector: 'S6 three targets that do not exist → too many void lookups',
      domain: 's6.test',
      expect: (r) => {
        expect(one(r.findings, 'spf.void-lookups').severity).toBe('error');
        expect(r.facts.voidLookups).toBe(3);
        expect(pick(r.findings, 'spf.target').map((f) => f.severity)).toEqual(['warning', 'warning', 'warning']);
        expect(one(r.findings, 'spf.target', 'q8f3k2.s6.test').message).toMatch(/`a:q8f3k2\.s6\.test`.*q8f3k2\.s6\.test does not have any A or AAAA records/);
      },
    },
    { vector: 'S7 `include:` followed by a space → syntax error', domain: 's7.test', expect: syntaxError(/include:.*space/) },
    { vector: 'S8 a host name in ip4 → syntax error', domain: 's8.test', expect: syntaxError(/relay\.mailchannels\.net` is not a valid IPv4 address/) },
    { vector: 'S9 IPv6 in ip4 → syntax error', domain: 's9.test', expect: syntaxError(/not a valid IPv4 address \(it looks like IPv6/) },
    { vector: 'S10 ip4 prefix /99 → syntax error', domain: 's10.test', expect: syntaxError(/IPv4 prefix length \/99/) },
    { vector: 'S11 letter O in ip6 → syntax error', domain: 's11.test', expect: syntaxError(/not a valid IPv6 address/) },
    { vector: 'S12 IPv4 in ip6 → syntax error', domain: 's12.test', expect: syntaxError(/not a valid IPv6 address \(it looks like IPv4/) },
    { vector: 'S13 ip6 prefix /130 → syntax error', domain: 's13.test', expect: syntaxError(/IPv6 prefix length \/130/) },
    { vector: 'S14 `all` glued to the previous term → syntax error', domain: 's14.test', expect: syntaxError(/Expected whitespace before `~all` at position 18 .* ip4:8\.8\.8\.8➞~all/) },
    {
      vector: 'S15 include of itself → include loop',
      domain: 's15.test',
      expect: (r) => {
        const f = one(r.findings, 'spf.loop');
        expect(f.severity).toBe('error');
        expect(f.message).toContain('Include loop: s15.test -> s15.test');
      },
    },
    {
      vector: 'S16 redirect to itself → redirect loop',
      domain: 's16.test',
      expect: (r) => {
        const f = one(r.findings, 'spf.loop');
        expect(f.severity).toBe('error');
        expect(f.message).toContain('Redirect loop: s16.test -> s16.test');
      },
    },
    {
      vector: 'S17 mx on a domain without MX → warning, 1 lookup',
      domain: 's17.test',
      expect: (r) => {
        const f = one(r.findings, 'spf.target', 's17.test');
        expect(f.severity).toBe('warning');
        expect(f.message).toMatch(/does not have any MX records/);
        expect(r.facts.lookups).toBe(1);
        expect(r.facts.voidLookups).toBe(1);
      },
    },
    ...['a', 'mx', 'ptr', 'include', 'exists', 'redirect', 'exp'].map((term) => ({ vector: `S18 bad macro %{?} in ${term} → syntax error`, domain: `s18-${term}.test`, expect: syntaxError(/Invalid SPF macro syntax/) })),
    {
      vector: 'S19 a:%{l}.… → valid, 1 lookup, no warnings',
      domain: 's19.test',
      expect: (r) => {
        expect(notOk(r.findings)).toEqual([]);
        expect(r.facts.lookups).toBe(1);
      },
    },
    {
      vector: 'S19 exists:%{i}.… → valid, 1 lookup, no warnings',
      domain: 's19x.test',
      expect: (r) => {
        expect(notOk(r.findings)).toEqual([]);
        expect(r.facts.lookups).toBe(1);
      },
    },
    {
      vector: 'S20 exp=%{S}… (upper-case macro) → valid, 0 lookups',
      domain: 's20.test',
      expect: (r) => {
        expect(notOk(r.findings)).toEqual([]);
        expect(r.facts.lookups).toBe(0);
      },
    },
    { vector: 'S20 exp=%{z}… → syntax error', domain: 's20z.test', expect: syntaxError(/Invalid SPF macro syntax/) },
    { vector: 'S21 macro in ip4 → syntax error', domain: 's21-4.test', expect: syntaxError(/Macros are not allowed in ip4/) },
    { vector: 'S21 macro in ip6 → syntax error', domain: 's21-6.test', expect: syntaxError(/Macros are not allowed in ip6/) },
    {
      vector: 'S22 two v=spf1 records → multiple-records error',
      domain: 's22.test',
      expect: (r) => {
        expect(one(r.findings, 'spf.multiple').severity).toBe('error');
        expect(r.facts.record).toBeUndefined();
      },
    },
    { vector: 'S23 `v=spf10 -all` is not an SPF record', domain: 's23-a.test', expect: noSpf },
    { vector: 'S23 `v=spf1foo -all` is not an SPF record', domain: 's23-b.test', expect: noSpf },
    { vector: 'S23 leading space: not an SPF record', domain: 's23-c.test', expect: noSpf },
    { vector: 'S23 leading tab: not an SPF record', domain: 's23-d.test', expect: noSpf },
    {
      vector: 'S24 `V=SPF1 -all` is accepted',
      domain: 's24-a.test',
      expect: (r) => {
        expect(one(r.findings, 'spf.present').severity).toBe('ok');
        expect(r.facts.allQualifier).toBe('-');
      },
    },
    {
      vector: 'S24 trailing spaces are accepted',
      domain: 's24-b.test',
      expect: (r) => {
        expect(one(r.findings, 'spf.present').severity).toBe('ok');
        expect(one(r.findings, 'spf.syntax').severity).toBe('ok');
      },
    },
    {
      vector: 'S25 Sender ID record next to SPF → SPF selected + Sender ID warning',
      domain: 's25.test',
      expect: (r) => {
        expect(r.facts.record).toBe('v=spf1 -all');
        expect(one(r.findings, 'spf.sender-id').severity).toBe('warning');
      },
    },
    {
      vector: 'S26 ptr → warning',
      domain: 's26.test',
      expect: (r) => {
        const f = one(r.findings, 'spf.ptr');
        expect(f.severity).toBe('warning');
        expect(f.message).toMatch(/ptr mechanism should not be used/);
      },
    },
    {
      vector: 'S26 (nested) ptr in an included record → warning naming the included domain',
      domain: 's26-nested.test',
      expect: (r) => {
        const f = one(r.findings, 'spf.ptr');
        expect([f.severity, f.subject]).toEqual(['warning', '_spf.s26-nested.test']);
      },
    },
    {
      vector: 'S27 exp target with no TXT → warning, 0 lookups',
      domain: 's27-0.test',
      expect: (r) => {
        const f = one(r.findings, 'spf.exp');
        expect([f.severity, f.message]).toEqual(['warning', expect.stringMatching(/No TXT records at exp value exp\.s27-0\.test/)]);
        expect(r.facts.lookups).toBe(0);
      },
    },
    {
      vector: 'S27 exp target with 2 TXT → warning, 0 lookups',
      domain: 's27-2.test',
      expect: (r) => {
        const f = one(r.findings, 'spf.exp');
        expect([f.severity, f.message]).toEqual(['warning', expect.stringMatching(/Too many TXT records at exp value/)]);
        expect(r.facts.lookups).toBe(0);
      },
    },
    {
      vector: 'S28 mx with 12 MX hosts → error (more than 10)',
      domain: 's28.test',
      expect: (r) => {
        const f = one(r.findings, 'spf.mx-limit', 's28.test');
        expect(f.severity).toBe('error');
        expect(f.message).toContain(`${MX12.length} MX records`);
      },
    },
    {
      vector: 'S28 mx with 3 MX hosts without addresses → void-lookup error',
      domain: 's28v.test',
      expect: (r) => {
        expect(one(r.findings, 'spf.void-lookups').severity).toBe('error');
        expect(r.facts.voidLookups).toBe(3);
        expect(one(r.findings, 'spf.target', 'nohost1.s28v.test').message).toContain('nohost1.s28v.test (an MX host of s28v.test) does not have any A or AAAA records');
      },
    },
    {
      vector: 'S29 parked domain with a sending record → warning',
      domain: 's29.test',
      parked: true,
      expect: (r) => {
        const f = one(r.findings, 'spf.parked');
        expect(f.severity).toBe('warning');
        expect(f.fix).toContain('`v=spf1 -all`');
      },
    },
    { vector: 'S29 parked domain with `v=spf1 -all` → no warning', domain: 's29ok.test', parked: true, expect: (r) => expect(notOk(r.findings)).toEqual([]) },
    {
      vector: 'S30 ?all → neutral (warning)',
      domain: 's30-q.test',
      expect: (r) => {
        expect(r.facts.allQualifier).toBe('?');
        expect(one(r.findings, 'spf.all').severity).toBe('warning');
      },
    },
    {
      vector: 'S30 ~all → softfail',
      domain: 's30-t.test',
      expect: (r) => {
        expect(r.facts.allQualifier).toBe('~');
        expect(one(r.findings, 'spf.all').severity).toBe('ok');
      },
    },
    {
      vector: 'S30 -all → fail',
      domain: 's30-m.test',
      expect: (r) => {
        expect(r.facts.allQualifier).toBe('-');
        expect(one(r.findings, 'spf.all').severity).toBe('ok');
      },
    },
  ];

  it.each(rows)('$vector', async (row) => {
    const r = await audit(row.domain, { parked: row.parked ?? false });
    row.expect(r);
    for (const f of notOk(r.findings)) expect(f.fix, `${f.id} has a fix`).toBeTruthy();
  });

  it('S19: the macros expand at evaluation (%{l} from the sender, %{i} for IPv4 and IPv6 as nibbles)', async () => {
    const c = client();
    expect((await evaluateSpf('192.0.2.19', 's19.test', c, { sender: 'alice@s19.test' })).result).toBe('pass');
    const bob = await evaluateSpf('192.0.2.19', 's19.test', c, { sender: 'bob@s19.test' });
    expect([bob.result, bob.lookups, bob.voidLookups]).toEqual(['fail', 1, 1]);
    expect((await evaluateSpf('192.0.2.19', 's19x.test', c)).result).toBe('pass');
    expect((await evaluateSpf(V6, 's19x.test', c)).result).toBe('pass');
    expect((await evaluateSpf('192.0.2.20', 's19x.test', c)).result).toBe('fail');
  });

  it('S30: the all qualifier is the result for an unlisted IP', async () => {
    const c = client();
    const results = await Promise.all(['s30-q.test', 's30-t.test', 's30-m.test'].map((d) => evaluateSpf('192.0.2.1', d, c)));
    expect(results.map((r) => r.result)).toEqual(['neutral', 'softfail', 'fail']);
  });

  it('S4, S15, S16, S28: the same records make an evaluation permerror', async () => {
    const c = client();
    for (const d of ['s4.test', 's15.test', 's16.test', 's28.test', 's22.test', 's14.test']) {
      expect((await evaluateSpf('192.0.2.250', d, c)).result, d).toBe('permerror');
    }
  });
});

describe('deliverability.md §7.2 vectors (OpenSPF RFC 7208 suite) through evaluateSpf', () => {
  interface EvalRow {
    vector: string;
    domain: string;
    ip?: string;
    result: string | string[];
    lookups?: number;
    voidLookups?: number;
    reason?: RegExp;
  }
  const rows: EvalRow[] = [
    { vector: 'O1 self-redirect → permerror', domain: 'e1.o.test', result: 'permerror', reason: /Redirect loop/ },
    { vector: 'O2 include loop → permerror', domain: 'e2.o.test', result: 'permerror', reason: /Include loop: e2\.o\.test -> e3\.o\.test -> e2\.o\.test/ },
    { vector: 'O3 mx with 11 MX records → permerror', domain: 'e3mx.o.test', ip: '1.2.3.5', result: 'permerror', reason: /11 MX records/ },
    { vector: 'O4 ptr with 11 names → neutral or pass (names past 10 ignored)', domain: 'e4.o.test', ip: '1.2.3.5', result: ['neutral', 'pass'], lookups: 1 },
    { vector: 'O5 a with 12 A records → pass (no A limit)', domain: 'e5.o.test', ip: '1.2.3.12', result: 'pass', lookups: 1 },
    { vector: 'O6 exactly 10 lookups → pass', domain: 'e6.o.test', result: 'pass', lookups: 10 },
    { vector: 'O7 11 lookups → permerror', domain: 'e7.o.test', result: 'permerror', lookups: 11, reason: /limit of 10/ },
    { vector: 'O8 match before the 11th lookup → pass', domain: 'e8.o.test', result: 'pass', lookups: 10 },
    { vector: 'O9 the 11th lookup is reached → permerror', domain: 'e9.o.test', result: 'permerror', lookups: 11 },
    { vector: 'O10 2 void lookups → neutral', domain: 'e10.o.test', result: 'neutral', lookups: 2, voidLookups: 2 },
    { vector: 'O11 3 void lookups → permerror', domain: 'e11.o.test', result: 'permerror', voidLookups: 3, reason: /void lookup 3/ },
    { vector: 'O12 TXT decides, not RR type 99 → fail', domain: 'e12.o.test', result: 'fail' },
    { vector: 'O13 two TXT SPF records → permerror', domain: 'e13.o.test', result: 'permerror', reason: /2 SPF records/ },
    { vector: 'O14 unknown mechanism after all → permerror', domain: 'e14.o.test', result: 'permerror', reason: /Unknown mechanism `moo`/ },
    // The suite's default-result case: an unlisted host and no `all` (host 1.2.3.5 here, since
    // the record lists 1.2.3.4).
    { vector: 'O15 no all, no match → neutral', domain: 'e15.o.test', ip: '1.2.3.5', result: 'neutral' },
    { vector: 'O16 `redirect:` is not a modifier → permerror even though ip4 matches', domain: 'e16.o.test', result: 'permerror' },
    { vector: 'O17 `v=spf1` alone → neutral', domain: 'e17.o.test', result: 'neutral', lookups: 0 },
    { vector: 'O17 `v=spf10` next to `v=spf1 mx` → only the latter counts', domain: 'e17b.o.test', result: 'pass', lookups: 1 },
  ];

  it.each(rows)('$vector', async (row) => {
    const e = await evaluateSpf(row.ip ?? '1.2.3.4', row.domain, client());
    if (Array.isArray(row.result)) expect(row.result).toContain(e.result);
    else expect(e.result, e.reason).toBe(row.result);
    if (row.lookups !== undefined) expect(e.lookups).toBe(row.lookups);
    if (row.voidLookups !== undefined) expect(e.voidLookups).toBe(row.voidLookups);
    if (row.reason) expect(e.reason).toMatch(row.reason);
  });

  it('O4: at most 10 PTR names are looked up', async () => {
    const c = client();
    await evaluateSpf('1.2.3.5', 'e4.o.test', c);
    const looked = c.queries.filter((q) => q.type === 'A' && O4_PTR.includes(q.name));
    expect(looked.length).toBeLessThanOrEqual(10);
  });

  it('O7/O9 are also reported by the static walk as over the limit', async () => {
    const c = client();
    const [o7, o9] = await Promise.all([lintSpfTree('e7.o.test', c), lintSpfTree('e9.o.test', c)]);
    expect(o7.lookups).toBe(11);
    expect(o9.lookups).toBe(1 + 1 + 8 + 1);
    expect(one(o7.findings, 'spf.lookups').severity).toBe('error');
    expect(one(o9.findings, 'spf.lookups').severity).toBe('error');
  });

  it('expands %{ir}, %{v} and %{d2}', async () => {
    const e = await evaluateSpf('1.2.3.4', 'mac.o.test', client());
    expect(e.result).toBe('pass');
    expect((await evaluateSpf('1.2.3.5', 'mac.o.test', client())).result).toBe('fail');
  });

  it('treats an IPv4-mapped IPv6 client as IPv4 and rejects a non-address', async () => {
    expect((await evaluateSpf('::ffff:1.2.3.4', 'e15.o.test', client())).result).toBe('pass');
    expect((await evaluateSpf('not-an-ip', 'e15.o.test', client())).result).toBe('permerror');
  });
});

describe('parseSpf', () => {
  it('keeps a/mx CIDR lengths and reads terms case-insensitively', () => {
    const p = parseSpf('V=SPF1 A/24 mx:mail.example.com/24//64 a//96 Include:_spf.example.com ?IP6:2001:db8::/32 -All');
    expect(p.valid).toBe(true);
    expect(p.terms.map((t) => [t.name, t.qualifier, t.value, t.cidr4, t.cidr6])).toEqual([
      ['a', '+', undefined, 24, undefined],
      ['mx', '+', 'mail.example.com', 24, 64],
      ['a', '+', undefined, undefined, 96],
      ['include', '+', '_spf.example.com', undefined, undefined],
      ['ip6', '?', '2001:db8::', undefined, 32],
      ['all', '-', undefined, undefined, undefined],
    ]);
    expect(p.all).toBe('-');
    expect(p.lints).toEqual([]);
  });

  it('marks the failing position with ➞', () => {
    const p = parseSpf('v=spf1 ip4:192.0.2.1 include: example.com -all');
    expect(p.valid).toBe(false);
    expect(p.syntaxErrors).toHaveLength(1);
    expect(p.syntaxErrors[0]!.message).toContain('v=spf1 ip4:192.0.2.1 include:➞ example.com -all');
  });

  it('rejects unknown mechanisms, duplicate redirect/exp, bad prefixes and domains; ignores unknown modifiers', () => {
    expect(parseSpf('v=spf1 foo -all').syntaxErrors[0]!.message).toMatch(/Unknown mechanism `foo`/);
    expect(parseSpf('v=spf1 redirect=a.example redirect=b.example').syntaxErrors[0]!.message).toMatch(/Multiple `redirect`/);
    expect(parseSpf('v=spf1 -all exp=a.example exp=b.example').syntaxErrors[0]!.message).toMatch(/Multiple `exp`/);
    expect(parseSpf('v=spf1 ip4:192.0.2.0/033 -all').valid).toBe(false);
    expect(parseSpf('v=spf1 a:museum -all').valid).toBe(false);
    expect(parseSpf('v=spf1 a:foo.123 -all').valid).toBe(false);
    expect(parseSpf('v=spf1 include: -all').valid).toBe(false);
    expect(parseSpf('v=spf1 include:%{d2r}.example.com moo=bar foo.bar=%{ir} -all').valid).toBe(true);
    expect(parseSpf('v=spf1 exists:%{d0}.example.com -all').valid).toBe(false);
    expect(parseSpf('v=spf1 a:%{l}%%%_%-.example.com -all').valid).toBe(true);
    expect(parseSpf('v=spf1 a:%.example.com -all').valid).toBe(false);
    // c, r and t belong in explanation text only (RFC 7208 §7.2).
    expect(parseSpf('v=spf1 exists:%{t}.example.com -all').syntaxErrors[0]!.message).toMatch(/only allowed in explanation text/);
    expect(parseSpf('v=spf1\t-all').valid).toBe(false);
  });

  it('lints +all, ?all, missing all, redirect shadowed by all, ptr and text after all', () => {
    const ids = (r: string) => parseSpf(r).lints.map((l) => `${l.id}:${l.severity}`);
    expect(ids('v=spf1 +all')).toEqual(['all:error']);
    expect(ids('v=spf1 all')).toEqual(['all:error']);
    expect(ids('v=spf1 ?all')).toEqual(['all:warning']);
    expect(ids('v=spf1 ip4:192.0.2.1')).toEqual(['no-all:warning']);
    expect(ids('v=spf1 redirect=_spf.example.com')).toEqual([]);
    expect(ids('v=spf1 redirect=_spf.example.com -all')).toEqual(['redirect-ignored:warning']);
    expect(ids('v=spf1 ptr:example.com -all')).toEqual(['ptr:warning']);
    expect(ids('v=spf1 -all ip4:192.0.2.1 exp=explain.example.com')).toEqual(['after-all:warning']);
  });
});

describe('selectSpf (RFC 7208 §4.5)', () => {
  it('selects exactly `v=spf1` or `v=spf1 …`, case-insensitively, and flags Sender ID', () => {
    expect(selectSpf(['v=spf1', 'other'])).toMatchObject({ record: 'v=spf1', count: 1, senderId: false });
    expect(selectSpf(['V=Spf1 -all'])).toMatchObject({ record: 'V=Spf1 -all', count: 1 });
    for (const t of ['v=spf10 -all', 'v=spf1foo -all', ' v=spf1 -all', '\tv=spf1 -all']) expect(selectSpf([t])).toMatchObject({ count: 0, nearMisses: [t] });
    expect(selectSpf(['v=spf1 -all', 'v=spf1 +all']).record).toBeUndefined();
    expect(selectSpf(['v=spf1 -all', 'v=spf1 +all']).count).toBe(2);
    expect(selectSpf(['spf2.0/mfrom,pra ip4:192.0.2.0/24 -all', 'v=spf1 -all'])).toMatchObject({ record: 'v=spf1 -all', senderId: true });
  });
});

describe('checkSpf', () => {
  it('a good record: ✓ findings for presence, syntax, all and lookups; the IPs pass', async () => {
    const r = await audit('ok.test', { ips: ['192.0.2.10', '2001:db8::10'] });
    expect(notOk(r.findings)).toEqual([]);
    expect(one(r.findings, 'spf.present').message).toContain('v=spf1 ip4:192.0.2.0/24');
    expect(one(r.findings, 'spf.lookups').message).toContain('1/10 DNS lookups');
    expect(pick(r.findings, 'spf.ip').map((f) => [f.subject, f.severity])).toEqual([
      ['192.0.2.10', 'ok'],
      ['2001:db8::10', 'ok'],
    ]);
    expect(r.facts.evaluations.map((e) => e.result)).toEqual(['pass', 'pass']);
  });

  it('an IP that is not listed is an error whose fix adds it', async () => {
    const r = await audit('ok.test', { ips: ['203.0.113.7', '2001:db9::7'] });
    const v4 = one(r.findings, 'spf.ip', '203.0.113.7');
    expect([v4.severity, v4.fix]).toEqual(['error', 'Add `ip4:203.0.113.7` to the SPF record at ok.test']);
    expect(one(r.findings, 'spf.ip', '2001:db9::7').fix).toBe('Add `ip6:2001:db9::7` to the SPF record at ok.test');
  });

  it('no record: error with a record to publish; NXDOMAIN: its own error', async () => {
    const r = await audit('nospf.test', { ips: ['192.0.2.80'] });
    const f = one(r.findings, 'spf.missing');
    expect(f.severity).toBe('error');
    expect(f.fix).toBe('Publish the TXT record `v=spf1 ip4:192.0.2.80 mx ~all` at nospf.test');
    expect(one(r.findings, 'spf.ip', '192.0.2.80').severity).toBe('error');
    const nx = await audit('nowhere.test');
    expect(one(nx.findings, 'spf.nxdomain').severity).toBe('error');
  });

  it('strings joined without a space: the fix says to end the first string with a space', async () => {
    const r = await audit('split.test');
    const f = one(r.findings, 'spf.syntax');
    expect(f.severity).toBe('error');
    expect(f.message).toContain('v=spf1 ip4:192.0.2.1➞include:');
    expect(f.fix).toContain('joined with no space');
    expect(f.fix).toContain('"v=spf1 ip4:192.0.2.1 " "include:_spf.ok.test -all"');
  });

  it('a record over 450 bytes → size warning (RFC 7208 §3.4)', async () => {
    expect(Buffer.byteLength(LONG_SPF)).toBeGreaterThan(450);
    const r = await audit('long.test');
    expect(one(r.findings, 'spf.size').severity).toBe('warning');
    expect(r.facts.record).toBe(LONG_SPF);
  });

  it('+all is an error; no all is a warning; all after redirect is judged in the redirected record', async () => {
    expect(one((await audit('plus.test')).findings, 'spf.all').severity).toBe('error');
    expect(one((await audit('noall.test')).findings, 'spf.all').severity).toBe('warning');
    const redir = await audit('redir.test');
    expect(redir.facts.allQualifier).toBe('~');
    expect(one(redir.findings, 'spf.all').severity).toBe('ok');
    expect(redir.facts.lookups).toBe(1);
    const shadow = await audit('shadow.test');
    expect(one(shadow.findings, 'spf.redirect-ignored').severity).toBe('warning');
    expect(shadow.facts.lookups).toBe(0);
    const none = await audit('redir-none.test');
    expect(one(none.findings, 'spf.redirect-target', 's23-a.test').severity).toBe('error');
    expect(pick(none.findings, 'spf.all')).toEqual([]);
    expect((await evaluateSpf('192.0.2.1', 'redir-none.test', client())).result).toBe('permerror');
  });

  it('a duplicate include counts again and is reported', async () => {
    const r = await audit('dup.test');
    expect(r.facts.lookups).toBe(2 * (1 + 1));
    expect(r.facts.includes).toEqual(['d1.dup.test']);
    expect(one(r.findings, 'spf.duplicate-include', 'd1.dup.test').severity).toBe('warning');
  });

  it('include targets without SPF, with a broken record, or passing everyone are errors', async () => {
    const r = await audit('badinc.test', { ips: ['192.0.2.1'] });
    expect(one(r.findings, 'spf.include-target', 'nospf.badinc.test').severity).toBe('error');
    expect(one(r.findings, 'spf.include-target', 'broken.badinc.test').message).toMatch(/not a valid IPv4 address/);
    expect(one(r.findings, 'spf.include-all', 'open.badinc.test').severity).toBe('error');
    expect(one(r.findings, 'spf.ip', '192.0.2.1').severity).toBe('error');
    expect(r.facts.evaluations[0]!.result).toBe('permerror');
  });

  it('walks sibling includes concurrently: wall time is about one chain of round trips, not the sum', async () => {
    dns.delayMs = 50;
    try {
      const c = client(2000);
      const t0 = performance.now();
      const tree = await lintSpfTree('par.test', c);
      const wall = performance.now() - t0;
      const total = c.queries.reduce((s, q) => s + q.ms, 0);
      expect(tree.lookups).toBe(4 * (1 + 1 + 1));
      expect(tree.includes).toEqual([1, 2, 3, 4].flatMap((i) => [`p${i}.par.test`, `n${i}.par.test`]));
      expect(c.queries.length).toBeGreaterThanOrEqual(1 + 4 + 4 * 3);
      expect(wall).toBeLessThan(0.6 * total);
    } finally {
      dns.delayMs = 0;
    }
  });

  it('an include target that times out gives unknown findings, never a crash or a false error', async () => {
    dns.silent.add('slow.slowinc.test');
    try {
      const r = await checkSpf(context('slowinc.test', { dns: client(200), ips: ['192.0.2.1'] }));
      const inc = one(r.findings, 'spf.include-target', 'slow.slowinc.test');
      expect(inc.severity).toBe('unknown');
      expect(inc.fix).toBeTruthy();
      expect(one(r.findings, 'spf.lookups').severity).toBe('unknown');
      expect(one(r.findings, 'spf.ip', '192.0.2.1').severity).toBe('unknown');
      expect(r.facts.evaluations[0]!.result).toBe('temperror');
      expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
    } finally {
      dns.silent.clear();
    }
  });

  it('a TXT lookup that fails at the domain is unknown, not missing', async () => {
    dns.servfail.add('ok.test');
    try {
      const r = await audit('ok.test');
      expect(one(r.findings, 'spf.present').severity).toBe('unknown');
      expect(pick(r.findings, 'spf.missing')).toEqual([]);
    } finally {
      dns.servfail.clear();
    }
  });
});

describe('checkSpf with Amazon SES (deliverability.md §5)', () => {
  it('custom MAIL FROM set up right: ✓ for its SPF and MX; apex include:amazonses.com is info', async () => {
    const r = await audit('ses1.test', { path: { ses: true, sesMailFrom: 'bounce.ses1.test' } });
    expect(one(r.findings, 'spf.ses-mail-from', 'bounce.ses1.test').severity).toBe('ok');
    expect(one(r.findings, 'spf.ses-mail-from-mx', 'bounce.ses1.test').severity).toBe('ok');
    const apex = one(r.findings, 'spf.ses-apex-include');
    expect(apex.severity).toBe('info');
    expect(apex.message).toMatch(/not needed for alignment.*one DNS lookup/);
    expect(r.facts.includesAmazonSes).toBe(true);
    expect(r.facts.sesMailFrom).toMatchObject({ domain: 'bounce.ses1.test', includesAmazonSes: true, mx: ['feedback-smtp.us-east-1.amazonses.com'] });
  });

  it('custom MAIL FROM without records: errors naming the exact records to publish', async () => {
    const r = await audit('ses2.test', { path: { ses: true, sesMailFrom: 'bounce.ses2.test' } });
    const spf = one(r.findings, 'spf.ses-mail-from', 'bounce.ses2.test');
    expect([spf.severity, spf.fix]).toEqual(['error', 'Publish the TXT record `v=spf1 include:amazonses.com ~all` at bounce.ses2.test']);
    const mx = one(r.findings, 'spf.ses-mail-from-mx', 'bounce.ses2.test');
    expect(mx.severity).toBe('error');
    expect(mx.fix).toContain('MX 10 feedback-smtp.<region>.amazonses.com');
    expect(pick(r.findings, 'spf.ses-apex-include')).toEqual([]);
  });

  it('custom MAIL FROM whose SPF and MX do not point at SES: errors', async () => {
    const r = await audit('ses3.test', { path: { ses: true, sesMailFrom: 'bounce.ses3.test' } });
    const spf = one(r.findings, 'spf.ses-mail-from', 'bounce.ses3.test');
    expect(spf.severity).toBe('error');
    expect(spf.fix).toContain('`v=spf1 include:amazonses.com ~all` at bounce.ses3.test');
    expect(one(r.findings, 'spf.ses-mail-from-mx', 'bounce.ses3.test').severity).toBe('error');
  });

  it('SES without a custom MAIL FROM: info that SPF is not aligned and DMARC rests on DKIM', async () => {
    const r = await audit('ses3.test', { path: { ses: true } });
    const f = one(r.findings, 'spf.ses-alignment');
    expect(f.severity).toBe('info');
    expect(f.message).toMatch(/not aligned.*DKIM/);
    expect(pick(r.findings, 'spf.ses-mail-from')).toEqual([]);
  });
});
