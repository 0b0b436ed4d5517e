/**
 * Blocklist verdicts against a real DNS server on loopback (dns2) serving the RFC 5782 test points
 * and each list's documented return codes (deliverability reference §4 and the §7.5 vectors).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer, type Zone } from '../testing/dns-server.js';
import { blocklistFindings, checkBlocklists, DOMAIN_BLOCKLISTS, IP_BLOCKLISTS, lookupBlocklist, reverseIp } from './blocklists.js';
import { createDnsClient } from './resolver.js';

const list = (name: string) => [...IP_BLOCKLISTS, ...DOMAIN_BLOCKLISTS].find((l) => l.name === name)!;
// Test points every working list answers: 127.0.0.2 listed (127.0.0.1 absent) and the test domains.
const testPoints: Zone = {
  '2.0.0.127.zen.spamhaus.org': { A: ['127.0.0.2', '127.0.0.4', '127.0.0.10'] },
  '2.0.0.127.bl.spamcop.net': { A: ['127.0.0.2'] },
  '2.0.0.127.psbl.surriel.com': { A: ['127.0.0.2'] },
  '2.0.0.127.bl.mailspike.net': { A: ['127.0.0.2'] },
  '2.0.0.127.dnsbl-1.uceprotect.net': { A: ['127.0.0.2'] },
  'dbltest.com.dbl.spamhaus.org': { A: ['127.0.1.2'] },
  'test.surbl.org.multi.surbl.org': { A: ['127.0.0.254'] },
  'test.uribl.com.multi.uribl.com': { A: ['127.0.0.14'] },
};

let dns: DnsServer;
beforeAll(async () => {
  dns = await startDnsServer({
    ...testPoints,
    '10.2.0.192.zen.spamhaus.org': { A: ['127.255.255.254'] }, // asked through a public resolver
    '11.2.0.192.zen.spamhaus.org': { A: ['127.0.0.10'] }, // PBL only
    '12.2.0.192.bl.spamcop.net': { A: ['127.0.0.2'] },
    '13.2.0.192.bl.mailspike.net': { A: ['127.0.0.77'] }, // outside the documented codes
    'phish.test.dbl.spamhaus.org': { A: ['127.0.1.4'] },
    '192.0.2.1.dbl.spamhaus.org': { A: ['127.0.1.255'] }, // an IP asked of a domain list
    'bad.test.multi.surbl.org': { A: ['127.0.0.24'] }, // phishing + malware bits
    'blocked.test.multi.surbl.org': { A: ['127.0.0.1'] }, // bit 1: access blocked
    'grey.test.multi.uribl.com': { A: ['127.0.0.4'] },
  });
});
afterAll(async () => dns.close());
const client = () => createDnsClient({ server: dns.server, timeoutMs: 400, tries: 1 });

describe('DNSBL sanity vectors (real DNS server on loopback)', () => {
  it.each([
    ['127.0.0.2 on ZEN is listed with every code decoded', '127.0.0.2', 'Spamhaus ZEN', 'listed', 'error', /SBL.*XBL.*PBL/],
    ['127.0.0.1 on ZEN is not listed', '127.0.0.1', 'Spamhaus ZEN', 'not-listed', 'ok', /not listed/],
    ['the public-resolver code 127.255.255.254 is unknown, never listed', '192.0.2.10', 'Spamhaus ZEN', 'unknown', 'unknown', /own recursive resolver/],
    ['PBL alone is a warning', '192.0.2.11', 'Spamhaus ZEN', 'listed', 'warning', /PBL/],
    ['SpamCop 127.0.0.2 is a warning', '192.0.2.12', 'SpamCop', 'listed', 'warning', /spam source/],
    ['an undocumented code makes the list unknown', '192.0.2.13', 'Mailspike', 'unknown', 'unknown', /outside the list's documented codes/],
    ['Barracuda does not answer an unregistered resolver: its test point fails, so unknown', '192.0.2.14', 'Barracuda', 'unknown', 'unknown', /test entry 127\.0\.0\.2 is not listed/],
    ['dbltest.com on DBL is listed', 'dbltest.com', 'Spamhaus DBL', 'listed', 'error', /spam domain/],
    ['a phishing domain on DBL', 'phish.test', 'Spamhaus DBL', 'listed', 'error', /phishing/],
    ['127.0.1.255 (IP queried against DBL) is unknown', '192.0.2.1', 'Spamhaus DBL', 'unknown', 'unknown', /refused/],
    ['a clean domain on DBL', 'example.test', 'Spamhaus DBL', 'not-listed', 'ok', /not listed/],
    ['SURBL bitmask is decoded', 'bad.test', 'SURBL', 'listed', 'error', /phishing, malware/],
    ['SURBL bit 1 means blocked, not listed', 'blocked.test', 'SURBL', 'unknown', 'unknown', /refused/],
    ['test.uribl.com is black on URIBL', 'test.uribl.com', 'URIBL', 'listed', 'error', /black/],
    ['URIBL grey is a warning', 'grey.test', 'URIBL', 'listed', 'warning', /grey/],
  ])('%s', async (_t, subject, name, verdict, severity, detail) => {
    const a = await lookupBlocklist(subject, list(name), client());
    expect(a).toMatchObject({ verdict, severity });
    expect(a.detail).toMatch(detail);
  });

  it('a resolver that answers everything (URIBL 127.0.0.1 "query refused", or NXDOMAIN rewriting) is unknown', async () => {
    const refusing = await startDnsServer({ ...testPoints, 'test.uribl.com.multi.uribl.com': { A: ['127.0.0.1'] }, 'example.test.multi.uribl.com': { A: ['127.0.0.1'] } });
    const rewriting = await startDnsServer({ ...testPoints, '1.0.0.127.zen.spamhaus.org': { A: ['127.0.0.2'] }, '5.2.0.192.zen.spamhaus.org': { A: ['127.0.0.2'] } });
    try {
      const a = await lookupBlocklist('example.test', list('URIBL'), createDnsClient({ server: refusing.server, timeoutMs: 400, tries: 1 }));
      expect(a.verdict).toBe('unknown');
      const b = await lookupBlocklist('192.0.2.5', list('Spamhaus ZEN'), createDnsClient({ server: rewriting.server, timeoutMs: 400, tries: 1 }));
      expect(b).toMatchObject({ verdict: 'unknown' });
      expect(b.detail).toMatch(/rewrites answers/);
    } finally {
      await refusing.close();
      await rewriting.close();
    }
  });

  it('a list that times out is unknown', async () => {
    dns.silent.add('9.2.0.192.bl.spamcop.net');
    try {
      expect((await lookupBlocklist('192.0.2.9', list('SpamCop'), client())).verdict).toBe('unknown');
    } finally {
      dns.silent.clear();
    }
  });

  it('reverses IPv6 to nibbles (RFC 5782 §2.4) and asks IPv6 only of lists that take it', async () => {
    expect(reverseIp('2001:db8::1')).toBe('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2');
    expect(reverseIp('192.0.2.1')).toBe('1.2.0.192');
    expect(reverseIp('not-an-ip')).toBeUndefined();
    const c = client();
    const answers = await checkBlocklists(['2001:db8::1'], undefined, c);
    expect(answers.find((a) => a.list === 'SpamCop')).toMatchObject({ verdict: 'skipped', severity: 'info' });
    expect(c.queries.some((q) => q.name.includes('.8.b.d.0.1.0.0.2.zen.spamhaus.org'))).toBe(true);
    expect(c.queries.some((q) => q.name.includes('8.b.d.0.1.0.0.2.bl.spamcop.net'))).toBe(false);
  });

  it('checks every IP list per IP and every domain list for the domain; SORBS is reported retired and never asked', async () => {
    const c = client();
    const answers = await checkBlocklists(['127.0.0.2', '192.0.2.10'], 'dbltest.com', c);
    expect(answers).toHaveLength(IP_BLOCKLISTS.length * 2 + DOMAIN_BLOCKLISTS.length);
    const f = blocklistFindings(answers);
    expect(f.find((x) => x.id === 'blocklists.retired')?.message).toMatch(/SORBS.*5 June 2024/);
    expect(c.queries.some((q) => q.name.includes('sorbs'))).toBe(false);
    const zen = f.find((x) => x.subject === '127.0.0.2 zen.spamhaus.org')!;
    expect(zen).toMatchObject({ id: 'blocklists.listed', severity: 'error' });
    expect(zen.fix).toMatch(/check\.spamhaus\.org/);
  });
});
