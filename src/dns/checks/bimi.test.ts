/**
 * BIMI: the record parser on the reference vectors (§7.4 B1–B2) and the check against a real DNS
 * server on loopback (B3: a logo published while DMARC is not at enforcement). B4, validating the
 * SVG itself (Tiny PS profile, square, title, size), is out of scope: the check does not fetch the
 * logo or the mark certificate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer } from '../../testing/dns-server.js';
import type { CheckContext, Finding } from '../report.js';
import { createDnsClient } from '../resolver.js';
import { checkBimi, parseBimi } from './bimi.js';

const ids = (findings: Finding[]) => findings.map((f) => [f.id, f.severity]);

describe('parseBimi', () => {
  it('B1: reads lps as a comma list, with blanks around the commas', () => {
    const r = parseBimi('v=BIMI1; lps=news, billing, support');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.localPartSelectors).toEqual(['news', 'billing', 'support']);
  });

  it('reads l, a and avp', () => {
    const r = parseBimi('v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem; avp=personal;');
    expect(r).toEqual({
      ok: true,
      warnings: [],
      value: { logo: 'https://example.com/logo.svg', authority: 'https://example.com/vmc.pem', avatarPreference: 'personal', localPartSelectors: undefined, declined: false },
    });
  });

  it('reads a declination record (empty l= and a=)', () => {
    const r = parseBimi('v=BIMI1; l=; a=;');
    expect(r.ok && r.value).toMatchObject({ logo: '', authority: '', declined: true });
  });

  it.each([
    ['B1: an lps entry with an underscore', 'v=BIMI1; lps=help_desk', /help_desk/],
    ['B1: an lps entry with a dot', 'v=BIMI1; lps=info.support', /info\.support/],
    ['an lps entry over 63 characters', `v=BIMI1; lps=${'a'.repeat(64)}`, /1 to 63/],
    ['B2: an unknown tag', 'v=BIMI1; xyz=foo', /unknown tag xyz/],
    ['B2: a duplicate l=', 'v=BIMI1; l=https://example.com/a.svg; l=https://example.com/b.svg', /more than once/],
    ['B2: trailing garbage after the version', 'v=BIMI1 garbage', /start with v=BIMI1/],
    ['B2: avp=bogus', 'v=BIMI1; l=https://example.com/logo.svg; avp=bogus', /brand or personal/],
    ['an http: logo', 'v=BIMI1; l=http://example.com/logo.svg', /https: URL/],
    ['an a= that is no URL', 'v=BIMI1; l=https://example.com/logo.svg; a=vmc.pem', /https: URL/],
    ['v not first', 'l=https://example.com/logo.svg; v=BIMI1', /start with v=BIMI1/],
  ])('rejects %s', (_label, txt, reason) => {
    const r = parseBimi(txt);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('; ')).toMatch(reason);
  });
});

let dns: DnsServer;
beforeAll(async () => {
  dns = await startDnsServer({
    'logo.test': {},
    'default._bimi.logo.test': { TXT: ['v=BIMI1; l=https://logo.test/bimi/logo.svg; a=https://logo.test/bimi/vmc.pem'] },
    'novmc.test': {},
    'default._bimi.novmc.test': { TXT: ['v=BIMI1; l=https://novmc.test/logo.svg'] },
    'declined.test': {},
    'default._bimi.declined.test': { TXT: ['v=BIMI1; l=; a=;'] },
    'bad.test': {},
    'default._bimi.bad.test': { TXT: ['v=BIMI1; l=https://bad.test/logo.svg; avp=bogus'] },
    'twice.test': {},
    'default._bimi.twice.test': { TXT: ['v=BIMI1; l=https://twice.test/a.svg', 'v=BIMI1; l=https://twice.test/b.svg'] },
    'none.test': {},
    'slow.test': {},
  });
  dns.silent.add('default._bimi.slow.test');
});
afterAll(async () => dns.close());

const ctxFor = (domain: string): CheckContext => ({
  domain,
  dns: createDnsClient({ server: dns.server, timeoutMs: 300, tries: 1 }),
  ips: [],
  selectors: [],
  path: { ses: false },
});

describe('checkBimi (real DNS server on loopback)', () => {
  it('passes a record with a mark certificate when DMARC is at enforcement', async () => {
    const { findings, facts } = await checkBimi(ctxFor('logo.test'), true);
    expect(ids(findings)).toEqual([
      ['bimi.record', 'ok'],
      ['bimi.dmarc', 'ok'],
    ]);
    expect(facts).toEqual({ record: 'present', logo: 'https://logo.test/bimi/logo.svg', authority: 'https://logo.test/bimi/vmc.pem' });
  });

  it('B3: warns that DMARC must be quarantine or reject when a logo is published without enforcement', async () => {
    const { findings } = await checkBimi(ctxFor('logo.test'), false);
    const dmarc = findings.find((f) => f.id === 'bimi.dmarc')!;
    expect(dmarc.severity).toBe('warning');
    expect(dmarc.message).toMatch(/must be quarantine or reject/);
    expect(dmarc.message).not.toMatch(/must not/);
    expect(dmarc.fix).toMatch(/p=quarantine/);
    expect(dmarc.fix).toContain('_dmarc.logo.test');
  });

  it('reports an unknown DMARC state as unknown, not as a warning', async () => {
    const { findings } = await checkBimi(ctxFor('logo.test'), 'unknown');
    expect(findings.find((f) => f.id === 'bimi.dmarc')!.severity).toBe('unknown');
  });

  it('notes that most providers need a mark certificate when a= is missing', async () => {
    const { findings } = await checkBimi(ctxFor('novmc.test'), true);
    expect(ids(findings)).toEqual([
      ['bimi.record', 'ok'],
      ['bimi.dmarc', 'ok'],
      ['bimi.authority', 'info'],
    ]);
    expect(findings[2]!.message).toMatch(/will not display the logo/);
    expect(findings[2]!.fix).toMatch(/Mark Certificate/);
  });

  it('reports absence as info, naming DMARC enforcement and the mark certificate', async () => {
    const { findings, facts } = await checkBimi(ctxFor('none.test'), false);
    expect(ids(findings)).toEqual([['bimi.absent', 'info']]);
    expect(findings[0]!.message).toMatch(/quarantine or reject/);
    expect(findings[0]!.message).toMatch(/mark certificate/);
    expect(findings[0]!.fix).toMatch(/^once DMARC is at p=quarantine or p=reject, publish `v=BIMI1; l=https:\/\/none\.test\//);
    expect(findings[0]!.fix).toContain('default._bimi.none.test');
    expect(facts.record).toBe('absent');
  });

  it('reports a declination record as info, without DMARC complaints', async () => {
    const { findings, facts } = await checkBimi(ctxFor('declined.test'), false);
    expect(ids(findings)).toEqual([['bimi.declined', 'info']]);
    expect(facts.record).toBe('declined');
  });

  it('reports syntax errors and several records as errors, each with a fix', async () => {
    const bad = await checkBimi(ctxFor('bad.test'), true);
    expect(ids(bad.findings)).toEqual([['bimi.syntax', 'error']]);
    expect(bad.findings[0]!.message).toMatch(/avp=bogus/);
    const twice = await checkBimi(ctxFor('twice.test'), true);
    expect(ids(twice.findings)).toEqual([['bimi.multiple', 'error']]);
    for (const f of [...bad.findings, ...twice.findings]) expect(f.fix).toBeTruthy();
  });

  it('turns a lookup that times out into unknown', async () => {
    const { findings, facts } = await checkBimi(ctxFor('slow.test'), true);
    expect(ids(findings)).toEqual([['bimi.lookup', 'unknown']]);
    expect(facts.record).toBe('unknown');
  });
});
