/**
 * dns-check and dns-records end to end against real servers on loopback: the dns2 DNS server
 * serving the zone that `dns-records` generated (it must pass the audit), an HTTPS server with an
 * openssl certificate serving the MTA-STS policy, and the built binary for exit codes and output.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../dns/audit.js';
import { blocklistTestZone } from '../../dns/blocklists.js';
import { planRecords, type RecordsPlan } from '../../dns/records.js';
import { createDnsClient } from '../../dns/resolver.js';
import { startDnsServer, type DnsServer, type Zone } from '../../testing/dns-server.js';
import { startMailcowDouble } from '../../testing/mailcow-double.js';
import { runDnsRecords } from '../dns-records/run.js';
import { renderPlain, renderTable } from './render.js';
import { normalizeDomain, normalizeIp } from './command.js';
import { dnsCheckExitCode, runDnsCheck } from './run.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(root, 'bin', 'mailops');

/** A zone holding exactly the planned records (what the operator would publish). */
function zoneOf(plan: RecordsPlan): Zone {
  const z: Zone = {};
  for (const r of plan.records) {
    const e = (z[r.name] ??= {});
    if (r.type === 'MX') (e.MX ??= []).push({ priority: Number(r.value.split(' ')[0]), exchange: r.value.split(' ')[1]! });
    else if (r.type === 'TXT') (e.TXT ??= []).push(r.value);
    else if (r.type === 'A') (e.A ??= []).push(r.value);
    else if (r.type === 'AAAA') (e.AAAA ??= []).push(r.value);
    else if (r.type === 'CNAME') e.CNAME = r.value;
  }
  return z;
}

// Blocklist test points, so every list is usable from the loopback resolver.
const listTestPoints: Zone = blocklistTestZone();

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!haveOpenssl) console.warn('[skip] dns-check end-to-end tests: the openssl command is not installed');

describe('dns-check input', () => {
  it('takes IDN domains as punycode, strips a trailing dot, and refuses what DNS cannot ask', () => {
    expect(normalizeDomain('Bücher.Example.', 'e.g.')).toBe('xn--bcher-kva.example');
    expect(normalizeDomain('example.xn--p1ai', 'e.g.')).toBe('example.xn--p1ai');
    expect(() => normalizeDomain('not a domain', 'e.g.')).toThrow(/is not a domain name/);
    expect(() => normalizeDomain('localhost', 'e.g.')).toThrow(/is not a domain name/);
    expect(normalizeIp('::FFFF:192.0.2.1')).toBe('192.0.2.1');
    expect(normalizeIp('2001:DB8::10')).toBe('2001:db8::10');
    expect(() => normalizeIp('fe80::1%eth0')).toThrow(/not a public IP address/);
    expect(() => normalizeIp('mail.example.com')).toThrow(/not a public IP address/);
  });
});

