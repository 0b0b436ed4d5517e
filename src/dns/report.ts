/**
 * What a deliverability check says: findings with a stable id, an area, a severity and the one
 * fix to apply. Check modules return findings; the audit gathers them; renderers print them.
 */
import type { DnsClient, Lookup } from './resolver.js';
import { describeLookupError } from './resolver.js';

/** error: mail fails or authentication is broken · warning: degraded or risky · info: advisory ·
 *  ok: the check passed · unknown: the answer could not be had (timeout, SERVFAIL, list refused us). */
export type Severity = 'error' | 'warning' | 'info' | 'ok' | 'unknown';

export type Area = 'spf' | 'dkim' | 'dmarc' | 'alignment' | 'mx' | 'ptr' | 'mta-sts' | 'tls-rpt' | 'bimi' | 'blocklists' | 'bulk-senders';

export interface Finding {
  /** Stable across releases, e.g. `spf.lookups.limit`; with `subject` it identifies one finding. */
  id: string;
  area: Area;
  severity: Severity;
  message: string;
  /** The one thing to do, concrete enough to paste ("publish `…` at `…`"). */
  fix?: string;
  /** What the finding is about when a check runs per item: a selector, an IP, an MX host, a list. */
  subject?: string;
}

/** How mail leaves this domain, which decides what SPF, DKIM and DMARC alignment need. */
export interface SendingPath {
  /** Amazon SES relays production mail (Easy DKIM CNAMEs, include:amazonses.com, MAIL FROM). */
  ses: boolean;
  /** SES custom MAIL FROM subdomain (e.g. bounce.example.com), when configured. */
  sesMailFrom?: string | undefined;
}

export interface CheckContext {
  domain: string;
  dns: DnsClient;
  /** Sending IPs given with --ip. */
  ips: string[];
  /** DKIM selectors to check. */
  selectors: string[];
  path: SendingPath;
  /** HTTPS fetches (the MTA-STS policy): port and CA are for tests on loopback; the defaults are
   *  port 443 and the system's CAs, with certificate verification always on. */
  https?: { port?: number; ca?: string | Buffer; timeoutMs?: number };
}

export const finding = (area: Area, id: string, severity: Severity, message: string, extra: { fix?: string | undefined; subject?: string | undefined } = {}): Finding => ({
  id: `${area}.${id}`,
  area,
  severity,
  message,
  ...(extra.fix ? { fix: extra.fix } : {}),
  ...(extra.subject ? { subject: extra.subject } : {}),
});

/** The 'unknown' finding for a lookup that failed, or undefined when it did not. */
export function unknownFrom(area: Area, id: string, name: string, type: string, l: Lookup<unknown>, subject?: string): Finding | undefined {
  if (l.status !== 'error') return undefined;
  return finding(area, id, 'unknown', `${type} ${name}: ${describeLookupError(l.code)}`, {
    fix: 'Re-run later, or point --resolver at a resolver that answers (your own recursive resolver, not a public one)',
    subject,
  });
}

export const SEVERITY_ORDER: Record<Severity, number> = { error: 0, unknown: 1, warning: 2, info: 3, ok: 4 };
