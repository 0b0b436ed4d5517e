/**
 * The shared DNS client against a real DNS server on loopback (dns2): answer shapes, NXDOMAIN vs
 * NODATA, CNAME chains, a TXT answer over 512 bytes (truncated over UDP, fetched again over TCP),
 * a server that never answers (timeout → error, not a crash) and one question asked once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer } from '../testing/dns-server.js';
import { addresses, createDnsClient, joinTxt, parseResolverAddress } from './resolver.js';

let dns: DnsServer;
const bigKey = 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA' + 'x'.repeat(700);
beforeAll(async () => {
  dns = await startDnsServer({
    'example.test': { TXT: ['v=spf1 -all', ['v=spf1 ', 'ip4:192.0.2.1 -all']], MX: [{ exchange: 'mx.example.test', priority: 10 }], A: ['192.0.2.1'] },
    'mx.example.test': { A: ['192.0.2.25'] },
    'alias.example.test': { CNAME: 'mx.example.test' },
    'big.example.test': { TXT: [`v=DKIM1; k=rsa; p=${bigKey}`, 'second record', 'third record'] },
    'nomail.test': { MX: [{ exchange: '', priority: 0 }] },
    '25.2.0.192.in-addr.arpa': { PTR: ['mx.example.test'] },
  });
});
afterAll(async () => dns.close());

describe('DNS client (real DNS server on loopback)', () => {
  it('folds answers into records / NXDOMAIN / NODATA and keeps TXT chunks for RFC 7208 §3.3 joining', async () => {
    const c = createDnsClient({ server: dns.server, timeoutMs: 500, tries: 1 });
    const txt = await c.txt('example.test');
    expect(txt.status).toBe('ok');
    if (txt.status === 'ok') expect(joinTxt(txt.records).sort()).toEqual(['v=spf1 -all', 'v=spf1 ip4:192.0.2.1 -all']);
    expect(await c.txt('nothing.example.test')).toEqual({ status: 'nxdomain' });
    expect(await c.aaaa('example.test')).toEqual({ status: 'nodata' });
    expect(await c.mx('example.test')).toEqual({ status: 'ok', records: [{ exchange: 'mx.example.test', priority: 10 }] });
    expect(await c.ptr('192.0.2.25')).toEqual({ status: 'ok', records: ['mx.example.test'] });
    expect(await c.cname('alias.example.test')).toEqual({ status: 'ok', records: ['mx.example.test'] });
    expect(await c.a('alias.example.test')).toEqual({ status: 'ok', records: ['192.0.2.25'] });
    expect(await addresses(c, 'mx.example.test')).toEqual({ status: 'ok', records: ['192.0.2.25'] });
    const nullMx = await c.mx('nomail.test');
    expect(nullMx.status === 'ok' && nullMx.records[0]!.exchange).toBe('');
  });

  it('reads a TXT answer over 512 bytes (UDP truncates, the client retries over TCP)', async () => {
    const c = createDnsClient({ server: dns.server, timeoutMs: 1000, tries: 1 });
    const r = await c.txt('big.example.test');
    expect(r.status).toBe('ok');
    if (r.status === 'ok') {
      const dkim = r.records.find((x) => x[0]!.startsWith('v=DKIM1'))!;
      expect(dkim.length).toBeGreaterThan(2); // stored as 255-octet strings
      expect(dkim.join('')).toBe(`v=DKIM1; k=rsa; p=${bigKey}`);
    }
  });

  it('turns a server that never answers into an error lookup after the timeout, and SERVFAIL likewise', async () => {
    dns.silent.add('slow.example.test');
    dns.servfail.add('broken.example.test');
    try {
      const c = createDnsClient({ server: dns.server, timeoutMs: 200, tries: 1 });
      const t0 = Date.now();
      expect(await c.txt('slow.example.test')).toEqual({ status: 'error', code: 'ETIMEOUT' });
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(await c.txt('broken.example.test')).toEqual({ status: 'error', code: 'ESERVFAIL' });
    } finally {
      dns.silent.clear();
      dns.servfail.clear();
    }
  });

  it('asks each question once, however many checks await it', async () => {
    const c = createDnsClient({ server: dns.server, timeoutMs: 500, tries: 1 });
    await Promise.all([c.txt('example.test'), c.txt('EXAMPLE.test.'), c.txt('example.test')]);
    expect(c.queries.filter((q) => q.type === 'TXT')).toHaveLength(1);
  });

  it('accepts resolver addresses with ports and rejects names', () => {
    expect(parseResolverAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(parseResolverAddress('127.0.0.1:5353')).toBe('127.0.0.1:5353');
    expect(parseResolverAddress('[::1]:53')).toBe('[::1]:53');
    expect(parseResolverAddress('::1')).toBe('::1');
    expect(() => parseResolverAddress('dns.google')).toThrow(/not an IP address/);
  });
});
