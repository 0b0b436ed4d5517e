/**
 * The DNS client every check shares: node:dns against the operator's resolver (or the system's),
 * with a per-query timeout and retries, every answer folded into one shape (records, NXDOMAIN,
 * NODATA or an error), and each question asked at most once per audit — checks that need the same
 * record await the same promise, so the whole audit costs one chain of round trips, not the sum.
 */
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { MailopsError, ExitCode } from '../errors.js';

export type Lookup<T> =
  | { status: 'ok'; records: T[] }
  | { status: 'nxdomain' }
  | { status: 'nodata' }
  /** timeout, SERVFAIL, REFUSED, unreachable resolver, malformed answer: the answer is unknown. */
  | { status: 'error'; code: string };

export interface MxRecord {
  exchange: string;
  priority: number;
}

export interface QueryRecord {
  type: string;
  name: string;
  status: Lookup<unknown>['status'];
  code?: string;
  ms: number;
}

export interface DnsClient {
  /** TXT records, each as its character-strings (RFC 7208 §3.3: join with '' to read). */
  txt(name: string): Promise<Lookup<string[]>>;
  a(name: string): Promise<Lookup<string>>;
  aaaa(name: string): Promise<Lookup<string>>;
  mx(name: string): Promise<Lookup<MxRecord>>;
  cname(name: string): Promise<Lookup<string>>;
  /** PTR names of an IP address (reverse lookup). */
  ptr(ip: string): Promise<Lookup<string>>;
  /** Every question asked so far, with its latency (for --verbose and the benchmark). */
  readonly queries: QueryRecord[];
  /** The server(s) asked, as given, or 'system'. */
  readonly server: string;
}

export interface DnsClientOptions {
  /** host[:port] of the resolver to ask; the system's resolvers when absent. */
  server?: string | undefined;
  /** First try's timeout; default 2000 ms. */
  timeoutMs?: number;
  /** Tries per query (c-ares doubles the timeout each time); default 2, so a query gives up after 3× the timeout. */
  tries?: number;
}

const VOID = new Set(['ENOTFOUND', 'ENODATA']);

/** Parse `host[:port]`, `[v6]:port` or a bare IPv6 address into the form setServers accepts. */
export function parseResolverAddress(spec: string): string {
  const s = spec.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6 && isIP(v6[1]!) === 6) return v6[2] ? `[${v6[1]}]:${v6[2]}` : v6[1]!;
  if (isIP(s) === 6) return s;
  const m = /^([^:]+)(?::(\d+))?$/.exec(s);
  if (m && isIP(m[1]!) === 4 && (!m[2] || (Number(m[2]) > 0 && Number(m[2]) < 65536))) return s;
  throw new MailopsError('bad-resolver', `--resolver ${spec} is not an IP address with an optional port`, {
    exitCode: ExitCode.usage,
    hint: 'Give the resolver as an address, e.g. --resolver 127.0.0.1 or --resolver 127.0.0.1:5353 or --resolver [::1]:53.',
  });
}

