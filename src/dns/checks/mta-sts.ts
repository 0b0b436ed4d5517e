/**
 * MTA-STS (RFC 8461): the `_mta-sts.<domain>` TXT record, the policy served at
 * `https://mta-sts.<domain>/.well-known/mta-sts.txt` (fetched the way a sending MTA fetches it:
 * certificate verified, redirects not followed, bounded in time and size), and whether the policy
 * covers every MX host.
 */
import { request } from 'node:https';
import type { CheckContext, Finding } from '../report.js';
import { finding, unknownFrom } from '../report.js';
import type { DnsClient, Lookup } from '../resolver.js';
import { addresses, describeLookupError, joinTxt } from '../resolver.js';
import { parseVersionedTags, type Parsed } from './tags.js';

export interface StsRecord {
  id: string;
}

/** Parse the `_mta-sts` TXT record (RFC 8461 §3.1): `v=STSv1; id=<1–32 letters/digits>`. */
export function parseStsRecord(txt: string): Parsed<StsRecord> {
  const r = parseVersionedTags(txt, 'STSv1', ['id']);
  if (!r.ok) return { ok: false, errors: [r.error], warnings: [] };
  const id = r.tags.get('id');
  if (id === undefined) return { ok: false, errors: ['no id= tag'], warnings: [] };
  if (!/^[A-Za-z0-9]{1,32}$/.test(id)) return { ok: false, errors: [`id=${id}: the id must be 1 to 32 letters or digits`], warnings: [] };
  return { ok: true, value: { id }, warnings: [] };
}

export type StsMode = 'enforce' | 'testing' | 'none';

export interface StsPolicy {
  version: 'STSv1';
  mode: StsMode;
  maxAge: number;
  /** `mx:` patterns in order: host names or `*.` wildcards. */
  mx: string[];
}

/** RFC 8461 §3.2: max_age is at most 31557600 seconds (about a year). */
export const STS_MAX_AGE_LIMIT = 31557600;
/** Below one week a policy lapses between fetches too easily; RFC 8461 §3.2 recommends weeks. */
export const STS_MAX_AGE_SMALL = 604800;
const HOST_PATTERN = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?$/i;

/** Parse a policy file (RFC 8461 §3.2): `key: value` lines, LF or CRLF. */
export function parseStsPolicy(text: string): Parsed<StsPolicy> {
  const errors: string[] = [];
  const warnings: string[] = [];
  const seen = new Map<string, string>();
  const mx: string[] = [];
  const lines = text.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1] === '') lines.pop(); // the final line break
  for (const line of lines) {
    const m = /^([A-Za-z0-9_.-]{1,32}):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!m) {
      errors.push(line.trim() ? `\`${line}\` is not a key: value line` : 'empty line');
      continue;
    }
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'mx') {
      if (HOST_PATTERN.test(value)) mx.push(value.toLowerCase());
      else errors.push(`mx: ${value} is not a host name or *.domain pattern`);
      continue;
    }
    if (!['version', 'mode', 'max_age'].includes(key)) errors.push(`unknown key ${key}`);
    else if (seen.has(key)) errors.push(`${key} appears more than once`);
    seen.set(key, value);
  }
  const version = seen.get('version');
  const mode = seen.get('mode');
  const maxAgeText = seen.get('max_age');
  if (version === undefined) errors.push('no version line');
  else if (version !== 'STSv1') errors.push(`version: ${version}: must be STSv1`);
  if (mode === undefined) errors.push('no mode line');
  else if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') errors.push(`mode: ${mode}: must be enforce, testing or none`);
  let maxAge = NaN;
  if (maxAgeText === undefined) errors.push('no max_age line');
  else if (!/^\d{1,10}$/.test(maxAgeText) || Number(maxAgeText) > STS_MAX_AGE_LIMIT) errors.push(`max_age: ${maxAgeText}: must be a whole number of seconds from 0 to ${STS_MAX_AGE_LIMIT}`);
  else maxAge = Number(maxAgeText);
  if ((mode === 'enforce' || mode === 'testing') && mx.length === 0) errors.push(`mode ${mode} needs at least one mx line`);
  if (errors.length) return { ok: false, errors, warnings };
  if (mode !== 'none' && maxAge < STS_MAX_AGE_SMALL) warnings.push(`small max_age ${maxAge}: senders forget the policy after ${maxAge} s; RFC 8461 recommends weeks`);
  return { ok: true, value: { version: 'STSv1', mode: mode as StsMode, maxAge, mx }, warnings };
}

