/**
 * The deliverability audit: every check started at once on one shared DNS client, so lookups run
 * concurrently and any record two checks need is asked once. Checks that depend on another's
 * facts (BIMI on DMARC, alignment on DMARC and DKIM, the STARTTLS probe on MX and MTA-STS) wait
 * only for those. Ends with the mailbox providers' sender requirements summarised from the rest.
 */
import { blocklistFindings, checkBlocklists } from './blocklists.js';
import { checkBimi } from './checks/bimi.js';
import { checkDkim, type DkimFacts } from './checks/dkim.js';
import { checkAlignment, checkDmarc, type DmarcFacts } from './checks/dmarc.js';
import { checkMtaSts, type MtaStsFacts } from './checks/mta-sts.js';
import { checkMx, checkSendingIps, type Fcrdns, type MxFacts } from './checks/mx.js';
import { checkSpf, type SpfFacts } from './checks/spf.js';
import { probeFindings, probeStarttls, type ProbeOptions, type ProbeResult } from './checks/starttls.js';
import { checkTlsRpt } from './checks/tlsrpt.js';
import { finding, SEVERITY_ORDER, type Area, type CheckContext, type Finding, type SendingPath, type Severity } from './report.js';
import { createDnsClient, type DnsClient, type QueryRecord } from './resolver.js';

export interface AuditOptions {
  domain: string;
  ips: string[];
  selectors: string[];
  path: SendingPath;
  resolver?: string | undefined;
  timeoutMs?: number;
  tries?: number;
  /** Connect to the MX hosts on port 25 and try STARTTLS. */
  probe?: ProbeOptions | false;
  https?: CheckContext['https'];
  /** An existing client (tests, dns-records re-check); one is made from resolver/timeout otherwise. */
  dns?: DnsClient;
}

export const AREAS: Area[] = ['spf', 'dkim', 'dmarc', 'alignment', 'mx', 'ptr', 'mta-sts', 'tls-rpt', 'bimi', 'blocklists', 'bulk-senders'];

export interface AuditReport {
  domain: string;
  resolver: string;
  ips: string[];
  selectors: string[];
  path: SendingPath;
  durationMs: number;
  queries: number;
  /** Each query with its status and latency, in the order answers arrived. */
  queryLog: QueryRecord[];
  /** Every query failed (no answer, REFUSED, SERVFAIL): the audit says nothing about the domain. */
  resolverUnreachable: boolean;
  counts: Record<Severity, number>;
  findings: Finding[];
  facts: {
    spf: SpfFacts;
    dkim: DkimFacts;
    dmarc: DmarcFacts;
    mx: MxFacts;
    sendingIps: Fcrdns[];
    mtaSts: MtaStsFacts;
    probe: ProbeResult[] | undefined;
  };
}

const worst = (fs: Finding[]) => fs.reduce<Severity>((w, f) => (SEVERITY_ORDER[f.severity] < SEVERITY_ORDER[w] ? f.severity : w), 'ok');

