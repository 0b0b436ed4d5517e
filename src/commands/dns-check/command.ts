/** Flags → options for `mailops dns-check`; the domain, IPs, selectors and SES path default from config. */
import { buildContext, type GlobalFlags } from '../../cli/context.js';
import { usageError } from '../../errors.js';
import { parseResolverAddress } from '../../dns/resolver.js';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { renderPlain, renderTable, summaryLine } from './render.js';
import { dnsCheckExitCode, runDnsCheck } from './run.js';

export interface DnsCheckFlags {
  ip?: string[];
  dkimSelector?: string[];
  resolver?: string;
  ses?: boolean;
  mailFrom?: string;
  probe?: boolean;
  timeout?: string;
  warnAsError?: boolean;
}

export function defaultDomain(c: { FROM_EMAIL?: string | undefined; REPLY_DOMAIN?: string | undefined }): string | undefined {
  return c.FROM_EMAIL?.split('@')[1]?.toLowerCase() ?? c.REPLY_DOMAIN?.toLowerCase();
}

const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** A domain as DNS asks it: IDNA (punycode), lower case, no trailing dot; a usage error otherwise. */
export function normalizeDomain(input: string, example: string): string {
  const ascii = domainToASCII(input.trim().replace(/\.$/, ''));
  if (!ascii || !DOMAIN_RE.test(ascii)) throw usageError(`"${input}" is not a domain name`, example);
  return ascii;
}

/** An IP as the lookups need it: IPv4-mapped IPv6 becomes IPv4; zone ids and non-IPs are usage errors. */
export function normalizeIp(input: string): string {
  const ip = input.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIP(mapped[1]!) === 4) return mapped[1]!;
  if (!isIP(ip) || ip.includes('%')) throw usageError(`--ip ${input} is not a public IP address`, 'e.g. --ip 192.0.2.10 --ip 2001:db8::10');
  return ip.toLowerCase();
}

/** The domain (argument, else FROM_EMAIL's) and the sending IPs (--ip, else SENDING_IPS), normalized. */
export function auditTarget(domainArg: string | undefined, ipFlags: string[] | undefined, c: { FROM_EMAIL?: string | undefined; REPLY_DOMAIN?: string | undefined; SENDING_IPS: string[] }, example: string): { domain: string; ips: string[] } {
  const given = domainArg ?? defaultDomain(c);
  if (!given) throw usageError('which domain? Give it as an argument, or set FROM_EMAIL in .env', example);
  return { domain: normalizeDomain(given, example), ips: [...new Set((ipFlags ?? c.SENDING_IPS).map(normalizeIp))] };
}

const SELECTOR_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})$/;

export async function dnsCheckCommand(domainArg: string | undefined, flags: DnsCheckFlags, globals: GlobalFlags): Promise<number> {
  const { io, loaded } = buildContext(globals);
  const c = loaded.config;
  const { domain, ips } = auditTarget(domainArg, flags.ip, c, 'e.g. mailops dns-check example.com --ip 192.0.2.10');
  const badSelector = flags.dkimSelector?.find((x) => !SELECTOR_RE.test(x));
  if (badSelector) throw usageError(`--dkim-selector "${badSelector}" is not a DKIM selector`, 'e.g. --dkim-selector dkim');
  const resolver = flags.resolver ?? c.DNS_RESOLVER;
  if (resolver) parseResolverAddress(resolver); // usage error before any lookup
  const timeoutMs = flags.timeout ? Number(flags.timeout) * 1000 : 2000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw usageError(`--timeout ${flags.timeout} is not a number of seconds`);
  const ses = flags.ses ?? !!c.SES_REGION;
  const report = await runDnsCheck({
    domain,
    ips,
    selectors: flags.dkimSelector ?? c.DKIM_SELECTORS,
    path: { ses, ...(ses && (flags.mailFrom ?? c.SES_MAIL_FROM) ? { sesMailFrom: flags.mailFrom ?? c.SES_MAIL_FROM } : {}) },
    resolver,
    timeoutMs,
    probe: flags.probe ? {} : false,
    warnAsError: flags.warnAsError ?? false,
  });
  if (io.json) io.outJson(report);
  else if (io.stdout.isTTY) io.out(renderTable(report, io, io.verbosity !== 'quiet'));
  else io.out(renderPlain(report));
  for (const q of report.queryLog) io.debug(`${q.type} ${q.name}: ${q.status}${q.code ? ` ${q.code}` : ''} in ${q.ms} ms`);
  const code = dnsCheckExitCode(report, flags.warnAsError ?? false);
  if (code !== 0) {
    // Problems also go to stderr, so a cron job with stdout discarded still mails them.
    io.error(summaryLine(report));
    for (const f of report.findings.filter((x) => x.severity === 'error' || (flags.warnAsError && (x.severity === 'warning' || x.severity === 'unknown')))) io.error(`${f.id}: ${f.message}${f.fix ? ` — fix: ${f.fix}` : ''}`);
  }
  return code;
}
