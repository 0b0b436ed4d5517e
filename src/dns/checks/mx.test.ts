/**
 * MX, sending-IP reverse DNS and the STARTTLS probe against real servers on loopback: the dns2 DNS
 * server, and smtp-server with a certificate made by openssl (the §7.4 X1 rows and RFC 7505 /
 * RFC 2181 §10.3 cases).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer, type Zone } from '../../testing/dns-server.js';
import type { CheckContext } from '../report.js';
import { createDnsClient } from '../resolver.js';
import { checkMx, checkSendingIps, looksGeneric } from './mx.js';
import { probeFindings, probeStarttls } from './starttls.js';

const zone: Zone = {
  'good.test': { MX: [{ exchange: 'mail.good.test', priority: 10 }] },
  'mail.good.test': { A: ['192.0.2.25'] },
  '25.2.0.192.in-addr.arpa': { PTR: ['mail.good.test'] },
  'implicit.test': { A: ['192.0.2.30'] },
  'nothing.test': { TXT: ['v=spf1 -all'] },
  'null.test': { MX: [{ exchange: '', priority: 0 }] },
  'mixed.test': { MX: [{ exchange: '', priority: 0 }, { exchange: 'mail.good.test', priority: 10 }] },
  'literal.test': { MX: [{ exchange: '192.0.2.25', priority: 10 }] },
  'alias.test': { MX: [{ exchange: 'mx.alias.test', priority: 10 }] },
  'mx.alias.test': { CNAME: 'mail.good.test' },
  'dangling.test': { MX: [{ exchange: 'gone.dangling.test', priority: 10 }] },
  'dup.test': { MX: [{ exchange: 'mail.good.test', priority: 10 }, { exchange: 'mail.good.test', priority: 20 }] },
  'noptr.test': { MX: [{ exchange: 'mail.noptr.test', priority: 10 }] },
  'mail.noptr.test': { A: ['192.0.2.99'] },
  // Sending IPs
  '10.2.0.198.in-addr.arpa': { PTR: ['mail.good.test'] }, // mail.good.test does not point back to 198.0.2.10
  '11.2.0.198.in-addr.arpa': { PTR: ['198-0-2-11.dyn.isp.test'] },
  '198-0-2-11.dyn.isp.test': { A: ['198.0.2.11'] },
  '12.2.0.198.in-addr.arpa': { PTR: ['smtp.elsewhere.test'] },
  'smtp.elsewhere.test': { A: ['198.0.2.12'] },
};

let dns: DnsServer;
beforeAll(async () => {
  dns = await startDnsServer(zone);
});
afterAll(async () => dns.close());
const ctx = (domain: string, ips: string[] = []): CheckContext => ({ domain, dns: createDnsClient({ server: dns.server, timeoutMs: 300, tries: 1 }), ips, selectors: [], path: { ses: false } });
const pick = (fs: Array<{ id: string; severity: string; subject?: string }>, id: string) => fs.filter((f) => f.id === id).map((f) => f.severity);

describe('MX (real DNS server on loopback)', () => {
  it.each([
    ['good.test', 'mx.present', ['ok'], 'ok'],
    ['implicit.test', 'mx.present', ['warning'], 'none'],
    ['nothing.test', 'mx.present', ['error'], 'none'],
    ['does-not-exist.test', 'mx.present', ['error'], 'nxdomain'],
    ['null.test', 'mx.null-mx', ['error'], 'null'],
    ['mixed.test', 'mx.null-mx', ['error'], 'null'],
    ['literal.test', 'mx.host', ['error'], 'ok'],
    ['alias.test', 'mx.host', ['error'], 'ok'],
    ['dangling.test', 'mx.host', ['error'], 'ok'],
    ['dup.test', 'mx.duplicate', ['warning'], 'ok'],
    ['noptr.test', 'mx.fcrdns', ['warning'], 'ok'],
    ['good.test', 'mx.fcrdns', ['ok'], 'ok'],
  ])('%s → %s %j', async (domain, id, severities, status) => {
    const r = await checkMx(ctx(domain));
    expect(pick(r.findings, id)).toEqual(severities);
    expect(r.facts.status).toBe(status);
    for (const f of r.findings.filter((x) => x.severity !== 'ok')) expect(f.fix, f.message).toBeTruthy();
  });

  it('says null MX and mixed null MX apart, and names the alias target', async () => {
    expect((await checkMx(ctx('mixed.test'))).findings[0]!.message).toMatch(/mixes a null MX/);
    expect((await checkMx(ctx('alias.test'))).findings.find((f) => f.id === 'mx.host')!.fix).toMatch(/mail\.good\.test/);
  });

  it('an MX lookup that times out is unknown, not missing', async () => {
    dns.silent.add('good.test');
    try {
      const r = await checkMx(ctx('good.test'));
      expect(r.findings.map((f) => [f.id, f.severity])).toEqual([['mx.present', 'unknown']]);
    } finally {
      dns.silent.clear();
    }
  });
});

describe('sending IPs: PTR and forward-confirmed reverse DNS', () => {
  it.each([
    ['192.0.2.25', 'ptr.fcrdns', 'ok'],
    ['192.0.2.77', 'ptr.fcrdns', 'error'], // no PTR
    ['198.0.2.10', 'ptr.fcrdns', 'error'], // PTR not forward-confirmed
    ['198.0.2.11', 'ptr.generic', 'warning'],
    ['198.0.2.12', 'ptr.domain', 'warning'],
  ])('%s → %s %s', async (ip, id, severity) => {
    const r = await checkSendingIps(ctx('good.test', [ip]));
    expect(r.findings.find((f) => f.id === id)?.severity).toBe(severity);
  });

  it('recognises generic access-provider names', () => {
    expect(looksGeneric('198-51-100-7.dyn.isp.example', '198.51.100.7')).toBe(true);
    expect(looksGeneric('static.7.100.51.198.clients.host.example', '198.51.100.7')).toBe(true);
    expect(looksGeneric('mail.example.com', '198.51.100.7')).toBe(false);
  });
});

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!haveOpenssl) console.warn('[skip] STARTTLS probe tests: the openssl command is not installed');

describe.skipIf(!haveOpenssl)('--probe: STARTTLS on the MX hosts (smtp-server on loopback)', () => {
  let dir: string;
  const servers: SMTPServer[] = [];
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mailops-probe-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=mail.good.test', '-addext', 'subjectAltName=DNS:mail.good.test'], { stdio: 'ignore' });
  });
  afterAll(async () => {
    for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  });
  const start = async (starttls: boolean): Promise<number> => {
    const s = new SMTPServer({
      logger: false,
      authOptional: true,
      key: readFileSync(path.join(dir, 'key.pem')),
      cert: readFileSync(path.join(dir, 'cert.pem')),
      ...(starttls ? {} : { disabledCommands: ['STARTTLS'] }),
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return ((s as unknown as { server: { address(): AddressInfo } }).server.address()).port;
  };

  it('reports a valid certificate, a certificate for another name, no STARTTLS, and a closed port', async () => {
    const ca = readFileSync(path.join(dir, 'cert.pem'));
    const tlsPort = await start(true);
    const plainPort = await start(false);
    const valid = await probeStarttls('mail.good.test', '127.0.0.1', { port: tlsPort, ca, timeoutMs: 3000 });
    expect(valid.status).toBe('tls-valid');
    const wrongName = await probeStarttls('mx.other.test', '127.0.0.1', { port: tlsPort, ca, timeoutMs: 3000 });
    expect(wrongName.status).toBe('tls-invalid');
    const untrusted = await probeStarttls('mail.good.test', '127.0.0.1', { port: tlsPort, timeoutMs: 3000 });
    expect(untrusted).toMatchObject({ status: 'tls-invalid' });
    expect(untrusted.detail).toMatch(/not trusted/);
    expect((await probeStarttls('mail.good.test', '127.0.0.1', { port: plainPort, timeoutMs: 3000 })).status).toBe('no-starttls');
    expect((await probeStarttls('mail.good.test', '127.0.0.1', { port: 1, timeoutMs: 3000 })).status).toBe('unreachable');
    const f = probeFindings([valid, wrongName], true);
    expect(f.map((x) => x.severity)).toEqual(['ok', 'error']); // an enforced MTA-STS policy makes bad TLS an error
    expect(probeFindings([wrongName], false)[0]!.severity).toBe('warning');
  });
});
