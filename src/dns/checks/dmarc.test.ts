/**
 * DMARC (RFC 9989) against a real DNS server on loopback (dns2): every vector of
 * deliverability.md §7.3 (D1–D25) and the RFC 9989 extras after it, each published at its own
 * `_dmarc.<row>.test` and audited with checkDmarc; the tree walk (names asked, in order); report
 * destinations; a resolver that never answers; and alignment feasibility from the audit's facts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer, type Zone } from '../../testing/dns-server.js';
import type { CheckContext, Finding, SendingPath } from '../report.js';
import { createDnsClient } from '../resolver.js';
import { checkAlignment, checkDmarc, discoverDmarc, parseDmarc, treeWalkNames, type DmarcDiscovery, type DmarcFacts, type ParsedDmarc } from './dmarc.js';

type Expect = [id: string, severity: Finding['severity'], subject?: string];

interface Row {
  /** The vector, e.g. 'D3' or 'RFC 9989'. */
  v: string;
  /** What the row shows. */
  what: string;
  /** The audited domain is `<name>.test`. */
  name: string;
  /** TXT at `_dmarc.<domain>`; `{d}` stands for the domain. */
  txt?: Array<string | string[]>;
  /** TXT at the domain itself. */
  apex?: string[];
  /** More zone entries (`{d}` in keys and values stands for the domain). */
  extra?: Zone;
  expect?: Expect[];
  /** Finding ids that must not appear. */
  absent?: string[];
  check?: (r: { parsed: ParsedDmarc | undefined; facts: DmarcFacts; findings: Finding[]; disc: DmarcDiscovery }) => void;
}

const has = (findings: Finding[], [id, severity, subject]: Expect) =>
  findings.some((f) => f.id === id && f.severity === severity && (subject === undefined || f.subject === subject));
const find = (findings: Finding[], id: string, subject?: string) => findings.find((f) => f.id === id && (subject === undefined || f.subject === subject));

