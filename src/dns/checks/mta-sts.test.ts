/**
 * MTA-STS and TLS-RPT: the record and policy parsers on the reference vectors (§7.4 M1–M8, T1–T2,
 * plus RFC 8461 §4.1 one-label wildcards), the checks against a real DNS server on loopback, and
 * the policy fetch end to end against a real HTTPS server on 127.0.0.1 with a certificate made by
 * openssl here: valid and incomplete policies, a redirect that must not be followed, a wrong
 * Content-Type, a certificate for another name, and a server that never answers.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer } from '../../testing/dns-server.js';
import type { CheckContext, Finding } from '../report.js';
import { createDnsClient } from '../resolver.js';
import { checkMtaSts, fetchStsPolicy, mxMatches, parseStsPolicy, parseStsRecord, STS_MAX_AGE_SMALL } from './mta-sts.js';
import { checkTlsRpt, parseTlsRpt } from './tlsrpt.js';

const ids = (findings: Finding[]) => findings.map((f) => [f.id, f.severity]);
const nonOk = (findings: Finding[]) => findings.filter((f) => f.severity !== 'ok');

describe('parseStsRecord (RFC 8461 §3.1)', () => {
  it('M1: reads a valid record', () => {
    expect(parseStsRecord('v=STSv1; id=20240101T010101')).toEqual({ ok: true, value: { id: '20240101T010101' }, warnings: [] });
    expect(parseStsRecord('v=STSv1;id=abc123;')).toMatchObject({ ok: true, value: { id: 'abc123' } });
  });

  it.each([
    ['an unknown tag', 'v=STSv1; xyz=foo', /unknown tag xyz/],
    ['a duplicate tag', 'v=STSv1; id=foo; id=bar', /more than once/],
    ['SPF text', 'v=spf1 include:example.com -all', /start with v=STSv1/],
    ['v not first', 'id=foo; v=STSv1', /start with v=STSv1/],
    ['no id', 'v=STSv1', /no id/],
    ['an id of 33 characters', `v=STSv1; id=${'a'.repeat(33)}`, /1 to 32/],
    ['an id with punctuation', 'v=STSv1; id=2024-01-01', /1 to 32/],
    ['an empty field', 'v=STSv1;; id=foo', /empty field/],
  ])('M2: rejects %s', (_label, txt, reason) => {
    const r = parseStsRecord(txt);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join()).toMatch(reason);
  });
});

describe('parseStsPolicy (RFC 8461 §3.2)', () => {
  it('M3: reads a CRLF policy and warns about a small max_age', () => {
    const r = parseStsPolicy('version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\nmx: mail.example.com\r\n');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toEqual({ version: 'STSv1', mode: 'enforce', maxAge: 86400, mx: ['mail.example.com'] });
    expect(r.warnings.join()).toMatch(/small max_age/);
  });

  it('M4: reads an LF-only testing policy with a wildcard, several mx lines and no final newline', () => {
    const r = parseStsPolicy(`version: STSv1\nmode: testing\nmx: *.example.com\nmx: backup.example.net\nmax_age: ${STS_MAX_AGE_SMALL * 2}`);
    expect(r).toEqual({ ok: true, value: { version: 'STSv1', mode: 'testing', maxAge: STS_MAX_AGE_SMALL * 2, mx: ['*.example.com', 'backup.example.net'] }, warnings: [] });
  });

  it('accepts mode none without mx and does not warn about its max_age', () => {
    expect(parseStsPolicy('version: STSv1\nmode: none\nmax_age: 0\n')).toMatchObject({ ok: true, value: { mode: 'none', maxAge: 0, mx: [] }, warnings: [] });
  });

  const base = (lines: string[]) => lines.join('\n');
  it.each([
    ['M5: missing max_age and mx', base(['version: STSv1', 'mode: enforce']), [/no max_age/, /needs at least one mx/]],
    ['M5: max_age -1', base(['version: STSv1', 'mode: none', 'max_age: -1']), [/max_age: -1/]],
    ['M5: max_age 86400.5', base(['version: STSv1', 'mode: none', 'max_age: 86400.5']), [/max_age: 86400.5/]],
    ['M5: max_age 99999999', base(['version: STSv1', 'mode: none', 'max_age: 99999999']), [/max_age: 99999999/]],
    ['M5: max_age abc', base(['version: STSv1', 'mode: none', 'max_age: abc']), [/max_age: abc/]],
    ['M6: duplicate mode', base(['version: STSv1', 'mode: none', 'mode: enforce', 'max_age: 86400', 'mx: a.example.com']), [/mode appears more than once/]],
    ['M6: version STSv2', base(['version: STSv2', 'mode: none', 'max_age: 86400']), [/must be STSv1/]],
    ['M6: mode invalid', base(['version: STSv1', 'mode: invalid', 'max_age: 86400']), [/enforce, testing or none/]],
    ['M6: enforce without mx', base(['version: STSv1', 'mode: enforce', 'max_age: 86400']), [/needs at least one mx/]],
    ['M6: a line that is not key: value', base(['version: STSv1', 'mode: none', 'max_age: 86400', 'this is not a field']), [/not a key: value line/]],
    ['M6: an unknown key', base(['version: STSv1', 'mode: none', 'max_age: 86400', 'badkey: x']), [/unknown key badkey/]],
    ['an mx that is no host name', base(['version: STSv1', 'mode: testing', 'max_age: 86400', 'mx: mail example com']), [/not a host name/]],
    ['missing version', base(['mode: none', 'max_age: 86400']), [/no version/]],
  ])('rejects %s', (_label, text, reasons) => {
    const r = parseStsPolicy(text);
    expect(r.ok).toBe(false);
    if (!r.ok) for (const reason of reasons) expect(r.errors.join('; ')).toMatch(reason);
  });
});

describe('mxMatches (RFC 8461 §4.1)', () => {
  it.each([
    ['mail.example.com', '*.example.com', true],
    ['mail.other.com', '*.example.com', false],
    ['a.b.example.com', '*.example.com', false], // a wildcard covers exactly one left-most label
    ['example.com', '*.example.com', false],
    ['xexample.com', '*.example.com', false],
    ['MAIL.Example.COM.', '*.example.com', true],
    ['mail.example.com', 'mail.example.com.', true],
    ['Mail.Example.com', 'mail.example.com', true],
    ['mail2.example.com', 'mail.example.com', false],
  ])('%s vs %s → %s', (host, pattern, expected) => {
    expect(mxMatches(host, pattern)).toBe(expected);
  });
});

describe('parseTlsRpt (RFC 8460 §3)', () => {
  it.each([
    ['v=TLSRPTv1; rua=mailto:tlsrpt@example.com', ['mailto:tlsrpt@example.com']],
    ['v=TLSRPTv1; rua=https://tlsrpt.example.com/report', ['https://tlsrpt.example.com/report']],
    ['v=TLSRPTv1;rua=mailto:a@example.com , https://r.example.net/v1;', ['mailto:a@example.com', 'https://r.example.net/v1']],
  ])('T1: reads %s', (txt, rua) => {
    expect(parseTlsRpt(txt)).toEqual({ ok: true, value: { rua }, warnings: [] });
  });

  it.each([
    ['v=TLSRPTv1; xyz=foo', /unknown tag xyz/],
    ['v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com', /more than once/],
    ['v=TLSRPTv1; rua=not_a_valid_uri', /not a mailto: or https: URI/],
    ['v=TLSRPTv1; rua=http://insecure.example.com/report', /not a mailto: or https: URI/],
    ['v=TLSRPTv1; rua=mailto:a@example.com,', /not a mailto: or https: URI/],
    ['v=TLSRPTv1', /no rua/],
    ['rua=mailto:a@example.com; v=TLSRPTv1', /start with v=TLSRPTv1/],
  ])('T2: rejects %s', (txt, reason) => {
    const r = parseTlsRpt(txt);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join()).toMatch(reason);
  });
});

let dns: DnsServer;
beforeAll(async () => {
  dns = await startDnsServer({
    'example.test': { MX: [{ exchange: 'mx1.example.test', priority: 10 }, { exchange: 'mx2.example.test', priority: 20 }] },
    '_mta-sts.example.test': { TXT: ['v=STSv1; id=20240101T010101'] },
    'mta-sts.example.test': { A: ['127.0.0.1'] },
    '_smtp._tls.example.test': { TXT: ['v=TLSRPTv1; rua=mailto:tlsrpt@example.test'] },
    'bare.test': { MX: [{ exchange: 'mail.bare.test', priority: 10 }] },
    'stsonly.test': { MX: [{ exchange: 'mail.stsonly.test', priority: 10 }] },
    '_mta-sts.stsonly.test': { TXT: ['v=STSv1; id=1'] },
    'broken.test': { MX: [{ exchange: 'mail.broken.test', priority: 10 }] },
    '_mta-sts.broken.test': { TXT: ['v=STSv1; id=not-valid!'] },
    '_smtp._tls.broken.test': { TXT: ['v=TLSRPTv1; rua=not_a_valid_uri'] },
    'twice.test': { MX: [{ exchange: 'mail.twice.test', priority: 10 }] },
    '_mta-sts.twice.test': { TXT: ['v=STSv1; id=1', 'v=STSv1; id=2'] },
    '_smtp._tls.twice.test': { TXT: ['v=TLSRPTv1; rua=mailto:a@twice.test', 'v=TLSRPTv1; rua=mailto:b@twice.test'] },
    'spf.test': {},
    '_mta-sts.spf.test': { TXT: ['v=spf1 -all'] },
    'slow.test': {},
  });
  dns.silent.add('_mta-sts.slow.test');
  dns.silent.add('_smtp._tls.slow.test');
});
afterAll(async () => dns.close());

const ctxFor = (domain: string, https?: CheckContext['https']): CheckContext => ({
  domain,
  dns: createDnsClient({ server: dns.server, timeoutMs: 300, tries: 1 }),
  ips: [],
  selectors: [],
  path: { ses: false },
  ...(https ? { https } : {}),
});

describe('checkMtaSts and checkTlsRpt without a policy server (DNS on loopback)', () => {
  it('reports absence as info, with both records and the policy contents in the fix', async () => {
    const { findings, facts } = await checkMtaSts(ctxFor('bare.test'));
    expect(ids(findings)).toEqual([['mta-sts.absent', 'info']]);
    const fix = findings[0]!.fix!;
    expect(fix).toMatch(/v=STSv1; id=\d{14}/);
    expect(fix).toContain('_mta-sts.bare.test');
    expect(fix).toContain('https://mta-sts.bare.test/.well-known/mta-sts.txt');
    expect(fix).toContain('mx: mail.bare.test');
    expect(fix).toMatch(/version: STSv1.*mode: testing.*max_age: \d+/);
    expect(facts.record).toBe('absent');
  });

  it('reports an absent TLS-RPT record as info, and as a warning when MTA-STS is published', async () => {
    const bare = await checkTlsRpt(ctxFor('bare.test'));
    expect(ids(bare.findings)).toEqual([['tls-rpt.absent', 'info']]);
    expect(bare.findings[0]!.fix).toBe('publish `v=TLSRPTv1; rua=mailto:tlsrpt@bare.test` at `_smtp._tls.bare.test`');
    const sts = await checkTlsRpt(ctxFor('stsonly.test'));
    expect(ids(sts.findings)).toEqual([['tls-rpt.absent', 'warning']]);
  });

  it('passes a valid TLS-RPT record', async () => {
    const { findings, facts } = await checkTlsRpt(ctxFor('example.test'));
    expect(ids(findings)).toEqual([['tls-rpt.record', 'ok']]);
    expect(facts).toEqual({ record: 'present', rua: ['mailto:tlsrpt@example.test'] });
  });

  it('reports invalid and multiple records as errors', async () => {
    const broken = await checkMtaSts(ctxFor('broken.test'));
    expect(ids(broken.findings)).toContainEqual(['mta-sts.record.invalid', 'error']);
    // The policy is still fetched: here its host does not even resolve.
    expect(ids(broken.findings)).toContainEqual(['mta-sts.policy.dns', 'error']);
    expect(ids((await checkMtaSts(ctxFor('twice.test'))).findings)).toContainEqual(['mta-sts.record.multiple', 'error']);
    expect(ids((await checkMtaSts(ctxFor('spf.test'))).findings)).toEqual([['mta-sts.record.invalid', 'error']]);
    expect(ids((await checkTlsRpt(ctxFor('broken.test'))).findings)).toEqual([['tls-rpt.invalid', 'error']]);
    expect(ids((await checkTlsRpt(ctxFor('twice.test'))).findings)).toEqual([['tls-rpt.multiple', 'error']]);
    for (const d of ['broken.test', 'twice.test', 'spf.test']) for (const f of nonOk((await checkMtaSts(ctxFor(d))).findings)) expect(f.fix, f.id).toBeTruthy();
  });

  it('turns lookups that time out into unknown findings, not errors', async () => {
    const sts = await checkMtaSts(ctxFor('slow.test'));
    expect(ids(sts.findings)).toEqual([['mta-sts.lookup', 'unknown']]);
    expect(sts.facts.record).toBe('unknown');
    expect(ids((await checkTlsRpt(ctxFor('slow.test'))).findings)).toEqual([['tls-rpt.lookup', 'unknown']]);
  });
});

const OPENSSL = spawnSync('openssl', ['version']).status === 0;
if (!OPENSSL) console.warn('mta-sts.test.ts: openssl not found — skipping the HTTPS policy-fetch tests');

interface PolicyServer {
  server: HttpsServer;
  port: number;
  /** Paths requested, in order. */
  paths: string[];
  /** SNI name and Host header of each request. */
  seen: Array<{ servername: string | false | null; host: string | undefined }>;
  respond: (req: IncomingMessage, res: ServerResponse) => void;
}