/** Does MX `host` match policy pattern `pattern`? A `*.` wildcard covers exactly one left-most label (RFC 8461 §4.1). */
export function mxMatches(host: string, pattern: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase().replace(/\.$/, '');
  if (!p.startsWith('*.')) return h === p;
  const suffix = p.slice(1);
  if (!h.endsWith(suffix)) return false;
  const label = h.slice(0, -suffix.length);
  return label.length > 0 && !label.includes('.');
}

export const STS_POLICY_PATH = '/.well-known/mta-sts.txt';
/** RFC 8461 §3.3 lets senders cap the policy body; 64 KiB is the usual bound. */
export const STS_POLICY_MAX_BYTES = 64 * 1024;

export type StsFetchFailure = 'dns' | 'dns-unknown' | 'tls' | 'timeout' | 'unreachable' | 'redirect' | 'status' | 'too-large';

export type StsFetch =
  | { ok: true; url: string; ip: string; status: number; contentType: string | undefined; text: string }
  /** `lookup` is set for 'dns-unknown': the address lookup failed, so reachability is unknown. */
  | { ok: false; url: string; kind: StsFetchFailure; reason: string; lookup?: Lookup<string> };

/**
 * Fetch the policy as a sender does: resolve `mta-sts.<domain>` through the shared client, connect
 * to each address in turn (on connection failure only), verify the certificate for that name,
 * refuse redirects, and give up after the timeout.
 */
export async function fetchStsPolicy(domain: string, dns: DnsClient, https: CheckContext['https'] = {}): Promise<StsFetch> {
  const host = `mta-sts.${domain}`;
  const url = `https://${host}${STS_POLICY_PATH}`;
  const ips = await addresses(dns, host);
  if (ips.status === 'error') return { ok: false, url, kind: 'dns-unknown', reason: `${host}: ${describeLookupError(ips.code)}`, lookup: ips };
  if (ips.status !== 'ok') return { ok: false, url, kind: 'dns', reason: `${host} has no A or AAAA record` };
  const timeoutMs = https.timeoutMs ?? 5000;
  const deadline = Date.now() + timeoutMs;
  let last: StsFetch = { ok: false, url, kind: 'timeout', reason: `no answer from ${url} within ${timeoutMs} ms` };
  for (const ip of ips.records) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    last = await getPolicy(url, host, ip, https, left, timeoutMs);
    if (last.ok || last.kind !== 'unreachable') return last;
  }
  return last;
}

const TLS_ERROR = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME/;

function getPolicy(url: string, host: string, ip: string, https: NonNullable<CheckContext['https']>, timeoutMs: number, totalMs: number): Promise<StsFetch> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: StsFetch) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
      if (!r.ok) req.destroy();
    };
    const fail = (kind: StsFetchFailure, reason: string) => done({ ok: false, url, kind, reason });
    const req = request(
      {
        host: ip,
        port: https.port ?? 443,
        path: STS_POLICY_PATH,
        method: 'GET',
        servername: host,
        headers: { host, 'user-agent': 'mailops' },
        ...(https.ca ? { ca: https.ca } : {}),
        rejectUnauthorized: true,
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          const to = res.headers.location ? ` to ${res.headers.location}` : '';
          return fail('redirect', `${url} answered ${status} (redirect${to}); senders do not follow redirects (RFC 8461 §3.3)`);
        }
        if (status < 200 || status >= 300) return fail('status', `${url} answered HTTP ${status}`);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > STS_POLICY_MAX_BYTES) fail('too-large', `${url} is larger than ${STS_POLICY_MAX_BYTES / 1024} KiB`);
          else chunks.push(chunk);
        });
        res.on('end', () => done({ ok: true, url, ip, status, contentType: res.headers['content-type'], text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => fail('unreachable', `${url}: ${err.message}`));
      },
    );
    const timer = setTimeout(() => fail('timeout', `no answer from ${url} (${ip}) within ${totalMs} ms`), timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (TLS_ERROR.test(code)) fail('tls', `the certificate of ${host} (${ip}) is not valid: ${err.message}`);
      else fail('unreachable', `cannot connect to ${host} (${ip}): ${err.message}`);
    });
    req.end();
  });
}

/** Is there an MTA-STS record at `_mta-sts.<domain>`? Through the memoized client, so asking is free
 *  when the MTA-STS check runs too; 'unknown' when the lookup failed. */