const rows: Row[] = [
  // D1: the version tag and its variants.
  { v: 'D1', what: 'v=DMARC1;p=ReJect (value case-insensitive)', name: 'd1a', txt: ['v=DMARC1;p=ReJect;rua=mailto:dmarc@{d}'], expect: [['dmarc.present', 'ok'], ['dmarc.policy', 'ok']], check: ({ parsed }) => expect(parsed?.p).toBe('reject') },
  { v: 'D1', what: 'v = DMARC1 with spaces around =', name: 'd1b', txt: ['v = DMARC1;p=reject;rua=mailto:dmarc@{d}'], expect: [['dmarc.present', 'ok'], ['dmarc.policy', 'ok']], absent: ['dmarc.syntax', 'dmarc.version'] },
  { v: 'D1', what: 'tab and space variants', name: 'd1c', txt: ['v=DMARC1;\tp=reject ;  rua=mailto:dmarc@{d} ;'], expect: [['dmarc.present', 'ok']], absent: ['dmarc.syntax'], check: ({ parsed }) => expect(parsed?.rua.map((u) => u.address)).toEqual(['dmarc@d1c.test']) },
  { v: 'D1', what: 'V=DMARC1 (tag name case-insensitive) is found by discovery too', name: 'd1d', txt: ['V=DMARC1;p=reject;rua=mailto:dmarc@{d}'], expect: [['dmarc.present', 'ok']], absent: ['dmarc.missing', 'dmarc.version', 'dmarc.unrelated-txt'] },
  // D2: report URIs must be mailto:.
  { v: 'D2', what: 'rua without a scheme', name: 'd2a', txt: ['v=DMARC1; p=none; rua=reports@dmarc.example.net,mailto:dmarc@{d}'], expect: [['dmarc.report-uri', 'error', 'rua reports@dmarc.example.net'], ['dmarc.rua', 'ok']], check: ({ parsed }) => expect(parsed?.rua.map((u) => u.host)).toEqual(['d2a.test']) },
  { v: 'D2', what: 'rua with a garbage prefix', name: 'd2b', txt: ['v=DMARC1; p=none; rua=__mailto:dmarc@{d}'], expect: [['dmarc.report-uri', 'error'], ['dmarc.rua', 'warning']] },
  // D3
  { v: 'D3', what: 'p=foo', name: 'd3', txt: ['v=DMARC1; p=foo'], expect: [['dmarc.tag-value', 'error', 'p']], absent: ['dmarc.present', 'dmarc.policy'], check: ({ parsed, facts }) => { expect(parsed?.processing).toBe('none'); expect(facts.found).toBe(false); } },
  // D4: the RFC 9989 tags are valid.
  { v: 'D4', what: 'p=reject; np=quarantine', name: 'd4a', txt: ['v=DMARC1; p=reject; np=quarantine; rua=mailto:dmarc@{d}'], check: ({ parsed, findings }) => { expect(parsed?.valid).toBe(true); expect(parsed?.effective?.nonexistentPolicy).toBe('quarantine'); expect(findings.filter((f) => f.severity === 'error')).toEqual([]); } },
  { v: 'D4', what: 'psd=n', name: 'd4b', txt: ['v=DMARC1; p=reject; psd=n; rua=mailto:dmarc@{d}'], check: ({ parsed, disc }) => { expect(parsed?.valid).toBe(true); expect(parsed?.psd).toBe('n'); expect(disc.orgDomainFrom).toBe('psd=n'); expect(disc.namesQueried).toEqual(['_dmarc.d4b.test']); } },
  { v: 'D4', what: 't=y', name: 'd4c', txt: ['v=DMARC1; p=reject; t=y; rua=mailto:dmarc@{d}'], expect: [['dmarc.testing', 'warning']], check: ({ parsed }) => { expect(parsed?.valid).toBe(true); expect(parsed?.t).toBe('y'); } },
  // D5: invalid values of the other enumerated tags.
  ...(
    [
      ['d5a', 'np=invalid', 'np'],
      ['d5b', 'psd=x', 'psd'],
      ['d5c', 't=x', 't'],
      ['d5d', 'sp=invalid', 'sp'],
      ['d5e', 'fo=x', 'fo'],
      ['d5f', 'fo=invalid_value', 'fo'],
      ['d5g', 'adkim=x', 'adkim'],
    ] as const
  ).map(([name, tag, subject]): Row => ({ v: 'D5', what: tag, name, txt: [`v=DMARC1; p=reject; ${tag}; rua=mailto:dmarc@{d}`], expect: [['dmarc.tag-value', 'error', subject]] })),
  { v: 'D5', what: 'invalid sp with a valid rua: receivers act as p=none', name: 'd5h', txt: ['v=DMARC1; p=reject; sp=invalid; rua=mailto:dmarc@{d}'], check: ({ parsed, facts }) => { expect(parsed?.processing).toBe('implicit-none'); expect(facts.policy).toBe('none'); } },
  // D6: pct, rf, ri were removed in RFC 9989: warned about, not validated, dropped.
  ...['pct=100', 'pct=0', 'pct=150', 'pct=-1', 'pct=abc', 'rf=afrf', 'ri=3600', 'ri=abc'].map((tag, i): Row => ({
    v: 'D6',
    what: tag,
    name: `d6${'abcdefgh'[i]}`,
    txt: [`v=DMARC1; p=reject; ${tag}; rua=mailto:dmarc@{d}`],
    expect: [['dmarc.removed-tag', 'warning', tag.split('=')[0]]],
    absent: ['dmarc.tag-value'],
    check: ({ parsed, findings }) => {
      expect(parsed?.tags).not.toHaveProperty(tag.split('=')[0]!);
      expect(find(findings, 'dmarc.removed-tag')?.message).toMatch(/removed in RFC 9989/);
    },
  })),
  // D7
  { v: 'D7', what: 'no p, valid rua ⇒ p=none (implicit) + warning', name: 'd7', txt: ['v=DMARC1; rua=mailto:dmarc@{d}'], expect: [['dmarc.policy-missing', 'warning', 'p']], check: ({ parsed, facts, findings }) => { expect(parsed?.processing).toBe('implicit-none'); expect(facts.policy).toBe('none'); expect(facts.found).toBe(true); expect(find(findings, 'dmarc.policy-missing')?.message).toMatch(/p=none/); } },
  // D8: defaults.
  { v: 'D8', what: 'p=reject; sp=quarantine ⇒ np=quarantine', name: 'd8a', txt: ['v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@{d}'], check: ({ facts }) => expect([facts.policy, facts.subdomainPolicy, facts.nonexistentPolicy]).toEqual(['reject', 'quarantine', 'quarantine']) },
  { v: 'D8', what: 'p=reject ⇒ np=reject, psd=u, t=n, adkim=aspf=r', name: 'd8b', txt: ['v=DMARC1; p=reject; rua=mailto:dmarc@{d}'], check: ({ parsed, facts }) => { expect([facts.subdomainPolicy, facts.nonexistentPolicy]).toEqual(['reject', 'reject']); expect([parsed?.psd, parsed?.t, parsed?.adkim, parsed?.aspf]).toEqual(['u', 'n', 'r', 'r']); } },
  // D9
  { v: 'D9', what: 'v=DMARC1; p', name: 'd9', txt: ['v=DMARC1; p'], expect: [['dmarc.syntax', 'error']], check: ({ findings }) => { const m = find(findings, 'dmarc.syntax')!.message; expect(m).toContain("Expected '='"); expect(m).toContain('v=DMARC1; p➞'); } },
  // D10
  { v: 'D10', what: 'duplicate p', name: 'd10', txt: ['v=DMARC1; p=reject; p=none; rua=mailto:dmarc@{d}'], expect: [['dmarc.duplicate-tag', 'error', 'p']], check: ({ parsed }) => expect(parsed?.p).toBe('reject') },
  // D11
  { v: 'D11', what: 'unknown tag', name: 'd11', txt: ['v=DMARC1; p=reject; xyz=foo; rua=mailto:dmarc@{d}'], expect: [['dmarc.unknown-tag', 'warning', 'xyz']], check: ({ findings }) => expect(find(findings, 'dmarc.unknown-tag')?.message).toMatch(/Unknown DMARC tag 'xyz'.*ignored/) },
  // D12
  { v: 'D12', what: 'SPF text at _dmarc', name: 'd12', txt: ['v=spf1 include:example.com -all'], expect: [['dmarc.spf-at-dmarc', 'error', '_dmarc.d12.test']], absent: ['dmarc.missing'], check: ({ facts }) => expect(facts.found).toBe(false) },
  // D13: 0 and 1 are mutually exclusive in RFC 9989.
  { v: 'D13', what: 'fo=0:1', name: 'd13', txt: ['v=DMARC1; p=reject; fo=0:1; rua=mailto:dmarc@{d}; ruf=mailto:dmarc@{d}'], expect: [['dmarc.fo', 'warning', 'fo']], check: ({ findings }) => expect(find(findings, 'dmarc.fo')?.message).toMatch(/mutually exclusive/) },
  // D14
  { v: 'D14', what: 'p=reject; sp=none', name: 'd14', txt: ['v=DMARC1; p=reject; sp=none; rua=mailto:dmarc@{d}'], expect: [['dmarc.subdomain-policy', 'warning', 'sp']] },
  // D15: mailops has no parked-domain mode; the non-parked parts of the vector still hold.
  { v: 'D15', what: 'p=none (parked: no parked mode, the p=none warning stands)', name: 'd15a', txt: ['v=DMARC1; p=none; rua=mailto:dmarc@{d}'], expect: [['dmarc.policy', 'warning']] },
  { v: 'D15', what: 'p=reject; sp=none (parked: the sp=none warning stands)', name: 'd15b', txt: ['v=DMARC1; p=reject; sp=none; rua=mailto:dmarc@{d}'], expect: [['dmarc.subdomain-policy', 'warning', 'sp']] },
  // D16
  { v: 'D16', what: 'no rua', name: 'd16', txt: ['v=DMARC1; p=reject'], expect: [['dmarc.rua', 'warning']], check: ({ findings }) => expect(find(findings, 'dmarc.rua')?.fix).toContain('rua=mailto:dmarc@d16.test') },
  // D17
  { v: 'D17', what: 'p not right after v', name: 'd17', txt: ['v=DMARC1; sp=none; p=reject; rua=mailto:dmarc@{d}'], expect: [['dmarc.tag-order', 'warning', 'p']] },
  // D18
  { v: 'D18', what: 'record begins with whitespace', name: 'd18', txt: [' v=DMARC1; p=reject'], expect: [['dmarc.whitespace', 'error', '_dmarc.d18.test']], absent: ['dmarc.missing', 'dmarc.present'], check: ({ facts }) => expect(facts.found).toBe(false) },
  // D19
  { v: 'D19', what: 'two DMARC records', name: 'd19a', txt: ['v=DMARC1; p=reject', 'v=DMARC1; p=none'], expect: [['dmarc.multiple', 'error', '_dmarc.d19a.test']], absent: ['dmarc.present', 'dmarc.missing'], check: ({ facts }) => expect(facts.found).toBe(false) },
  { v: 'D19', what: 'DMARC + unrelated TXT', name: 'd19b', txt: ['v=DMARC1; p=reject; rua=mailto:dmarc@{d}', 'google-site-verification=abc'], expect: [['dmarc.unrelated-txt', 'info', '_dmarc.d19b.test'], ['dmarc.present', 'ok']] },
  // D20
  { v: 'D20', what: 'only the apex has v=DMARC1', name: 'd20a', apex: ['v=DMARC1; p=reject'], expect: [['dmarc.location', 'error']], absent: ['dmarc.missing'], check: ({ findings }) => expect(find(findings, 'dmarc.location')?.fix).toContain('_dmarc.d20a.test') },
  { v: 'D20', what: 'apex and _dmarc both', name: 'd20b', apex: ['v=DMARC1; p=none'], txt: ['v=DMARC1; p=reject; rua=mailto:dmarc@{d}'], expect: [['dmarc.location', 'warning'], ['dmarc.present', 'ok']], check: ({ findings }) => expect(find(findings, 'dmarc.location')?.message).toMatch(/no effect/) },
  // D22
  { v: 'D22', what: '!size suffix', name: 'd22', txt: ['v=DMARC1; p=reject; rua=mailto:dmarc@{d}!10m'], expect: [['dmarc.report-size', 'warning']], check: ({ parsed }) => expect(parsed?.rua[0]).toMatchObject({ address: 'dmarc@d22.test', size: '10m' }) },
  // D23: external destinations.
  {
    v: 'D23',
    what: 'external rua without authorization; wildcard and exact records authorize',
    name: 'd23',
    txt: ['v=DMARC1; p=reject; rua=mailto:a@elsewhere.test,mailto:b@wild.test; ruf=mailto:c@named.test'],
    extra: {
      'elsewhere.test': { MX: [{ exchange: 'mx.elsewhere.test', priority: 10 }] },
      'wild.test': { MX: [{ exchange: 'mx.wild.test', priority: 10 }] },
      '*._report._dmarc.wild.test': { TXT: ['v=DMARC1'] },
      'named.test': { MX: [{ exchange: 'mx.named.test', priority: 10 }] },
      '{d}._report._dmarc.named.test': { TXT: ['v=DMARC1'] },
    },
    expect: [
      ['dmarc.rua-authorization', 'warning', 'elsewhere.test'],
      ['dmarc.rua-authorization', 'ok', 'wild.test'],
      ['dmarc.rua-authorization', 'ok', 'named.test'],
    ],
    check: ({ findings }) => {
      const w = find(findings, 'dmarc.rua-authorization', 'elsewhere.test')!;
      expect(w.message).toMatch(/Unverified destination/);
      expect(w.fix).toContain('`v=DMARC1` at `d23.test._report._dmarc.elsewhere.test`');
    },
  },
  { v: 'D23', what: 'a destination inside the organizational domain needs no authorization', name: 'd23b', txt: ['v=DMARC1; p=reject; rua=mailto:dmarc@reports.{d}'], extra: { 'reports.{d}': { MX: [{ exchange: 'mx.{d}', priority: 10 }] } }, absent: ['dmarc.rua-authorization'], expect: [['dmarc.rua-mx', 'ok', 'reports.d23b.test']] },
  // D24: report address domains that cannot receive.
  { v: 'D24', what: 'rua domain without MX and without A', name: 'd24a', txt: ['v=DMARC1; p=reject; rua=mailto:r@nomail.{d}'], expect: [['dmarc.rua-mx', 'warning', 'nomail.d24a.test']] },
  { v: 'D24', what: 'rua domain without MX but with A (implicit MX)', name: 'd24b', txt: ['v=DMARC1; p=reject; rua=mailto:r@aonly.{d}'], extra: { 'aonly.{d}': { A: ['192.0.2.7'] } }, expect: [['dmarc.rua-mx', 'info', 'aonly.d24b.test']] },
  { v: 'D24', what: 'MX lookup of the rua domain fails', name: 'd24c', txt: ['v=DMARC1; p=reject; rua=mailto:r@broken.{d}'], expect: [['dmarc.rua-mx', 'unknown', 'broken.d24c.test']] },
  { v: 'D24', what: 'rua domain with a null MX', name: 'd24d', txt: ['v=DMARC1; p=reject; rua=mailto:r@null.{d}'], extra: { 'null.{d}': { MX: [{ exchange: '', priority: 0 }] } }, expect: [['dmarc.rua-mx', 'warning', 'null.d24d.test']] },
  // D25
  { v: 'D25', what: 'three rua URIs', name: 'd25a', txt: ['v=DMARC1; p=reject; rua=mailto:a@{d},mailto:b@{d},mailto:c@{d}'], expect: [['dmarc.report-count', 'warning', 'rua']] },
  { v: 'D25', what: 'three ruf URIs', name: 'd25b', txt: ['v=DMARC1; p=reject; rua=mailto:a@{d}; ruf=mailto:a@{d},mailto:b@{d},mailto:c@{d}'], expect: [['dmarc.report-count', 'warning', 'ruf']] },

  // RFC 9989 extras.
  { v: 'RFC 9989', what: 'v=dmarc1 is not a DMARC record', name: 'x-lower', txt: ['v=dmarc1; p=reject'], expect: [['dmarc.version', 'error', '_dmarc.x-lower.test']], absent: ['dmarc.present'], check: ({ facts }) => { expect(facts.found).toBe(false); expect(parseDmarc('v=dmarc1; p=reject').isDmarc).toBe(false); } },
  { v: 'RFC 9989', what: 'v=DMARC1x is not a DMARC record', name: 'x-suffix', txt: ['v=DMARC1x; p=reject'], expect: [['dmarc.version', 'error']], absent: ['dmarc.present'], check: ({ facts }) => { expect(facts.found).toBe(false); expect(parseDmarc('v=DMARC1x; p=reject').isDmarc).toBe(false); } },
  { v: 'RFC 9989', what: 'v = DMARC1 is a DMARC record', name: 'x-spaced', txt: ['v = DMARC1 ; p=reject; rua=mailto:dmarc@{d}'], expect: [['dmarc.present', 'ok']], check: ({ facts }) => expect(facts.found).toBe(true) },
  { v: 'RFC 9989', what: 'p=Reject and adkim=S are case-insensitive', name: 'x-case', txt: ['v=DMARC1; p=Reject; adkim=S; rua=mailto:dmarc@{d}'], absent: ['dmarc.tag-value'], check: ({ facts }) => { expect(facts.policy).toBe('reject'); expect(facts.adkim).toBe('s'); } },
  { v: 'RFC 9989', what: 'no p and no rua ⇒ no DMARC processing', name: 'x-nop', txt: ['v=DMARC1; adkim=s'], expect: [['dmarc.policy-missing', 'error', 'p']], absent: ['dmarc.present'], check: ({ parsed, facts, findings }) => { expect(parsed?.processing).toBe('none'); expect(facts.found).toBe(false); expect(facts.policy).toBeUndefined(); expect(find(findings, 'dmarc.policy-missing')?.message).toMatch(/no DMARC processing/); } },
  {
    v: 'RFC 9989',
    what: 't=y lowers reject → quarantine and quarantine → none',
    name: 'x-testing',
    txt: ['v=DMARC1; p=reject; sp=quarantine; np=none; t=y; rua=mailto:dmarc@{d}'],
    expect: [['dmarc.testing', 'warning'], ['dmarc.effective', 'info']],
    check: ({ parsed, facts }) => {
      expect(parsed?.published).toEqual({ policy: 'reject', subdomainPolicy: 'quarantine', nonexistentPolicy: 'none' });
      expect([facts.policy, facts.subdomainPolicy, facts.nonexistentPolicy, facts.domainPolicy]).toEqual(['quarantine', 'none', 'none', 'quarantine']);
      expect(facts.testing).toBe(true);
    },
  },
  { v: 'RFC 9989', what: 't=y with p=none has no effect', name: 'x-testing-none', txt: ['v=DMARC1; p=none; t=y; rua=mailto:dmarc@{d}'], expect: [['dmarc.testing', 'info']] },
];

