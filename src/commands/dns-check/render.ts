/** Human views of an audit: a table grouped by area for a terminal, tab-separated lines for a pipe. */
import { AREAS, type AuditReport } from '../../dns/audit.js';
import type { Finding, Severity } from '../../dns/report.js';
import type { IO, Style } from '../../io/io.js';

const MARK: Record<Severity, [string, Style]> = { ok: ['✓', 'green'], info: ['i', 'cyan'], warning: ['!', 'yellow'], error: ['✗', 'red'], unknown: ['?', 'yellow'] };
const TITLE: Record<string, string> = {
  spf: 'SPF',
  dkim: 'DKIM',
  dmarc: 'DMARC',
  alignment: 'Alignment',
  mx: 'MX',
  ptr: 'Sending IPs (PTR)',
  'mta-sts': 'MTA-STS',
  'tls-rpt': 'TLS-RPT',
  bimi: 'BIMI',
  blocklists: 'Blocklists',
  'bulk-senders': 'Mailbox-provider requirements',
};

export function summaryLine(r: AuditReport): string {
  const c = r.counts;
  return `${r.domain}: ${c.error} error${c.error === 1 ? '' : 's'}, ${c.warning} warning${c.warning === 1 ? '' : 's'}, ${c.unknown} unknown, ${c.ok} passed — ${r.queries} DNS queries via ${r.resolver} in ${(r.durationMs / 1000).toFixed(1)} s`;
}

/** The table: one block per area, worst first within it; fixes under each problem. `all` shows ok/info lines too. */
export function renderTable(r: AuditReport, io: Pick<IO, 'paint'>, all = true): string {
  const out = [io.paint('bold', summaryLine(r)), ''];
  for (const area of AREAS) {
    const fs = r.findings.filter((f) => f.area === area && (all || (f.severity !== 'ok' && f.severity !== 'info')));
    if (!fs.length) continue;
    out.push(io.paint('bold', TITLE[area] ?? area));
    let lastFix: string | undefined;
    for (const f of fs) {
      const [mark, style] = MARK[f.severity];
      out.push(`  ${io.paint(style, mark)} ${f.message}${f.severity !== 'ok' ? io.paint('dim', `  [${f.id}]`) : ''}`);
      // A fix shared by consecutive findings (every list unknown from one resolver) is said once.
      if (f.fix && f.severity !== 'ok' && f.fix !== lastFix) out.push(`      ${io.paint('dim', 'fix:')} ${f.fix}`);
      lastFix = f.fix;
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}

const clean = (s: string | undefined) => (s ?? '').replace(/[\t\r\n]+/g, ' ');

/** One finding per line: severity, id, subject, message, fix — tab-separated, for grep and awk. */
export function renderPlain(r: AuditReport): string {
  return r.findings.map((f: Finding) => [f.severity, f.id, clean(f.subject), clean(f.message), clean(f.fix)].join('\t')).join('\n');
}
