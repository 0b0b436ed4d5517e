// The dns-check benchmark: a full audit of a domain with 2 sending IPs and 2 DKIM selectors against
// the loopback DNS server, every answer held back 50 ms. Reports the audit's wall time against the
// sum of its queries' latencies, and against the zone's longest chain of dependent lookups: an
// audit that asks concurrently takes a small multiple of that chain, not the sum.
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(path.join(ROOT, 'dist', p));

// The longest chain of lookups that each need the previous answer, in this zone:
// MX example.com → A mx1 → PTR of its IP → A of the PTR name (forward confirmation) = 4;
// SPF example.com → include _spf → include _spf2 → a:relay (A) = 4.
export const LONGEST_CHAIN = 4;

function zone(domain, keys) {
  const ips = ['198.51.100.10', '198.51.100.11'];
  const z = {
    [domain]: { TXT: ['v=spf1 mx include:_spf.' + domain + ' ip4:198.51.100.10 ip4:198.51.100.11 -all', 'site-verification=abc'], MX: [{ exchange: `mx1.${domain}`, priority: 10 }, { exchange: `mx2.${domain}`, priority: 20 }] },
    [`_spf.${domain}`]: { TXT: [`v=spf1 include:_spf2.${domain} ip4:203.0.113.0/24 ~all`] },
    [`_spf2.${domain}`]: { TXT: [`v=spf1 a:relay.${domain} ~all`] },
    [`relay.${domain}`]: { A: ['203.0.113.5'] },
    [`mx1.${domain}`]: { A: [ips[0]] },
    [`mx2.${domain}`]: { A: [ips[1]] },
    [`_dmarc.${domain}`]: { TXT: [`v=DMARC1; p=quarantine; rua=mailto:dmarc@${domain}`] },
    [`_mta-sts.${domain}`]: { TXT: ['v=STSv1; id=20261101'] },
    [`mta-sts.${domain}`]: { A: ['127.0.0.1'] },
    [`_smtp._tls.${domain}`]: { TXT: [`v=TLSRPTv1; rua=mailto:tlsrpt@${domain}`] },
    '10.100.51.198.in-addr.arpa': { PTR: [`mx1.${domain}`] },
    '11.100.51.198.in-addr.arpa': { PTR: [`mx2.${domain}`] },
  };
  keys.forEach((k, i) => (z[`s${i + 1}._domainkey.${domain}`] = { TXT: [`v=DKIM1; k=rsa; p=${k}`] }));
  return { z, ips };
}

async function policyServer(tmp, domain) {
  if (spawnSync('openssl', ['version']).status !== 0) return undefined;
  const dir = fs.mkdtempSync(path.join(tmp, 'dns-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2', '-subj', `/CN=mta-sts.${domain}`, '-addext', `subjectAltName=DNS:mta-sts.${domain}`], { stdio: 'ignore' });
  const ca = fs.readFileSync(path.join(dir, 'cert.pem'));
  const server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: ca }, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(`version: STSv1\r\nmode: enforce\r\nmx: mx1.${domain}\r\nmx: mx2.${domain}\r\nmax_age: 1209600\r\n`);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { ca, port: server.address().port, close: () => new Promise((r) => server.close(r)), dir };
}

export async function benchDns({ log, tmp = os.tmpdir(), delayMs = 50, runs = 5 }) {
  const { startDnsServer } = await dist('testing/dns-server.js');
  const { runAudit } = await dist('dns/audit.js');
  const { createDnsClient } = await dist('dns/resolver.js');
  const domain = 'bench-example.com';
  const keys = [1024, 2048].map((b) => generateKeyPairSync('rsa', { modulusLength: b }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64'));
  const { blocklistTestZone } = await dist('dns/blocklists.js');
  const { z: own, ips } = zone(domain, keys);
  const z = { ...own, ...blocklistTestZone() };
  const dns = await startDnsServer(z);
  fs.mkdirSync(tmp, { recursive: true });
  const web = await policyServer(tmp, domain);
  try {
    dns.delayMs = delayMs;
    const samples = [];
    for (let i = 0; i < runs; i++) {
      const client = createDnsClient({ server: dns.server, timeoutMs: 2000, tries: 1 });
      const t0 = performance.now();
      const report = await runAudit({ domain, ips, selectors: ['s1', 's2'], path: { ses: false }, dns: client, ...(web ? { https: { port: web.port, ca: web.ca } } : {}) });
      const wallMs = performance.now() - t0;
      const sumMs = client.queries.reduce((a, q) => a + q.ms, 0);
      samples.push({ wallMs, sumMs, queries: client.queries.length, errors: report.counts.error, unknown: report.counts.unknown });
      log(`dns run ${i + 1}/${runs}: ${client.queries.length} queries, wall ${wallMs.toFixed(0)} ms, sum ${sumMs.toFixed(0)} ms`);
    }
    samples.sort((a, b) => a.wallMs - b.wallMs);
    const med = samples[Math.floor(samples.length / 2)];
    const chainMs = LONGEST_CHAIN * delayMs;
    return {
      ok: med.errors === 0 && med.unknown === 0,
      delayMs,
      runs,
      mtaStsPolicyFetched: !!web,
      queries: med.queries,
      wallMs: Math.round(med.wallMs),
      sumMs: Math.round(med.sumMs),
      ratioWallToSum: med.wallMs / med.sumMs,
      longestChain: LONGEST_CHAIN,
      chainMs,
      wallInChains: med.wallMs / chainMs,
      findings: { errors: med.errors, unknown: med.unknown },
    };
  } finally {
    await dns.close();
    if (web) {
      await web.close();
      fs.rmSync(web.dir, { recursive: true, force: true });
    }
  }
}