describe.skipIf(!haveOpenssl)('dns-records → publish → dns-check (real DNS and HTTPS servers on loopback)', () => {
  let dns: DnsServer;
  let https: Server;
  let httpsPort: number;
  let ca: Buffer;
  let plan: RecordsPlan;
  const domain = 'example.test';
  const dkimKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

  beforeAll(async () => {
    plan = planRecords({ domain, ips: ['127.0.0.1'], dmarcPolicy: 'quarantine', spfAll: 'hard', mtaStsMode: 'enforce', dkim: { selector: 'dkim', key: dkimKey } });
    const dir = mkdtempSync(path.join(tmpdir(), 'mailops-dnscheck-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2', '-subj', `/CN=mta-sts.${domain}`, '-addext', `subjectAltName=DNS:mta-sts.${domain}`], { stdio: 'ignore' });
    ca = readFileSync(path.join(dir, 'cert.pem'));
    const policy = plan.elsewhere.find((e) => e.what === 'MTA-STS policy file')!.value;
    https = createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: ca }, (req, res) => {
      if (req.url === '/.well-known/mta-sts.txt' && req.headers.host === `mta-sts.${domain}`) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(policy);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', () => r()));
    httpsPort = (https.address() as AddressInfo).port;
    dns = await startDnsServer({
      ...zoneOf(plan),
      ...listTestPoints,
      '1.0.0.127.in-addr.arpa': { PTR: [`mail.${domain}`] }, // set at the hosting provider, as the plan says
      'broken.test': { TXT: ['v=spf1 +all', 'v=spf1 ip4:192.0.2.1 -all'], MX: [{ exchange: '', priority: 0 }] },
    });
  });
  afterAll(async () => {
    await dns?.close();
    await new Promise<void>((r) => (https ? https.close(() => r()) : r()));
  });

  const options = () => ({ domain, ips: ['127.0.0.1'], selectors: ['dkim'], path: { ses: false }, resolver: dns.server, timeoutMs: 500, tries: 1, https: { port: httpsPort, ca }, warnAsError: false });

  it('the generated records pass dns-check when served: no errors, and the core checks are positively ok', async () => {
    const r = await runDnsCheck(options());
    const errors = r.findings.filter((f) => f.severity === 'error' || f.severity === 'unknown');
    expect(errors, JSON.stringify(errors, null, 2)).toEqual([]);
    expect(dnsCheckExitCode(r, false)).toBe(0);
    const ok = new Set(r.findings.filter((f) => f.severity === 'ok').map((f) => f.area));
    for (const area of ['spf', 'dkim', 'dmarc', 'mx', 'ptr', 'mta-sts', 'tls-rpt', 'blocklists']) expect(ok.has(area as never), area).toBe(true);
    expect(r.facts.mtaSts.policy?.mode).toBe('enforce');
    expect(r.facts.spf.record).toBe(plan.records.find((x) => x.name === domain && x.type === 'TXT')!.value);
    // Every finding has a stable id of the form area.name.
    for (const f of r.findings) expect(f.id).toMatch(/^[a-z-]+\.[a-z0-9.-]+$/);
  });

  it('dns-records re-checks what is published: unchanged records, and a changed policy marked as a change', async () => {
    const same = await runDnsRecords({ domain, ips: ['127.0.0.1'], dmarcPolicy: 'quarantine', spfAll: 'hard', mtaStsMode: 'enforce', dkimKey, dkimSelector: 'dkim', resolver: dns.server });
    expect(same.records.map((x) => x.state)).toEqual(same.records.map(() => 'same'));
    const next = await runDnsRecords({ domain, ips: ['127.0.0.1'], dmarcPolicy: 'reject', spfAll: 'hard', mtaStsMode: 'enforce', dkimKey, dkimSelector: 'dkim', resolver: dns.server });
    const dmarc = next.records.find((x) => x.name === `_dmarc.${domain}`)!;
    expect(dmarc).toMatchObject({ state: 'change', current: [expect.stringContaining('p=quarantine')] });
    expect(next.records.find((x) => x.name === `_mta-sts.${domain}`)!.state).toBe('same');
    const fresh = await runDnsRecords({ domain: 'new.test', ips: ['127.0.0.1'], dmarcPolicy: 'none', spfAll: 'soft', mtaStsMode: 'testing', resolver: dns.server });
    expect(new Set(fresh.records.map((x) => x.state))).toEqual(new Set(['new']));
    expect(fresh.notes.join('\n')).toMatch(/DKIM: no key given/);
  });

  it("dns-records reads the DKIM key from Mailcow's API (contract double: Mailcow cannot run here), and says so when it cannot", async () => {
    const mc = await startMailcowDouble([domain]);
    try {
      const der = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
      mc.dkim[domain] = { pubkey: der, length: '2048', dkim_selector: 'mc2026' };
      const r = await runDnsRecords({ domain, ips: ['127.0.0.1'], dmarcPolicy: 'none', spfAll: 'soft', mtaStsMode: 'testing', mailcow: { url: mc.url, apiKey: mc.apiKey }, resolver: dns.server });
      expect(r.dkimSource).toBe('mailcow');
      expect(r.records.find((x) => x.type === 'TXT' && x.name === `mc2026._domainkey.${domain}`)!.value).toBe(`v=DKIM1; k=rsa; p=${der}`);
      expect(mc.calls).toContain(`GET /api/v1/get/dkim/${domain}`);
      const none = await runDnsRecords({ domain: 'other.test', ips: ['127.0.0.1'], dmarcPolicy: 'none', spfAll: 'soft', mtaStsMode: 'none', mailcow: { url: mc.url, apiKey: mc.apiKey }, resolver: dns.server });
      expect(none.dkimSource).toBe('none');
      expect(none.notes[0]).toMatch(/Mailcow has no DKIM key for other\.test/);
      const bad = await runDnsRecords({ domain, ips: ['127.0.0.1'], dmarcPolicy: 'none', spfAll: 'soft', mtaStsMode: 'none', mailcow: { url: mc.url, apiKey: 'wrong' }, resolver: dns.server });
      expect(bad.notes[0]).toMatch(/Could not read the DKIM key from Mailcow: Mailcow refused the API key/);
    } finally {
      await mc.close();
    }
  });

  it('a broken domain fails with exit 3, errors named by stable ids with fixes; a slow answer is unknown, never a crash', async () => {
    const r = await runDnsCheck({ ...options(), domain: 'broken.test' });
    expect(dnsCheckExitCode(r, false)).toBe(3);
    const ids = r.findings.filter((f) => f.severity === 'error').map((f) => f.id);
    expect(ids).toEqual(expect.arrayContaining(['spf.multiple', 'dmarc.missing', 'mx.null-mx']));
    // SPF is permerror, so it cannot carry DMARC alignment either.
    expect(r.findings.find((f) => f.id === 'alignment.spf')?.severity).toBe('warning');
    expect(r.findings.find((f) => f.id === 'bulk-senders.bulk')?.message).toMatch(/not met: .*From aligned/);
    for (const f of r.findings.filter((x) => x.severity === 'error')) expect(f.fix, f.id).toBeTruthy();
    dns.silent.add(`_dmarc.${domain}`);
    try {
      const slow = await runDnsCheck(options());
      expect(slow.findings.find((f) => f.area === 'dmarc')?.severity).toBe('unknown');
      expect(dnsCheckExitCode(slow, false)).toBe(0);
      expect(dnsCheckExitCode(slow, true)).toBe(3);
    } finally {
      dns.silent.clear();
    }
  });

  it('a resolver that answers every query REFUSED (or SERVFAIL) is unusable: exit 5, not a clean report', async () => {
    for (const rcode of [5, 2]) {
      dns.rcodeAll = rcode;
      try {
        await expect(runDnsCheck(options())).rejects.toMatchObject({ exitCode: 5, message: expect.stringMatching(rcode === 5 ? /EREFUSED/ : /ESERVFAIL/) });
      } finally {
        dns.rcodeAll = undefined;
      }
    }
  });

  it('asks concurrently: with 50 ms per answer the audit takes a fraction of the summed query time', async () => {
    dns.delayMs = 50;
    try {
      const client = createDnsClient({ server: dns.server, timeoutMs: 2000, tries: 1 });
      const t0 = performance.now();
      await runAudit({ ...options(), dns: client });
      const wall = performance.now() - t0;
      const sum = client.queries.reduce((a, q) => a + q.ms, 0);
      expect(client.queries.length).toBeGreaterThan(30);
      expect(wall).toBeLessThan(sum / 4);
    } finally {
      dns.delayMs = 0;
    }
  });

  it('renders a grouped table with fixes, and tab-separated lines for a pipe', async () => {
    const r = await runDnsCheck({ ...options(), domain: 'broken.test' });
    const table = renderTable(r, { paint: (_s, t) => t });
    expect(table).toMatch(/^SPF$/m);
    expect(table).toMatch(/✗ .*\[spf\.multiple\]\n\s+fix: /);
    const lines = renderPlain(r).split('\n');
    expect(lines.length).toBe(r.findings.length);
    for (const l of lines) expect(l.split('\t')).toHaveLength(5);
  });

  it('the binary: exit 3 with problems on stderr and tab lines on stdout, --json with stable ids, exit 5 when no resolver answers, 2 on a bad flag', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const p = spawn(process.execPath, [bin, ...args], { cwd: mkdtempSync(path.join(tmpdir(), 'mailops-dc-')), env: { ...process.env, NO_COLOR: '1' } });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d));
        p.stderr.on('data', (d: Buffer) => (err += d));
        p.on('close', (code) => resolve({ code, out, err }));
      });
    const broken = await run(['dns-check', 'broken.test', '--resolver', dns.server, '--timeout', '0.5', '--ip', '127.0.0.1']);
    expect(broken.code).toBe(3);
    expect(broken.out).toMatch(/^error\tspf\.multiple\t/m);
    expect(broken.err).toMatch(/error: spf\.multiple: .* — fix: /);
    const json = await run(['dns-check', 'broken.test', '--resolver', dns.server, '--timeout', '0.5', '--json']);
    expect(json.code).toBe(3);
    const report = JSON.parse(json.out) as { findings: Array<{ id: string }>; counts: { error: number } };
    expect(report.counts.error).toBeGreaterThan(0);
    expect(report.findings.some((f) => f.id === 'dmarc.missing')).toBe(true);
    // Nothing listens on port 9 of loopback: every query fails to reach a resolver.
    const dead = await run(['dns-check', 'example.test', '--resolver', '127.0.0.1:9', '--timeout', '0.3']);
    expect(dead.code).toBe(5);
    expect(dead.err).toMatch(/no DNS answer from 127\.0\.0\.1:9/);
    expect((await run(['dns-check', 'example.test', '--resolver', 'dns.google'])).code).toBe(2);
  });
});
