/**
 * SMTP TLS Reporting (RFC 8460): the `_smtp._tls.<domain>` TXT record that tells senders where to
 * send daily reports of TLS failures — the feedback loop MTA-STS needs before `mode: enforce`.
 */
import type { CheckContext, Finding } from '../report.js';
import { finding, unknownFrom } from '../report.js';
import { joinTxt } from '../resolver.js';
import { mtaStsRecordPresent } from './mta-sts.js';
import { parseVersionedTags, type Parsed } from './tags.js';

export interface TlsRptRecord {
  /** Report destinations, `mailto:` or `https:` URIs, in order. */
  rua: string[];
}

export interface TlsRptFacts {
  record: 'absent' | 'present' | 'invalid' | 'unknown';
  rua: string[];
}

const MAILTO = /^mailto:[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$/i;

function isReportUri(uri: string): boolean {
  if (MAILTO.test(uri)) return true;
  if (!/^https:\/\//i.test(uri)) return false;
  try {
    return new URL(uri).hostname.length > 0;
  } catch {
    return false;
  }
}

/** Parse a TLS-RPT record (RFC 8460 §3): `v=TLSRPTv1; rua=<uri>[,<uri>…]`. */
export function parseTlsRpt(txt: string): Parsed<TlsRptRecord> {
  const r = parseVersionedTags(txt, 'TLSRPTv1', ['rua']);
  if (!r.ok) return { ok: false, errors: [r.error], warnings: [] };
  const rua = r.tags.get('rua');
  if (rua === undefined) return { ok: false, errors: ['no rua= tag: reports have nowhere to go'], warnings: [] };
  const uris = rua.split(/[ \t]*,[ \t]*/);
  const bad = uris.filter((u) => !isReportUri(u));
  if (bad.length) return { ok: false, errors: bad.map((u) => `rua entry \`${u}\` is not a mailto: or https: URI`), warnings: [] };
  return { ok: true, value: { rua: uris }, warnings: [] };
}

const isTlsRptCandidate = (t: string) => /^\s*v\s*=\s*TLSRPT/i.test(t);

/** Check `_smtp._tls.<domain>`; its absence matters more when an MTA-STS record exists. */
export async function checkTlsRpt(ctx: CheckContext): Promise<{ findings: Finding[]; facts: TlsRptFacts }> {
  const name = `_smtp._tls.${ctx.domain}`;
  const fix = `publish \`v=TLSRPTv1; rua=mailto:tlsrpt@${ctx.domain}\` at \`${name}\``;
  const [txt, sts] = await Promise.all([ctx.dns.txt(name), mtaStsRecordPresent(ctx.dns, ctx.domain)]);
  const unknown = unknownFrom('tls-rpt', 'lookup', name, 'TXT', txt);
  if (unknown) return { findings: [unknown], facts: { record: 'unknown', rua: [] } };
  const records = txt.status === 'ok' ? joinTxt(txt.records) : [];
  const candidates = records.filter(isTlsRptCandidate);
  if (!candidates.length) {
    if (records.length) {
      return { findings: [finding('tls-rpt', 'invalid', 'error', `the TXT at ${name} is not a TLS-RPT record: \`${records[0]}\``, { fix: `${fix} and remove the unrelated TXT` })], facts: { record: 'invalid', rua: [] } };
    }
    const message = sts === true ? `no TLS-RPT record at ${name}, though MTA-STS is published: TLS failures with ${ctx.domain} go unreported` : `no TLS-RPT record at ${name}`;
    return { findings: [finding('tls-rpt', 'absent', sts === true ? 'warning' : 'info', message, { fix })], facts: { record: 'absent', rua: [] } };
  }
  if (candidates.length > 1) {
    return { findings: [finding('tls-rpt', 'multiple', 'error', `${candidates.length} TLS-RPT records at ${name}: senders then send no reports (RFC 8460 §3)`, { fix: `keep exactly one: ${fix}` })], facts: { record: 'invalid', rua: [] } };
  }
  const parsed = parseTlsRpt(candidates[0]!);
  if (!parsed.ok) {
    return { findings: [finding('tls-rpt', 'invalid', 'error', `${name}: ${parsed.errors.join('; ')}`, { fix })], facts: { record: 'invalid', rua: [] } };
  }
  const findings = [finding('tls-rpt', 'record', 'ok', `${name}: reports go to ${parsed.value.rua.join(', ')}`)];
  if (records.length > candidates.length) {
    findings.push(finding('tls-rpt', 'unrelated', 'warning', `${name} holds other TXT records besides TLS-RPT (senders ignore them)`, { fix: `delete the TXT records at \`${name}\` that do not start with v=TLSRPTv1` }));
  }
  return { findings, facts: { record: 'present', rua: parsed.value.rua } };
}