async function startPolicyServer(key: Buffer, cert: Buffer): Promise<PolicyServer> {
  const state = { paths: [], seen: [], respond: (_req: IncomingMessage, res: ServerResponse) => res.end() } as unknown as PolicyServer;
  state.server = createHttpsServer({ key, cert }, (req, res) => {
    state.paths.push(req.url ?? '');
    state.seen.push({ servername: (req.socket as TLSSocket).servername, host: req.headers.host });
    state.respond(req, res);
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.port = (state.server.address() as AddressInfo).port;
  return state;
}

const closeHttps = (s: HttpsServer) => new Promise<void>((resolve) => {
  s.closeAllConnections();
  s.close(() => resolve());
});

describe.skipIf(!OPENSSL)('MTA-STS policy over HTTPS (real server on 127.0.0.1, self-signed certificate as the CA)', () => {
  let dir: string;
  let cert: Buffer;
  let otherCert: Buffer;
  let good: PolicyServer;
  let wrongName: PolicyServer;
  let silent: TcpServer;
  let silentPort: number;
  const silentSockets = new Set<Socket>();
  const mxOf = (...hosts: string[]) => {
    dns.zone['example.test']!.MX = hosts.map((exchange, i) => ({ exchange, priority: 10 * (i + 1) }));
  };
  const serve = (body: string, contentType = 'text/plain; charset=utf-8') => {
    good.respond = (_req, res) => {
      res.writeHead(200, { 'content-type': contentType });
      res.end(body);
    };
  };
  const policy = (mode: string, ...mx: string[]) => ['version: STSv1', `mode: ${mode}`, ...mx.map((m) => `mx: ${m}`), 'max_age: 1209600', ''].join('\r\n');
  const run = (https: CheckContext['https'] = { port: good.port, ca: cert, timeoutMs: 3000 }) => checkMtaSts(ctxFor('example.test', https));

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mailops-mta-sts-'));
    const makeCert = (name: string, cn: string) => {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.pem`), '-days', '2', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`], { stdio: 'ignore' });
      return { key: readFileSync(path.join(dir, `${name}.key`)), cert: readFileSync(path.join(dir, `${name}.pem`)) };
    };
    const goodPair = makeCert('good', 'mta-sts.example.test');
    const otherPair = makeCert('other', 'mta-sts.other.test');
    cert = goodPair.cert;
    otherCert = otherPair.cert;
    good = await startPolicyServer(goodPair.key, goodPair.cert);
    wrongName = await startPolicyServer(otherPair.key, otherPair.cert);
    silent = createTcpServer((socket) => {
      silentSockets.add(socket); // accept, then say nothing: no TLS handshake, no HTTP answer
      socket.on('close', () => silentSockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as AddressInfo).port;
  });

  afterAll(async () => {
    mxOf('mx1.example.test', 'mx2.example.test');
    for (const s of silentSockets) s.destroy();
    await Promise.all([closeHttps(good.server), closeHttps(wrongName.server), new Promise((r) => silent.close(r))]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('fetches the policy from the address DNS gives, with SNI and Host set to mta-sts.<domain>', async () => {
    serve(policy('enforce', 'mx1.example.test'));
    good.paths.length = 0;
    good.seen.length = 0;
    const r = await fetchStsPolicy('example.test', createDnsClient({ server: dns.server, timeoutMs: 300, tries: 1 }), { port: good.port, ca: cert, timeoutMs: 3000 });
    expect(r).toMatchObject({ ok: true, ip: '127.0.0.1', status: 200, contentType: 'text/plain; charset=utf-8', text: policy('enforce', 'mx1.example.test') });
    expect(good.paths).toEqual(['/.well-known/mta-sts.txt']);
    expect(good.seen).toEqual([{ servername: 'mta-sts.example.test', host: 'mta-sts.example.test' }]);
  });

  it('passes an enforce policy that covers every MX', async () => {
    mxOf('mx1.example.test', 'mx2.example.test');
    serve(policy('enforce', 'mx1.example.test', 'mx2.example.test'));
    const { findings, facts } = await run();
    expect(nonOk(findings)).toEqual([]);
    expect(ids(findings)).toEqual([
      ['mta-sts.record', 'ok'],
      ['mta-sts.policy', 'ok'],
      ['mta-sts.mx', 'ok'],
    ]);
    expect(facts).toMatchObject({ record: 'present', id: '20240101T010101', policy: { mode: 'enforce', maxAge: 1209600, mx: ['mx1.example.test', 'mx2.example.test'] }, uncoveredMx: [] });
  });

  it('names the MX host an enforce policy misses', async () => {
    mxOf('mx1.example.test', 'mx2.example.test');
    serve(policy('enforce', 'mx1.example.test'));
    const { findings, facts } = await run();
    expect(ids(nonOk(findings))).toEqual([['mta-sts.mx.uncovered', 'error']]);
    const miss = nonOk(findings)[0]!;
    expect(miss.subject).toBe('mx2.example.test');
    expect(miss.message).toContain('mx2.example.test');
    expect(miss.fix).toContain('mx: mx2.example.test');
    expect(facts.uncoveredMx).toEqual(['mx2.example.test']);
  });

  it('does not let *.example.test cover a.b.example.test, and flags a pattern that matches no MX', async () => {
    mxOf('mx1.example.test', 'a.b.example.test');
    serve(policy('enforce', '*.example.test', 'mx9.example.net'));
    const { findings, facts } = await run();
    expect(nonOk(findings).map((f) => [f.id, f.severity, f.subject])).toEqual([
      ['mta-sts.mx.uncovered', 'error', 'a.b.example.test'],
      ['mta-sts.mx.unused', 'warning', 'mx9.example.net'],
    ]);
    expect(facts.uncoveredMx).toEqual(['a.b.example.test']);
    mxOf('mx1.example.test', 'mx2.example.test');
  });

  it('warns about testing mode and a small max_age; an uncovered MX is only a warning in testing', async () => {
    mxOf('mx1.example.test', 'mx2.example.test');
    serve('version: STSv1\nmode: testing\nmx: mx1.example.test\nmax_age: 86400\n');
    const { findings } = await run();
    expect(ids(nonOk(findings))).toEqual([
      ['mta-sts.policy.max-age', 'warning'],
      ['mta-sts.mode.testing', 'warning'],
      ['mta-sts.mx.uncovered', 'warning'],
    ]);
  });

  it('does not follow a 301 redirect: an error, and the target is never requested', async () => {
    good.paths.length = 0;
    good.respond = (req, res) => {
      if (req.url === '/moved.txt') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(policy('enforce', 'mx1.example.test', 'mx2.example.test'));
        return;
      }
      res.writeHead(301, { location: `https://mta-sts.example.test:${good.port}/moved.txt` });
      res.end();
    };
    const { findings, facts } = await run();
    expect(ids(nonOk(findings))).toEqual([['mta-sts.policy.redirect', 'error']]);
    expect(nonOk(findings)[0]!.message).toMatch(/301/);
    expect(facts.fetchFailure).toBe('redirect');
    expect(good.paths).toEqual(['/.well-known/mta-sts.txt']);
  });

  it('reports a non-2xx answer and a policy with syntax errors', async () => {
    good.respond = (_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    };
    expect(ids(nonOk((await run()).findings))).toEqual([['mta-sts.policy.status', 'error']]);
    serve('version: STSv1\nmode: enforce\nmax_age: 86400\n');
    expect(ids(nonOk((await run()).findings))).toEqual([['mta-sts.policy.syntax', 'error']]);
  });

  it('M8: warns when the Content-Type is not text/plain, or missing, and still reads the policy', async () => {
    serve(policy('enforce', 'mx1.example.test', 'mx2.example.test'), 'text/html');
    const html = await run();
    expect(ids(nonOk(html.findings))).toEqual([['mta-sts.policy.content-type', 'warning']]);
    expect(html.facts.policy?.mode).toBe('enforce');
    good.respond = (_req, res) => {
      res.removeHeader('content-type');
      res.end(policy('enforce', 'mx1.example.test', 'mx2.example.test'));
    };
    expect(ids(nonOk((await run()).findings))).toEqual([['mta-sts.policy.content-type', 'warning']]);
  });

  it('refuses a policy larger than 64 KiB', async () => {
    serve(policy('enforce', 'mx1.example.test', 'mx2.example.test') + 'x'.repeat(70 * 1024));
    expect(ids(nonOk((await run()).findings))).toEqual([['mta-sts.policy.too-large', 'error']]);
  });

  it('verifies the certificate name: a trusted certificate for another name is an error', async () => {
    wrongName.respond = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(policy('enforce', 'mx1.example.test', 'mx2.example.test'));
    };
    const { findings, facts } = await run({ port: wrongName.port, ca: otherCert, timeoutMs: 3000 });
    expect(ids(nonOk(findings))).toEqual([['mta-sts.policy.tls', 'error']]);
    expect(nonOk(findings)[0]!.message).toMatch(/mta-sts\.example\.test/);
    expect(facts.fetchFailure).toBe('tls');
    expect(wrongName.paths).toEqual([]);
  });

  it('verifies the chain: a certificate not signed by a trusted CA is an error', async () => {
    serve(policy('enforce', 'mx1.example.test', 'mx2.example.test'));
    const { findings } = await run({ port: good.port, ca: otherCert, timeoutMs: 3000 });
    expect(ids(nonOk(findings))).toEqual([['mta-sts.policy.tls', 'error']]);
  });

  it('gives up on a server that accepts the connection but never answers, after the timeout', async () => {
    const t0 = Date.now();
    const { findings, facts } = await run({ port: silentPort, ca: cert, timeoutMs: 300 });
    const elapsed = Date.now() - t0;
    expect(ids(nonOk(findings))).toEqual([['mta-sts.policy.timeout', 'error']]);
    expect(facts.fetchFailure).toBe('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
  });

  it('reports a closed port as unreachable', async () => {
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const { findings } = await run({ port, ca: cert, timeoutMs: 2000 });
    expect(ids(nonOk(findings))).toEqual([['mta-sts.policy.unreachable', 'error']]);
  });
});
