/**
 * `mailops dns-check`: the deliverability audit of one domain (src/dns/audit.ts), and the exit
 * status cron needs — 0 clean, 3 errors found, 5 when the resolver could not be reached at all.
 */
import { auditFailed, runAudit, type AuditOptions, type AuditReport } from '../../dns/audit.js';
import { ExitCode, MailopsError, type ExitCodeValue } from '../../errors.js';

export type DnsCheckOptions = Omit<AuditOptions, 'dns'> & { warnAsError: boolean };

export async function runDnsCheck(o: DnsCheckOptions, deps: Pick<AuditOptions, 'dns'> = {}): Promise<AuditReport> {
  const report = await runAudit({ ...o, ...deps });
  if (report.resolverUnreachable) {
    const codes = [...new Set(report.queryLog.map((q) => q.code ?? q.status))].join(', ');
    throw new MailopsError('resolver-unreachable', `no DNS answer from ${report.resolver}: every one of ${report.queries} queries failed (${codes})`, {
      exitCode: ExitCode.unavailable,
      hint: report.resolver === 'system' ? 'Check the network and /etc/resolv.conf, or name a resolver with --resolver.' : `Check that a recursive DNS server at ${report.resolver} answers this host (REFUSED means it does not serve you), or drop --resolver to use the system's.`,
    });
  }
  return report;
}

export function dnsCheckExitCode(r: AuditReport, warnAsError: boolean): ExitCodeValue {
  return auditFailed(r, warnAsError) ? ExitCode.incomplete : ExitCode.ok;
}