export function createDnsClient(o: DnsClientOptions = {}): DnsClient {
  const timeoutMs = o.timeoutMs ?? 2000;
  const tries = o.tries ?? 2;
  // c-ares doubles the timeout on each retry: t, 2t, 4t… A query is abandoned once those are spent.
  const deadlineMs = timeoutMs * (2 ** tries - 1) + 250;
  const resolver = new Resolver({ timeout: timeoutMs, tries });
  if (o.server) resolver.setServers([parseResolverAddress(o.server)]);
  const cache = new Map<string, Promise<Lookup<unknown>>>();
  const queries: QueryRecord[] = [];
  const ask = <T>(type: string, name: string, fn: () => Promise<T[]>): Promise<Lookup<T>> => {
    const key = `${type} ${name.toLowerCase().replace(/\.$/, '')}`;
    let p = cache.get(key) as Promise<Lookup<T>> | undefined;
    if (!p) {
      const t0 = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('deadline'), { code: 'ETIMEOUT' })), deadlineMs);
        timer.unref();
      });
      p = Promise.race([fn(), deadline]).finally(() => clearTimeout(timer)).then(
        (records): Lookup<T> => (records.length ? { status: 'ok', records } : { status: 'nodata' }),
        (err: NodeJS.ErrnoException): Lookup<T> => {
          const code = err.code ?? 'EUNKNOWN';
          if (code === 'ENOTFOUND') return { status: 'nxdomain' };
          if (VOID.has(code)) return { status: 'nodata' };
          return { status: 'error', code };
        },
      );
      p.then((r) => queries.push({ type, name, status: r.status, ...(r.status === 'error' ? { code: r.code } : {}), ms: Math.round(performance.now() - t0) }));
      cache.set(key, p);
    }
    return p;
  };
  return {
    txt: (name) => ask('TXT', name, () => resolver.resolveTxt(name)),
    a: (name) => ask('A', name, () => resolver.resolve4(name)),
    aaaa: (name) => ask('AAAA', name, () => resolver.resolve6(name)),
    mx: (name) => ask('MX', name, () => resolver.resolveMx(name)),
    cname: (name) => ask('CNAME', name, () => resolver.resolveCname(name)),
    // resolvePtr on the arpa name, not reverse(): c-ares answers reverse() from /etc/hosts first.
    ptr: (ip) => {
      const rev = reverseIp(ip);
      if (!rev) return Promise.resolve({ status: 'error', code: 'EBADIP' });
      return ask('PTR', ip, () => resolver.resolvePtr(`${rev}.${isIP(ip) === 4 ? 'in-addr' : 'ip6'}.arpa`));
    },
    queries,
    server: o.server ?? 'system',
  };
}

/** An IPv6 address as 8 groups of 4 lower-case hex digits; undefined for IPv4-mapped forms. */
export function expandIpv6(ip: string): string[] | undefined {
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  if ([...h, ...t].some((g) => g.includes('.'))) return undefined; // IPv4-mapped forms are treated as IPv4
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => g.padStart(4, '0'));
}

/** An IP's labels reversed (IPv6: nibbles), as under in-addr.arpa / ip6.arpa and DNSBL zones (RFC 5782). */
export function reverseIp(ip: string): string | undefined {
  const v = isIP(ip);
  if (v === 4) return ip.split('.').reverse().join('.');
  if (v === 6) return expandIpv6(ip)?.join('').split('').reverse().join('.');
  return undefined;
}

/** The TXT records at a name, each joined without separators (RFC 7208 §3.3). */
export function joinTxt(records: string[][]): string[] {
  return records.map((chunks) => chunks.join(''));
}

/** Addresses of a host, A and AAAA together; 'error' only when neither answered. */
export async function addresses(dns: DnsClient, host: string): Promise<Lookup<string>> {
  const [a, aaaa] = await Promise.all([dns.a(host), dns.aaaa(host)]);
  const records = [...(a.status === 'ok' ? a.records : []), ...(aaaa.status === 'ok' ? aaaa.records : [])];
  if (records.length) return { status: 'ok', records };
  if (a.status === 'error') return a;
  if (aaaa.status === 'error') return aaaa;
  return a.status === 'nxdomain' ? { status: 'nxdomain' } : { status: 'nodata' };
}

/** A short human phrase for a failed lookup. */
export function describeLookupError(code: string): string {
  switch (code) {
    case 'ETIMEOUT':
      return 'the resolver did not answer in time';
    case 'ESERVFAIL':
      return 'the resolver answered SERVFAIL';
    case 'EREFUSED':
      return 'the resolver refused the query';
    case 'ECONNREFUSED':
      return 'the resolver is not reachable';
    case 'EBADRESP':
      return 'the answer was malformed';
    default:
      return `lookup failed (${code})`;
  }
}