const zone: Zone = {
  // Org domain with sp/np, for existing vs non-existent subdomains.
  'np.test': { A: ['192.0.2.1'] },
  '_dmarc.np.test': { TXT: ['v=DMARC1; p=reject; sp=quarantine; np=none; rua=mailto:dmarc@np.test'] },
  'real.np.test': { TXT: ['something'] }, // exists, but has no A record (NODATA)
  // A PSD record at a one-label name.
  '_dmarc.psdtld': { TXT: ['v=DMARC1; p=reject; sp=quarantine; np=reject; psd=y'] },
  'shop.brand.psdtld': { A: ['192.0.2.2'] },
  'brand.psdtld': { A: ['192.0.2.2'] },
  // psd=n below the registered domain.
  'a.mail.psdn.test': { A: ['192.0.2.3'] },
  '_dmarc.mail.psdn.test': { TXT: ['v=DMARC1; p=quarantine; psd=n; rua=mailto:dmarc@mail.psdn.test'] },
  '_dmarc.psdn.test': { TXT: ['v=DMARC1; p=none; rua=mailto:dmarc@psdn.test'] },
  // Records at an intermediate name and at the organizational domain.
  'a.mail.mid.test': { A: ['192.0.2.4'] },
  '_dmarc.mail.mid.test': { TXT: ['v=DMARC1; p=none; sp=none; rua=mailto:dmarc@mid.test'] },
  '_dmarc.mid.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@mid.test'] },
  'mid.test': { MX: [{ exchange: 'mx.mid.test', priority: 10 }] },
  // Inherited from the organizational domain.
  'sub.inherit.test': { A: ['192.0.2.5'] },
  '_dmarc.inherit.test': { TXT: ['v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@inherit.test'] },
  'inherit.test': { MX: [{ exchange: 'mx.inherit.test', priority: 10 }] },
  // Deep name: found at the registered domain after the jump.
  '_dmarc.deepfound.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@deepfound.test'] },
  'a.b.c.d.e.f.g.h.i.j.mail.deepfound.test': { A: ['192.0.2.6'] },
  // Timeouts: own record, and a parent during the walk.
  'slow.test': { A: ['192.0.2.8'] },
  'kid.slowparent.test': { A: ['192.0.2.9'] },
  'ownok.slowparent.test': { A: ['192.0.2.9'] },
  '_dmarc.ownok.slowparent.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@ownok.slowparent.test'] },
  // Alignment: SES with custom MAIL FROM and aspf=s.
  'ses.test': { A: ['192.0.2.10'] },
  '_dmarc.ses.test': { TXT: ['v=DMARC1; p=reject; adkim=s; aspf=s; rua=mailto:dmarc@ses.test'] },
};
const sub = (s: string, d: string) => s.replaceAll('{d}', d);
for (const row of rows) {
  const d = `${row.name}.test`;
  zone[d] = { A: ['192.0.2.1'], MX: [{ exchange: `mx.${d}`, priority: 10 }], ...(row.apex ? { TXT: row.apex } : {}) };
  if (row.txt) zone[`_dmarc.${d}`] = { TXT: row.txt.map((t) => (typeof t === 'string' ? sub(t, d) : t)) };
  for (const [k, v] of Object.entries(row.extra ?? {})) zone[sub(k, d)] = JSON.parse(sub(JSON.stringify(v), d)) as Zone[string];
}