export async function runAudit(o: AuditOptions): Promise<AuditReport> {
  const t0 = performance.now();
  const dns = o.dns ?? createDnsClient({ server: o.resolver, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), ...(o.tries ? { tries: o.tries } : {}) });
  const domain = o.domain.toLowerCase().replace(/\.$/, '');
  const ctx: CheckContext = { domain, dns, ips: o.ips, selectors: o.selectors, path: o.path, ...(o.https ? { https: o.https } : {}) };
  void dns.txt(`default._bimi.${domain}`); // asked now; BIMI's verdict waits for DMARC, its lookup need not
  const spfP = checkSpf(ctx);
  const dkimP = checkDkim(ctx);
  const dmarcP = checkDmarc(ctx);
  const mxP = checkMx(ctx);
  const ptrP = checkSendingIps(ctx);
  const stsP = checkMtaSts(ctx);
  const rptP = checkTlsRpt(ctx);
  const blP = checkBlocklists(o.ips, domain, dns);
  // BIMI needs enforcement for the domain and its subdomains (p and sp at quarantine or reject).
  const enforcing = (p: string | undefined) => p === 'quarantine' || p === 'reject';
  const bimiP = dmarcP.then((d) => checkBimi(ctx, d.facts.found === 'unknown' ? 'unknown' : d.facts.found === true && enforcing(d.facts.domainPolicy ?? d.facts.policy) && enforcing(d.facts.subdomainPolicy)));
  const probeP: Promise<ProbeResult[] | undefined> = o.probe
    ? mxP.then((mx) => Promise.all(Object.entries(mx.facts.addresses).flatMap(([host, ips]) => ips.map((ip) => probeStarttls(host, ip, o.probe as ProbeOptions)))))
    : Promise.resolve(undefined);
  const [spf, dkim, dmarc, mx, ptr, sts, rpt, bl, bimi, probe] = await Promise.all([spfP, dkimP, dmarcP, mxP, ptrP, stsP, rptP, blP, bimiP, probeP]);

  const dkimUnknown = dkim.findings.some((f) => f.severity === 'unknown');
  const dkimAligned = dkim.facts.selectors.some((s) => s.found && !s.revoked && (s.keyType === 'ed25519' || (s.bits ?? 0) >= 1024)) ? true : dkimUnknown ? 'unknown' : false;
  const alignment = checkAlignment(ctx, dmarc.facts, { dkimAligned, spfPasses: spfPasses(spf.findings, o.path) });
  const probeF = probe ? probeFindings(probe, sts.facts.policy?.mode === 'enforce') : [];
  const findings: Finding[] = [
    ...spf.findings,
    ...dkim.findings,
    ...dmarc.findings,
    ...alignment,
    ...mx.findings,
    ...probeF,
    ...ptr.findings,
    ...sts.findings,
    ...rpt.findings,
    ...bimi.findings,
    ...blocklistFindings(bl),
  ];
  findings.push(...bulkSenderSummary(findings, { ips: o.ips, probed: !!probe, dkimAligned, dmarcFound: dmarc.facts.found }));
  // Not one question answered — timeouts, REFUSED, SERVFAIL alike: the resolver, not the domain, is
  // the problem (blocklist zones alone would answer a working resolver).
  const resolverUnreachable = dns.queries.length > 0 && dns.queries.every((q) => q.status === 'error');
  const counts: Record<Severity, number> = { error: 0, unknown: 0, warning: 0, info: 0, ok: 0 };
  for (const f of findings) counts[f.severity]++;
  return {
    domain,
    resolver: dns.server,
    ips: o.ips,
    selectors: o.selectors,
    path: o.path,
    durationMs: Math.round(performance.now() - t0),
    queries: dns.queries.length,
    queryLog: [...dns.queries],
    resolverUnreachable,
    counts,
    findings,
    facts: { spf: spf.facts, dkim: dkim.facts, dmarc: dmarc.facts, mx: mx.facts, sendingIps: ptr.facts, mtaSts: sts.facts, probe },
  };
}

/** Findings that mean SPF evaluation of the envelope domain ends in permerror, none or a non-pass. */
const SPF_BREAKING = new Set(['spf.missing', 'spf.nxdomain', 'spf.multiple', 'spf.syntax', 'spf.lookups', 'spf.void-lookups', 'spf.loop', 'spf.include-target', 'spf.redirect-target', 'spf.mx-limit', 'spf.ip', 'spf.include-all']);

/** Whether SPF can pass for the envelope domain of the sending path: the domain, or the SES MAIL FROM. */
export function spfPasses(spf: Finding[], path: SendingPath): boolean | 'unknown' {
  const relevant = path.ses ? spf.filter((f) => f.id.startsWith('spf.ses-mail-from')) : spf.filter((f) => !f.id.startsWith('spf.ses'));
  if (path.ses && !path.sesMailFrom) return true; // alignment is decided by the path, not by records
  if (relevant.some((f) => f.severity === 'error' && (path.ses || SPF_BREAKING.has(f.id)))) return false;
  if (relevant.some((f) => f.severity === 'unknown')) return 'unknown';
  return true;
}

