/**
 * DNS blocklist lookups (RFC 5782): the IP's octets reversed under the list's zone, A query.
 * 127.0.0.x answers mean listed (with the list's meaning); NXDOMAIN means not listed; the error
 * answers some lists give public resolvers (Spamhaus 127.255.255.252/254/255) mean "unknown, query
 * with your own resolver" — never "listed".
 */
import { Resolver } from 'node:dns/promises';

export type BlocklistVerdict = 'listed' | 'not-listed' | 'unknown';

export interface BlocklistAnswer {
  list: string;
  zone: string;
  verdict: BlocklistVerdict;
  codes: string[];
  detail: string;
}

export const IP_BLOCKLISTS = [
  { list: 'Spamhaus ZEN', zone: 'zen.spamhaus.org' },
  { list: 'SpamCop', zone: 'bl.spamcop.net' },
  { list: 'Barracuda', zone: 'b.barracudacentral.org' },
  { list: 'PSBL', zone: 'psbl.surriel.com' },
  { list: 'Mailspike', zone: 'bl.mailspike.net' },
];

export function reverseIpv4(ip: string): string | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reverse().join('.');
}

export function makeResolver(server: string | undefined, timeoutMs = 2000): Resolver {
  const r = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (server) r.setServers([server]);
  return r;
}

export async function checkBlocklist(ip: string, list: { list: string; zone: string }, resolver: Resolver): Promise<BlocklistAnswer> {
  const rev = reverseIpv4(ip);
  if (!rev) return { ...list, verdict: 'unknown', codes: [], detail: `${ip} is not an IPv4 address` };
  try {
    const codes = await resolver.resolve4(`${rev}.${list.zone}`);
    if (codes.some((c) => /^127\.255\.255\.\d+$/.test(c))) {
      return { ...list, verdict: 'unknown', codes, detail: 'the list refused this resolver (public resolver or over quota): query it with your own resolver' };
    }
    if (codes.some((c) => /^127\.0\.\d+\.\d+$/.test(c) && c !== '127.0.0.1')) return { ...list, verdict: 'listed', codes, detail: `listed (${codes.join(', ')})` };
    return { ...list, verdict: 'unknown', codes, detail: `unexpected answer ${codes.join(', ')}` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return { ...list, verdict: 'not-listed', codes: [], detail: 'not listed' };
    return { ...list, verdict: 'unknown', codes: [], detail: `lookup failed (${code ?? (err as Error).message})` };
  }
}
