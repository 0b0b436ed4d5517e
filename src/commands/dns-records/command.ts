/** Flags → options for `mailops dns-records`; prints a table with the change state, then the zone snippet. */
import { readFileSync } from 'node:fs';
import { buildContext, type GlobalFlags } from '../../cli/context.js';
import { usageError } from '../../errors.js';
import { zoneSnippet } from '../../dns/records.js';
import { parseResolverAddress } from '../../dns/resolver.js';
import { SES_REGION } from '../../stack/ses.js';
import { auditTarget } from '../dns-check/command.js';
import { runDnsRecords, type DnsRecordsResult } from './run.js';

export interface DnsRecordsFlags {
  ip?: string[];
  mxHost?: string;
  dmarcPolicy?: string;
  rua?: string;
  ruf?: string;
  spfAll?: string;
  sesRegion?: string;
  mailFrom?: string;
  sesDkimTokens?: string;
  dkimSelector?: string;
  dkimKey?: string;
  mtaStsMode?: string;
  tlsRpt?: string;
  resolver?: string;
  zone?: boolean;
}

const STATE: Record<string, string> = { new: 'new', same: 'unchanged', change: 'would change', unknown: 'unknown (lookup failed)' };

function table(r: DnsRecordsResult): string {
  const w = Math.min(40, Math.max(...r.records.map((x) => x.name.length)));
  const lines = [`${'NAME'.padEnd(w)}  TYPE   STATE           VALUE`];
  for (const x of r.records) {
    lines.push(`${x.name.padEnd(w)}  ${x.type.padEnd(5)}  ${STATE[x.state]!.padEnd(14)}  ${x.value}`);
    if (x.state === 'change') for (const c of x.current) lines.push(`${''.padEnd(w)}  ${''.padEnd(5)}  ${'now:'.padEnd(14)}  ${c}`);
  }
  if (r.elsewhere.length) {
    lines.push('', 'Outside the zone:');
    for (const e of r.elsewhere) lines.push(`  ${e.what} — at ${e.where}:`, ...e.value.trimEnd().split(/\r?\n/).map((l) => `      ${l}`));
  }
  if (r.notes.length) lines.push('', 'Notes:', ...r.notes.map((n) => `  - ${n}`));
  return lines.join('\n');
}

export async function dnsRecordsCommand(domainArg: string | undefined, flags: DnsRecordsFlags, globals: GlobalFlags): Promise<number> {
  const { io, loaded } = buildContext(globals);
  const c = loaded.config;
  const { domain, ips } = auditTarget(domainArg, flags.ip, c, 'e.g. mailops dns-records example.com --ip 192.0.2.10');
  if (!ips.length) throw usageError("give the Mailcow server's public IP with --ip (or set SENDING_IPS)", 'e.g. mailops dns-records example.com --ip 192.0.2.10');
  const policy = flags.dmarcPolicy ?? 'none';
  if (!['none', 'quarantine', 'reject'].includes(policy)) throw usageError(`--dmarc-policy ${policy}: expected none, quarantine or reject`);
  const spfAll = flags.spfAll ?? 'soft';
  if (!['soft', 'hard'].includes(spfAll)) throw usageError(`--spf-all ${spfAll}: expected soft or hard`);
  const sts = flags.mtaStsMode ?? 'testing';
  if (!['testing', 'enforce', 'none'].includes(sts)) throw usageError(`--mta-sts-mode ${sts}: expected testing, enforce or none`);
  const sesRegion = flags.sesRegion ?? c.SES_REGION;
  if (sesRegion && !SES_REGION.test(sesRegion)) throw usageError(`--ses-region ${sesRegion} is not an AWS region`, 'e.g. --ses-region eu-west-1');
  const tokens = flags.sesDkimTokens?.split(',').map((t) => t.trim()).filter(Boolean);
  if (tokens && tokens.some((t) => !/^[a-z0-9]{20,64}$/i.test(t))) throw usageError('--ses-dkim-tokens: expected the three tokens SES shows, comma-separated');
  const resolver = flags.resolver ?? c.DNS_RESOLVER;
  if (resolver) parseResolverAddress(resolver);
  let dkimKey: string | undefined;
  if (flags.dkimKey) {
    try {
      dkimKey = readFileSync(flags.dkimKey === '-' ? 0 : flags.dkimKey, 'utf8');
    } catch (err) {
      throw usageError(`cannot read --dkim-key ${flags.dkimKey}: ${(err as Error).message}`);
    }
  }
  let result: DnsRecordsResult;
  try {
    result = await runDnsRecords({
      domain,
      ips,
      mxHost: flags.mxHost,
      dmarcPolicy: policy as 'none',
      rua: flags.rua,
      ruf: flags.ruf,
      spfAll: spfAll as 'soft',
      sesRegion,
      mailFrom: flags.mailFrom ?? c.SES_MAIL_FROM,
      sesDkimTokens: tokens,
      dkimSelector: flags.dkimSelector ?? (flags.dkimKey ? c.DKIM_SELECTORS[0] : undefined),
      dkimKey,
      mailcow: c.MAILCOW_URL && c.MAILCOW_API_KEY ? { url: c.MAILCOW_URL, apiKey: c.MAILCOW_API_KEY } : undefined,
      mtaStsMode: sts as 'testing',
      tlsRptRua: flags.tlsRpt,
      resolver,
    });
  } catch (err) {
    if (err instanceof Error && /DECODER|asn1|key/i.test(err.message) && dkimKey) throw usageError(`--dkim-key ${flags.dkimKey} is not a public key: ${err.message}`, 'Give the PEM public key, its base64 body, or the v=DKIM1 record text.');
    throw err;
  }
  if (io.json) io.outJson(result);
  else if (flags.zone) io.out(zoneSnippet(result));
  else io.out(`${table(result)}\n\n${zoneSnippet(result)}`);
  return 0;
}