let dns: DnsServer;
beforeAll(async () => {
  dns = await startDnsServer(zone);
  dns.servfail.add('broken.d24c.test');
});
afterAll(async () => dns.close());

const client = () => createDnsClient({ server: dns.server, timeoutMs: 500, tries: 1 });
const ctxFor = (domain: string, path: SendingPath = { ses: false }, c = client()): CheckContext => ({ domain, dns: c, ips: [], selectors: [], path });

/** Every finding a test produced, for the suite-wide invariants at the end. */
const seen: Finding[][] = [];
async function audit(domain: string, path?: SendingPath) {
  const ctx = ctxFor(domain, path);
  const { findings, facts } = await checkDmarc(ctx);
  const disc = await discoverDmarc(domain, ctx.dns);
  seen.push(findings);
  return { ctx, findings, facts, disc, parsed: disc.parsed ?? (disc.lookups[0]?.records[0] !== undefined ? parseDmarc(disc.lookups[0].records[0]) : undefined) };
}

describe('DMARC vectors through a real DNS server (deliverability.md §7.3 + RFC 9989 extras)', () => {
  for (const row of rows) {
    it(`${row.v}: ${row.what}`, async () => {
      const r = await audit(`${row.name}.test`);
      for (const e of row.expect ?? []) expect(has(r.findings, e), `expected ${e.join(' ')} in ${JSON.stringify(r.findings.map((f) => [f.id, f.severity, f.subject]))}`).toBe(true);
      for (const id of row.absent ?? []) expect(r.findings.map((f) => f.id)).not.toContain(id);
      row.check?.(r);
    });
  }
});