export async function mtaStsRecordPresent(dns: DnsClient, domain: string): Promise<boolean | 'unknown'> {
  const txt = await dns.txt(`_mta-sts.${domain}`);
  if (txt.status === 'error') return 'unknown';
  return txt.status === 'ok' && joinTxt(txt.records).some(isStsCandidate);
}

/** Records meant as MTA-STS (even malformed ones); other TXT at the name are discarded by senders. */
const isStsCandidate = (t: string) => /^\s*v\s*=\s*STS/i.test(t);

export interface MtaStsFacts {
  /** absent: no record · present: one valid record · invalid: malformed or several · unknown: lookup failed. */
  record: 'absent' | 'present' | 'invalid' | 'unknown';
  id: string | undefined;
  policy: StsPolicy | undefined;
  /** Why the policy could not be fetched, when it could not. */
  fetchFailure: StsFetchFailure | undefined;
  contentType: string | undefined;
  /** MX hosts no `mx:` pattern covers. */
  uncoveredMx: string[];
}

/** A UTC timestamp id (`20250101120000`), the usual choice for `id=`. */
const freshId = () => new Date().toISOString().replace(/\D/g, '').slice(0, 14);

/** Check the record, the policy and the policy's MX coverage. */
export async function checkMtaSts(ctx: CheckContext): Promise<{ findings: Finding[]; facts: MtaStsFacts }> {
  const d = ctx.domain;
  const recordName = `_mta-sts.${d}`;
  const policyUrl = `https://mta-sts.${d}${STS_POLICY_PATH}`;
  const facts: MtaStsFacts = { record: 'absent', id: undefined, policy: undefined, fetchFailure: undefined, contentType: undefined, uncoveredMx: [] };
  const findings: Finding[] = [];
  const add = (id: string, severity: Finding['severity'], message: string, fix?: string, subject?: string) => findings.push(finding('mta-sts', id, severity, message, { fix, subject }));
  const [txt, mxLookup] = await Promise.all([ctx.dns.txt(recordName), ctx.dns.mx(d)]);
  const mxHosts = mxLookup.status === 'ok' ? mxLookup.records.map((m) => m.exchange.toLowerCase().replace(/\.$/, '')).filter(Boolean) : [];
  const recordFix = `publish TXT \`v=STSv1; id=${freshId()}\` at \`${recordName}\``;

  const unknown = unknownFrom('mta-sts', 'lookup', recordName, 'TXT', txt);
  if (unknown) {
    facts.record = 'unknown';
    return { findings: [unknown], facts };
  }
  const records = txt.status === 'ok' ? joinTxt(txt.records) : [];
  const candidates = records.filter(isStsCandidate);
  if (!candidates.length) {
    if (records.length) {
      facts.record = 'invalid';
      add('record.invalid', 'error', `the TXT at ${recordName} is not an MTA-STS record: \`${records[0]}\``, `${recordFix} and remove the unrelated TXT`);
    } else {
      const lines = ['version: STSv1', 'mode: testing', ...(mxHosts.length ? mxHosts : [`mail.${d}`]).map((h) => `mx: ${h}`), `max_age: ${STS_MAX_AGE_SMALL}`];
      add('absent', 'info', `no MTA-STS record at ${recordName}: senders may deliver to ${d} without verified TLS`, `${recordFix}, and serve ${lines.map((l) => `\`${l}\``).join(', ')} (one per line) at \`${policyUrl}\` with a valid certificate for mta-sts.${d}`);
    }
    return { findings, facts };
  }
  if (records.length > candidates.length) {
    add('record.unrelated', 'warning', `${recordName} holds other TXT records besides MTA-STS (senders ignore them)`, `delete the TXT records at \`${recordName}\` that do not start with v=STSv1`);
  }
  if (candidates.length > 1) {
    facts.record = 'invalid';
    add('record.multiple', 'error', `${candidates.length} MTA-STS records at ${recordName}: senders then assume no policy (RFC 8461 §3.1)`, `keep exactly one: ${recordFix}`);
  } else {
    const rec = parseStsRecord(candidates[0]!);
    if (rec.ok) {
      facts.record = 'present';
      facts.id = rec.value.id;
      add('record', 'ok', `${recordName}: v=STSv1, id=${rec.value.id}`);
    } else {
      facts.record = 'invalid';
      add('record.invalid', 'error', `${recordName}: ${rec.errors.join('; ')}: senders assume no policy`, recordFix);
    }
  }

  // Fetch the policy even when the record is broken: fixing both at once saves a round.
  const fetched = await fetchStsPolicy(d, ctx.dns, ctx.https);
  if (!fetched.ok) {
    facts.fetchFailure = fetched.kind;
    if (fetched.lookup) findings.push(unknownFrom('mta-sts', 'policy.lookup', `mta-sts.${d}`, 'A/AAAA', fetched.lookup)!);
    else add(`policy.${fetched.kind}`, 'error', `MTA-STS policy: ${fetched.reason}`, fetchFix(fetched.kind, d, policyUrl));
    return { findings, facts };
  }
  const mediaType = fetched.contentType?.split(';')[0]!.trim().toLowerCase();
  facts.contentType = fetched.contentType;
  if (mediaType !== 'text/plain') {
    add('policy.content-type', 'warning', `${policyUrl} is served as ${fetched.contentType ?? 'no Content-Type'}, not text/plain (RFC 8461 §3.3)`, `serve \`${STS_POLICY_PATH}\` with \`Content-Type: text/plain\``);
  }
  const policy = parseStsPolicy(fetched.text);
  if (!policy.ok) {
    add('policy.syntax', 'error', `${policyUrl}: ${policy.errors.join('; ')}`, `serve lines \`version: STSv1\`, \`mode: testing|enforce|none\`, \`max_age: ${STS_MAX_AGE_SMALL}\` and one \`mx: <host>\` per MX at \`${policyUrl}\``);
    return { findings, facts };
  }
  const p = policy.value;
  facts.policy = p;
  const changeId = `and change the id in \`${recordName}\``;
  add('policy', 'ok', `policy: mode ${p.mode}, max_age ${p.maxAge}, mx ${p.mx.join(', ') || '(none)'}`);
  for (const w of policy.warnings) add('policy.max-age', 'warning', `${policyUrl}: ${w}`, `set \`max_age: ${STS_MAX_AGE_SMALL}\` or more (up to ${STS_MAX_AGE_LIMIT}) ${changeId}`);
  if (p.mode === 'testing') add('mode.testing', 'warning', 'MTA-STS is in testing mode: failures are only reported, mail is still delivered without verified TLS', `once TLS-RPT reports show no failures, set \`mode: enforce\` in the policy ${changeId}`);
  if (p.mode === 'none') add('mode.none', 'info', 'MTA-STS mode none: the policy is withdrawn', `to protect inbound mail, set \`mode: testing\` and later \`mode: enforce\` ${changeId}`);
  if (p.mode === 'none') return { findings, facts };

  const mxUnknown = unknownFrom('mta-sts', 'mx.lookup', d, 'MX', mxLookup);
  if (mxUnknown) {
    findings.push(mxUnknown);
    return { findings, facts };
  }
  facts.uncoveredMx = mxHosts.filter((h) => !p.mx.some((pattern) => mxMatches(h, pattern)));
  for (const host of facts.uncoveredMx) {
    const enforce = p.mode === 'enforce';
    add(
      'mx.uncovered',
      enforce ? 'error' : 'warning',
      `MX ${host} matches no mx: line of the ${p.mode} policy: ${enforce ? 'senders that honour MTA-STS will not deliver to it' : 'it will fail once the policy is enforced'}`,
      `add \`mx: ${host}\` to the policy ${changeId}`,
      host,
    );
  }
  if (mxHosts.length && !facts.uncoveredMx.length) add('mx', 'ok', `every MX host (${mxHosts.join(', ')}) matches the policy`);
  for (const pattern of p.mx) {
    if (mxHosts.length && !mxHosts.some((h) => mxMatches(h, pattern))) {
      add('mx.unused', 'warning', `policy line mx: ${pattern} matches none of ${d}'s MX hosts`, `remove \`mx: ${pattern}\` from the policy or correct it to an MX host name, ${changeId}`, pattern);
    }
  }
  return { findings, facts };
}

function fetchFix(kind: StsFetchFailure, domain: string, url: string): string {
  const host = `mta-sts.${domain}`;
  switch (kind) {
    case 'dns':
    case 'dns-unknown':
      return `publish an A (and/or AAAA) record for \`${host}\` pointing at the web server that serves \`${url}\``;
    case 'tls':
      return `install a certificate valid for \`${host}\` from a public CA on the server behind \`${url}\``;
    case 'redirect':
      return `serve the policy directly at \`${url}\` with status 200 instead of redirecting`;
    case 'status':
      return `serve the policy file at \`${url}\` with status 200`;
    case 'too-large':
      return `serve only the policy lines at \`${url}\` (well under 64 KiB)`;
    case 'timeout':
    case 'unreachable':
      return `make \`${url}\` answer over HTTPS on port 443 from the internet`;
  }
}