/**
 * Gmail, Yahoo and Microsoft sender requirements (2024–2025), read off the other findings. The
 * bulk rules start at about 5,000 messages a day to one provider; the all-sender rules apply to everyone.
 */
export function bulkSenderSummary(fs: Finding[], o: { ips: string[]; probed: boolean; dkimAligned: boolean | 'unknown'; dmarcFound: boolean | 'unknown' }): Finding[] {
  const inArea = (a: Area) => fs.filter((f) => f.area === a);
  const state = (a: Area): 'met' | 'unmet' | 'unknown' => {
    const w = worst(inArea(a));
    return w === 'error' ? 'unmet' : w === 'unknown' ? 'unknown' : 'met';
  };
  const spf = state('spf');
  const dkim = o.dkimAligned === true ? 'met' : o.dkimAligned === 'unknown' ? 'unknown' : 'unmet';
  const dmarc = o.dmarcFound === true && !inArea('dmarc').some((f) => f.severity === 'error') ? 'met' : o.dmarcFound === 'unknown' ? 'unknown' : 'unmet';
  const aligned = inArea('alignment').some((f) => f.severity === 'error' || f.severity === 'warning') ? 'unmet' : state('alignment');
  const ptr = o.ips.length ? state('ptr') : 'unchecked';
  const probes = fs.filter((f) => f.id === 'mx.starttls');
  const tls = !o.probed ? 'unchecked' : probes.some((f) => f.severity === 'error' || f.severity === 'warning') ? 'unmet' : probes.some((f) => f.severity === 'unknown') ? 'unknown' : 'met';
  const line = (id: string, who: string, parts: Array<[string, string]>): Finding => {
    const unmet = parts.filter(([, s]) => s === 'unmet').map(([n]) => n);
    const unknown = parts.filter(([, s]) => s === 'unknown').map(([n]) => n);
    const unchecked = parts.filter(([, s]) => s === 'unchecked').map(([n]) => n);
    const severity: Severity = unmet.length ? 'warning' : unknown.length ? 'unknown' : 'ok';
    const said = [unmet.length ? `not met: ${unmet.join(', ')}` : 'met', unknown.length ? `unknown: ${unknown.join(', ')}` : '', unchecked.length ? `not checked: ${unchecked.join(', ')}` : ''].filter(Boolean).join('; ');
    return finding('bulk-senders', id, severity, `${who}: ${said}`, { ...(unmet.length ? { fix: `fix the ${unmet.join(', ')} findings above` } : {}) });
  };
  const either = spf === 'met' || dkim === 'met' ? 'met' : spf === 'unknown' || dkim === 'unknown' ? 'unknown' : 'unmet';
  return [
    line('all-senders', 'Gmail/Yahoo, every sender', [
      ['SPF or DKIM', either],
      ['reverse DNS of the sending IPs', ptr === 'unchecked' ? 'unchecked' : ptr],
      ['TLS', tls],
    ]),
    line('bulk', 'Gmail/Yahoo bulk senders (5,000+/day)', [
      ['SPF', spf],
      ['DKIM', dkim],
      ['DMARC published', dmarc],
      ['From aligned with SPF or DKIM', aligned],
    ]),
    line('microsoft', 'Outlook.com high-volume senders (5,000+/day)', [
      ['SPF', spf],
      ['DKIM', dkim],
      ['DMARC p=none or stronger', dmarc],
    ]),
    finding('bulk-senders', 'not-dns', 'info', 'Not visible in DNS: keep the spam rate under 0.1% and never at 0.3% (Gmail Postmaster Tools; `mailops reputation` shows complaints), and one-click unsubscribe (RFC 8058) honoured within 2 days — `mailops send` adds the headers when UNSUBSCRIBE_URL is set', {}),
  ];
}

/** Exit status of an audit: 0 clean, 3 errors (or warnings/unknowns with warnAsError). */
export function auditFailed(r: AuditReport, warnAsError: boolean): boolean {
  return r.counts.error > 0 || (warnAsError && r.counts.warning + r.counts.unknown > 0);
}