describe('policy discovery: the RFC 9989 §4.10 tree walk', () => {
  it('D21: a subdomain with no records anywhere: the walk asks the parent and the TLD, then reports missing', async () => {
    const r = await audit('sub.nodmarc.test');
    expect(r.disc.namesQueried).toEqual(['_dmarc.sub.nodmarc.test', '_dmarc.nodmarc.test', '_dmarc.test']);
    expect(r.disc.result).toBe('missing');
    expect(has(r.findings, ['dmarc.missing', 'error'])).toBe(true);
    expect(find(r.findings, 'dmarc.missing')?.fix).toBe('Publish TXT `v=DMARC1; p=none; rua=mailto:dmarc@sub.nodmarc.test` at `_dmarc.sub.nodmarc.test`');
    expect(r.facts.found).toBe(false);
  });

  it('more than 8 labels: exactly 8 queries, jumping to 7 labels after the first (RFC order)', async () => {
    const domain = 'a.b.c.d.e.f.g.h.i.j.mail.deep.test';
    const ctx = ctxFor(domain);
    const disc = await discoverDmarc(domain, ctx.dns);
    const expected = [
      '_dmarc.a.b.c.d.e.f.g.h.i.j.mail.deep.test',
      '_dmarc.g.h.i.j.mail.deep.test',
      '_dmarc.h.i.j.mail.deep.test',
      '_dmarc.i.j.mail.deep.test',
      '_dmarc.j.mail.deep.test',
      '_dmarc.mail.deep.test',
      '_dmarc.deep.test',
      '_dmarc.test',
    ];
    expect(disc.namesQueried).toEqual(expected);
    expect(ctx.dns.queries.filter((q) => q.type === 'TXT').map((q) => q.name)).toEqual(expected);
    expect(disc.result).toBe('missing');
    // 8 labels: plain parent steps; 9 labels: the first query, then straight to 7 labels.
    expect(treeWalkNames('c.d.e.f.g.h.example.com')).toEqual(['c.d.e.f.g.h.example.com', 'd.e.f.g.h.example.com', 'e.f.g.h.example.com', 'f.g.h.example.com', 'g.h.example.com', 'h.example.com', 'example.com', 'com']);
    expect(treeWalkNames('b.c.d.e.f.g.h.example.com')).toEqual(['b.c.d.e.f.g.h.example.com', 'd.e.f.g.h.example.com', 'e.f.g.h.example.com', 'f.g.h.example.com', 'g.h.example.com', 'h.example.com', 'example.com', 'com']);
  });

  it('a deep name inherits the registered domain’s record found after the jump', async () => {
    const r = await audit('a.b.c.d.e.f.g.h.i.j.mail.deepfound.test');
    expect(r.disc.namesQueried).toHaveLength(8);
    expect(r.facts.location).toBe('_dmarc.deepfound.test');
    expect(r.facts.orgDomain).toBe('deepfound.test');
    expect(has(r.findings, ['dmarc.inherited', 'info'])).toBe(true);
  });

  it('psd=y at _dmarc.<tld>: the organizational domain is one label below it, and the PSD record applies', async () => {
    const r = await audit('shop.brand.psdtld');
    expect(r.disc.orgDomain).toBe('brand.psdtld');
    expect(r.disc.orgDomainFrom).toBe('psd=y');
    expect(r.facts.location).toBe('_dmarc.psdtld');
    expect(r.facts.inherited).toBe(true);
    expect(r.facts.appliedTag).toBe('sp');
    expect(r.facts.domainPolicy).toBe('quarantine');
    const brand = await audit('brand.psdtld');
    expect(brand.disc.orgDomain).toBe('brand.psdtld');
  });

  it('psd=n stops the walk: that name is the organizational domain', async () => {
    const r = await audit('a.mail.psdn.test');
    expect(r.disc.namesQueried).toEqual(['_dmarc.a.mail.psdn.test', '_dmarc.mail.psdn.test']);
    expect(r.facts.orgDomain).toBe('mail.psdn.test');
    expect(r.facts.location).toBe('_dmarc.mail.psdn.test');
    expect(r.facts.domainPolicy).toBe('quarantine');
  });

  it('without psd tags the organizational domain is the record with the fewest labels; an intermediate record does not apply', async () => {
    const r = await audit('a.mail.mid.test');
    expect(r.disc.namesQueried).toEqual(['_dmarc.a.mail.mid.test', '_dmarc.mail.mid.test', '_dmarc.mid.test', '_dmarc.test']);
    expect(r.facts.orgDomain).toBe('mid.test');
    expect(r.facts.location).toBe('_dmarc.mid.test');
    expect(r.facts.domainPolicy).toBe('reject');
    expect(find(r.findings, 'dmarc.inherited')?.message).toContain('_dmarc.mail.mid.test does not apply');
    // Auditing the intermediate name itself: its own record applies, but its sp has no effect.
    const mid = await audit('mail.mid.test');
    expect(mid.facts.inherited).toBe(false);
    expect(has(mid.findings, ['dmarc.subdomain-policy', 'info'])).toBe(true);
  });

  it('inherited from the organizational domain: an info naming the record and the sp tag', async () => {
    const r = await audit('sub.inherit.test');
    expect(r.facts).toMatchObject({ found: true, inherited: true, location: '_dmarc.inherit.test', appliedTag: 'sp', domainPolicy: 'quarantine', policy: 'reject' });
    const info = find(r.findings, 'dmarc.inherited')!;
    expect(info.severity).toBe('info');
    expect(info.message).toContain('_dmarc.inherit.test');
    expect(info.message).toContain('sp=quarantine');
    expect(has(r.findings, ['dmarc.policy', 'info'])).toBe(true); // sp=quarantine is what this domain gets
    expect(r.findings.map((f) => f.id)).not.toContain('dmarc.present');
  });

  it('a non-existent (NXDOMAIN) subdomain uses np; an existing one, even with NODATA, uses sp', async () => {
    const ghost = await audit('ghost.np.test');
    expect(ghost.disc.domainExists).toBe(false);
    expect(ghost.facts.appliedTag).toBe('np');
    expect(ghost.facts.domainPolicy).toBe('none');
    const real = await audit('real.np.test');
    expect(real.disc.domainExists).toBe(true);
    expect(real.facts.appliedTag).toBe('sp');
    expect(real.facts.domainPolicy).toBe('quarantine');
    // At the org domain itself: np=none while p=reject is a warning.
    const org = await audit('np.test');
    expect(has(org.findings, ['dmarc.subdomain-policy', 'warning', 'np'])).toBe(true);
  });

  it('a timeout at _dmarc.<domain> is an unknown finding, never "missing"', async () => {
    dns.silent.add('_dmarc.slow.test');
    try {
      const r = await audit('slow.test');
      expect(r.facts.found).toBe('unknown');
      expect(has(r.findings, ['dmarc.present', 'unknown'])).toBe(true);
      expect(r.findings.map((f) => f.id)).not.toContain('dmarc.missing');
      expect(r.disc.result).toBe('unknown');
    } finally {
      dns.silent.delete('_dmarc.slow.test');
    }
  });

  it('a timeout at a parent during the walk: unknown when no own record, org domain unknown when there is one', async () => {
    dns.silent.add('_dmarc.slowparent.test');
    try {
      const kid = await audit('kid.slowparent.test');
      expect(kid.facts.found).toBe('unknown');
      expect(kid.findings.map((f) => f.id)).not.toContain('dmarc.missing');
      const own = await audit('ownok.slowparent.test');
      expect(own.facts.found).toBe(true);
      expect(has(own.findings, ['dmarc.present', 'ok'])).toBe(true);
      expect(has(own.findings, ['dmarc.org-domain', 'unknown'])).toBe(true);
    } finally {
      dns.silent.delete('_dmarc.slowparent.test');
    }
  });
});

