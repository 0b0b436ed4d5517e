/**
 * DKIM key records: the parser on real keys generated here (RSA 512/1024/2048, Ed25519), and the
 * selector check against a real DNS server on loopback — a 2048-bit key split into several TXT
 * strings, revoked/garbage/sha1-only/testing keys, two records at one selector, a selector whose
 * lookup times out, and SES Easy DKIM CNAMEs.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer } from '../../testing/dns-server.js';
import type { CheckContext, Finding } from '../report.js';
import { createDnsClient, joinTxt } from '../resolver.js';
import { checkDkim, parseDkimKey } from './dkim.js';

const rsaKey = (modulusLength: number) => generateKeyPairSync('rsa', { modulusLength }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
// RFC 8463: the record carries the 32 raw key bytes, which are the tail of the SPKI encoding.
const ed25519Key = () => generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64');

const rsa512 = rsaKey(512);
const rsa1024 = rsaKey(1024);
const rsa2048 = rsaKey(2048);
const ed = ed25519Key();
const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'pkcs1', format: 'der' }).toString('base64');

describe('parseDkimKey (RFC 6376 §3.6.1)', () => {
  it.each([
    ['rsa 2048', `v=DKIM1; k=rsa; p=${rsa2048}`, 'rsa', 2048],
    ['rsa 1024, k defaulted', `v=DKIM1; p=${rsa1024}`, 'rsa', 1024],
    ['rsa 512', `p=${rsa512}`, 'rsa', 512],
    ['ed25519', `v=DKIM1; k=ed25519; p=${ed}`, 'ed25519', 256],
  ])('measures a %s key', (_label, record, keyType, bits) => {
    const r = parseDkimKey(record);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.key).toMatchObject({ keyType, bits, revoked: false, testing: false });
  });

  it('reads a key folded with whitespace inside p= and a trailing semicolon', () => {
    const folded = rsa2048.replace(/(.{64})/g, '$1 \t');
    const r = parseDkimKey(`v=DKIM1; k=rsa;\r\n p=${folded};`);
    expect(r.ok && r.key.bits).toBe(2048);
    expect(r.ok && r.key.publicKey).toBe(rsa2048);
  });

  it('reads tags h, n, s and t', () => {
    const r = parseDkimKey(`v=DKIM1; h=sha256:sha1; n=rotated in spring; s=email; t=y:s; p=${rsa2048}`);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.key).toMatchObject({ hashes: ['sha256', 'sha1'], notes: 'rotated in spring', services: ['email'], flags: ['y', 's'], testing: true, strict: true });
  });

  it('treats an empty p= as a revoked key', () => {
    const r = parseDkimKey('v=DKIM1; k=rsa; p=');
    expect(r.ok && r.key.revoked).toBe(true);
    expect(r.ok && r.key.bits).toBeUndefined();
  });

  it('warns when v= is present but not first', () => {
    const r = parseDkimKey(`k=rsa; v=DKIM1; p=${rsa2048}`);
    expect(r.ok).toBe(true);
    expect(r.warnings.join()).toMatch(/not the first tag/);
  });

  it.each([
    ['no p=', 'v=DKIM1; k=rsa', /p= tag/],
    ['a version other than DKIM1', `v=DKIM2; p=${rsa2048}`, /DKIM1/],
    ['an unknown key type', `k=dsa; p=${rsa2048}`, /rsa or ed25519/],
    ['a duplicate tag', `p=${rsa2048}; p=${rsa1024}`, /more than once/],
    ['a field without =', `v=DKIM1; garbage; p=${rsa2048}`, /not a tag=value/],
    ['characters outside base64', 'p=not*base64!', /base64/],
    ['base64 that is no DER key', `p=${Buffer.from('just some bytes, not a key').toString('base64')}`, /not a DER-encoded RSA/],
    ['a bare PKCS#1 key', `p=${pkcs1}`, /PKCS#1/],
    ['an Ed25519 key of the wrong length', `k=ed25519; p=${rsa1024}`, /32 raw bytes/],
    ['an Ed25519 key under k=rsa', `k=rsa; p=${generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`, /ed25519 key, but k=rsa/],
  ])('rejects %s', (_label, record, reason) => {
    const r = parseDkimKey(record);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('; ')).toMatch(reason);
  });
});

let dns: DnsServer;
beforeAll(async () => {
  const key = (sel: string, record: string) => ({ [`${sel}._domainkey.example.test`]: { TXT: [record] } });
  dns = await startDnsServer({
    'example.test': { MX: [{ exchange: 'mx.example.test', priority: 10 }] },
    ...key('dkim', `v=DKIM1; k=rsa; p=${rsa2048}`),
    ...key('short', `v=DKIM1; k=rsa; p=${rsa1024}`),
    ...key('weak', `v=DKIM1; k=rsa; p=${rsa512}`),
    ...key('ed', `v=DKIM1; k=ed25519; p=${ed}`),
    ...key('revoked', 'v=DKIM1; k=rsa; p='),
    ...key('garbage', 'v=DKIM1; k=rsa; p=AAAAB3NzaC1yc2EAAAADAQABAAABAQ=='),
    ...key('sha1', `v=DKIM1; h=sha1; p=${rsa2048}`),
    ...key('testing', `v=DKIM1; t=y; p=${rsa2048}`),
    ...key('vlate', `k=rsa; v=DKIM1; p=${rsa2048}`),
    'two._domainkey.example.test': { TXT: [`v=DKIM1; p=${rsa2048}`, `v=DKIM1; p=${rsa1024}`] },
    'slow._domainkey.example.test': { TXT: [`v=DKIM1; p=${rsa2048}`] },
    // SES Easy DKIM: the selector is a CNAME to <token>.dkim.amazonses.com, which holds the key.
    'tok1._domainkey.example.test': { CNAME: 'tok1.dkim.amazonses.com' },
    'tok1.dkim.amazonses.com': { TXT: [`p=${rsa2048}`] },
    'tok2._domainkey.example.test': { CNAME: 'tok2.dkim.amazonses.com' },
  });
  dns.silent.add('slow._domainkey.example.test');
});
afterAll(async () => dns.close());

const ctxFor = (selectors: string[], ses = false, domain = 'example.test'): CheckContext => ({
  domain,
  dns: createDnsClient({ server: dns.server, timeoutMs: 300, tries: 1 }),
  ips: [],
  selectors,
  path: { ses },
});
const about = (findings: Finding[], selector: string) => findings.filter((f) => f.subject === selector).map((f) => [f.id, f.severity]);

describe('checkDkim (real DNS server on loopback)', () => {
  it('reads a 2048-bit key that the server splits into several strings, and passes it', async () => {
    const ctx = ctxFor(['dkim']);
    const raw = await ctx.dns.txt('dkim._domainkey.example.test');
    expect(raw.status === 'ok' && raw.records[0]!.length).toBeGreaterThan(1);
    expect(raw.status === 'ok' && joinTxt(raw.records)[0]).toBe(`v=DKIM1; k=rsa; p=${rsa2048}`);
    const { findings, facts } = await checkDkim(ctx);
    expect(about(findings, 'dkim')).toEqual([['dkim.key', 'ok']]);
    expect(facts.selectors).toEqual([
      { selector: 'dkim', name: 'dkim._domainkey.example.test', found: true, bits: 2048, keyType: 'rsa', testing: false, revoked: false, ses: false },
    ]);
  });

  it('judges each selector: size, type, revocation, hashes, testing, tag order, duplicates', async () => {
    const selectors = ['short', 'weak', 'ed', 'revoked', 'garbage', 'sha1', 'testing', 'vlate', 'two'];
    const { findings, facts } = await checkDkim(ctxFor(selectors));
    expect(about(findings, 'short')).toEqual([['dkim.key.short', 'warning']]);
    expect(about(findings, 'weak')).toEqual([['dkim.key.weak', 'error']]);
    expect(about(findings, 'ed')).toEqual([['dkim.key', 'ok']]);
    expect(about(findings, 'revoked')).toEqual([['dkim.revoked', 'error']]);
    expect(about(findings, 'garbage')).toEqual([['dkim.invalid', 'error']]);
    expect(about(findings, 'sha1')).toEqual([
      ['dkim.hash', 'error'],
      ['dkim.key', 'ok'],
    ]);
    expect(about(findings, 'testing')).toEqual([
      ['dkim.key', 'ok'],
      ['dkim.testing', 'warning'],
    ]);
    expect(about(findings, 'vlate')).toEqual([
      ['dkim.version.position', 'warning'],
      ['dkim.key', 'ok'],
    ]);
    expect(about(findings, 'two')).toEqual([['dkim.multiple', 'error']]);
    for (const f of findings.filter((x) => x.severity !== 'ok')) expect(f.fix, f.id).toBeTruthy();
    const bySelector = Object.fromEntries(facts.selectors.map((s) => [s.selector, s]));
    expect(bySelector['short']).toMatchObject({ found: true, bits: 1024, keyType: 'rsa' });
    expect(bySelector['ed']).toMatchObject({ found: true, bits: 256, keyType: 'ed25519' });
    expect(bySelector['revoked']).toMatchObject({ found: true, revoked: true, bits: undefined });
    expect(bySelector['testing']).toMatchObject({ testing: true });
  });

  it("reports a missing selector as an error, pointing Mailcow users at the admin UI for selector 'dkim'", async () => {
    const { findings, facts } = await checkDkim(ctxFor(['dkim', 'other'], false, 'nokeys.test'));
    const dkim = findings.find((f) => f.subject === 'dkim')!;
    expect([dkim.id, dkim.severity]).toEqual(['dkim.missing', 'error']);
    expect(dkim.fix).toMatch(/Mailcow.*ARC\/DKIM keys/);
    expect(dkim.fix).toContain('dkim._domainkey.nokeys.test');
    const other = findings.find((f) => f.subject === 'other')!;
    expect([other.id, other.severity]).toEqual(['dkim.missing', 'error']);
    expect(other.fix).not.toMatch(/Mailcow/);
    expect(facts.selectors.map((s) => s.found)).toEqual([false, false]);
  });

  it('turns a selector lookup that times out into unknown, not a missing key', async () => {
    const { findings, facts } = await checkDkim(ctxFor(['slow', 'dkim']));
    expect(about(findings, 'slow')).toEqual([['dkim.lookup', 'unknown']]);
    expect(about(findings, 'dkim')).toEqual([['dkim.key', 'ok']]);
    expect(facts.selectors[0]).toMatchObject({ selector: 'slow', found: false });
  });

  it('recognises SES Easy DKIM CNAMEs and checks the key behind them', async () => {
    const { findings, facts } = await checkDkim(ctxFor(['tok1', 'tok2', 'dkim'], true));
    expect(about(findings, 'tok1')).toEqual([
      ['dkim.ses', 'info'],
      ['dkim.key', 'ok'],
    ]);
    expect(about(findings, 'tok2')).toEqual([
      ['dkim.ses', 'info'],
      ['dkim.missing', 'error'],
    ]);
    expect(findings.find((f) => f.subject === 'tok2' && f.id === 'dkim.missing')!.fix).toMatch(/SES console/);
    expect(about(findings, 'dkim')).toEqual([['dkim.key', 'ok']]);
    expect(findings.some((f) => f.id === 'dkim.ses.none')).toBe(false);
    expect(facts.selectors.map((s) => [s.selector, s.ses, s.bits])).toEqual([
      ['tok1', true, 2048],
      ['tok2', true, undefined],
      ['dkim', false, 2048],
    ]);
  });

  it('notes when SES sends but no selector given is an Easy DKIM CNAME', async () => {
    const { findings } = await checkDkim(ctxFor(['dkim'], true));
    const note = findings.find((f) => f.id === 'dkim.ses.none')!;
    expect(note.severity).toBe('info');
    expect(note.fix).toMatch(/--dkim-selector/);
  });

  it('warns once, without asking DNS, when no selector is given', async () => {
    const ctx = ctxFor([]);
    const { findings, facts } = await checkDkim(ctx);
    expect(findings.map((f) => [f.id, f.severity])).toEqual([['dkim.selectors.none', 'warning']]);
    expect(findings[0]!.fix).toContain('--dkim-selector dkim');
    expect(facts.selectors).toEqual([]);
    expect(ctx.dns.queries).toHaveLength(0);
  });
});