describe('record text: fixes and syntax markers', () => {
  it('the p=none fix gives the staged path and a record that parses', async () => {
    const r = await audit('d15a.test');
    const fix = find(r.findings, 'dmarc.policy')!.fix!;
    expect(fix).toMatch(/none → quarantine → reject/);
    expect(find(r.findings, 'dmarc.policy')!.message).toMatch(/bulk-sender minimum/);
    const suggested = /`(v=DMARC1[^`]*)`/.exec(fix)![1]!;
    expect(parseDmarc(suggested)).toMatchObject({ valid: true, p: 'quarantine' });
  });

  it('points the marker at the failing position for other syntax errors', () => {
    const p = parseDmarc('v=DMARC1; p=reject; =x; rua');
    const msgs = p.problems.filter((x) => x.code === 'syntax').map((x) => x.message);
    expect(msgs).toHaveLength(2);
    expect(msgs[0]).toContain('v=DMARC1; p=reject; ➞=x; rua');
    expect(msgs[1]).toContain("Expected '=' after tag 'rua'");
  });
});

describe('alignment feasibility (facts from the audit)', () => {
  it('SES without a custom MAIL FROM: DMARC rests on Easy DKIM; warning when no aligned DKIM is known', async () => {
    const { ctx, facts } = await audit('d8b.test', { ses: true });
    const none = checkAlignment(ctx, facts, { dkimAligned: false });
    expect(has(none, ['alignment.spf', 'info'])).toBe(true);
    expect(has(none, ['alignment.path', 'warning'])).toBe(true);
    expect(find(none, 'alignment.path')?.message).toContain('amazonses.com');
    const ok = checkAlignment(ctx, facts, { dkimAligned: true });
    expect(has(ok, ['alignment.path', 'ok'])).toBe(true);
    expect(has(ok, ['alignment.dkim', 'ok'])).toBe(true);
    const unknown = checkAlignment(ctx, facts, { dkimAligned: 'unknown' });
    expect(has(unknown, ['alignment.dkim', 'unknown'])).toBe(true);
    expect(has(unknown, ['alignment.path', 'warning'])).toBe(true);
    seen.push(none, ok, unknown);
  });

  it('SES with a custom MAIL FROM: aspf=s breaks SPF alignment; adkim=s is fine with d= the From domain', async () => {
    const { ctx, facts } = await audit('ses.test', { ses: true, sesMailFrom: 'bounce.ses.test' });
    expect([facts.adkim, facts.aspf]).toEqual(['s', 's']);
    const f = checkAlignment(ctx, facts, { dkimAligned: true });
    expect(has(f, ['alignment.spf', 'warning'])).toBe(true);
    expect(find(f, 'alignment.spf')?.fix).toContain('_dmarc.ses.test');
    expect(has(f, ['alignment.dkim', 'ok'])).toBe(true);
    expect(has(f, ['alignment.path', 'ok'])).toBe(true);
    const relaxed = await audit('d8b.test', { ses: true, sesMailFrom: 'bounce.d8b.test' });
    expect(has(checkAlignment(relaxed.ctx, relaxed.facts, { dkimAligned: false }), ['alignment.spf', 'ok'])).toBe(true);
    seen.push(f);
  });

  it('Mailcow sending directly: SPF aligns with the envelope domain; missing DKIM is advisory', async () => {
    const { ctx, facts } = await audit('d8b.test');
    const f = checkAlignment(ctx, facts, { dkimAligned: false });
    expect(has(f, ['alignment.spf', 'ok'])).toBe(true);
    expect(has(f, ['alignment.dkim', 'info'])).toBe(true);
    expect(find(f, 'alignment.dkim')?.fix).toContain('dkim._domainkey.d8b.test');
    expect(has(f, ['alignment.path', 'ok'])).toBe(true);
    seen.push(f);
  });
});

describe('invariants over every audit above', () => {
  it('every non-ok finding carries a fix, and id + subject identify one finding', () => {
    expect(seen.length).toBeGreaterThan(40);
    for (const findings of seen) {
      for (const f of findings) if (f.severity !== 'ok') expect(f.fix, `${f.id} ${f.subject ?? ''}: ${f.message}`).toBeTruthy();
      const keys = findings.map((f) => `${f.id} ${f.subject ?? ''}`);
      expect(new Set(keys).size, keys.join(', ')).toBe(keys.length);
    }
  });
});
