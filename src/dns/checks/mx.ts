/**
 * MX: the domain must receive the replies and bounces an outreach domain lives on. Checks presence,
 * null MX (RFC 7505), hosts that are IP literals or CNAMEs (RFC 2181 §10.3, RFC 5321 §5.1), hosts
 * that do not resolve, duplicates, and forward-confirmed reverse DNS of each host's addresses.
 * Sending IPs (--ip) get the same PTR test, stricter: Gmail requires it of every sender.
 */
import { isIP } from 'node:net';
import { finding, unknownFrom, type CheckContext, type Finding } from '../report.js';
import { addresses, expandIpv6, type DnsClient, type MxRecord } from '../resolver.js';

export interface MxFacts {
  /** 'unknown' when the lookup failed. */
  status: 'ok' | 'none' | 'null' | 'nxdomain' | 'unknown';
  hosts: MxRecord[];
  /** Addresses per host (only hosts that resolved). */
  addresses: Record<string, string[]>;
}

export interface Fcrdns {
  ip: string;
  /** 'unknown' when a lookup failed. */
  status: 'confirmed' | 'no-ptr' | 'mismatch' | 'unknown';
  names: string[];
  detail: string;
}

/** Forward-confirmed reverse DNS: a PTR name of the IP resolves back to the IP. */
export async function fcrdns(ip: string, dns: DnsClient): Promise<Fcrdns> {
  const ptr = await dns.ptr(ip);
  if (ptr.status === 'error') return { ip, status: 'unknown', names: [], detail: `PTR lookup for ${ip} failed (${ptr.code})` };
  if (ptr.status !== 'ok') return { ip, status: 'no-ptr', names: [], detail: `${ip} has no PTR record` };
  const names = ptr.records.map((n) => n.replace(/\.$/, ''));
  const forward = await Promise.all(names.map((n) => addresses(dns, n)));
  const norm = (a: string) => (isIP(a) === 6 ? (expandIpv6(a)?.join(':') ?? a) : a);
  const hit = names.find((_, i) => forward[i]!.status === 'ok' && (forward[i] as { records: string[] }).records.map(norm).includes(norm(ip)));
  if (hit) return { ip, status: 'confirmed', names, detail: `${ip} → ${hit} → ${ip}` };
  if (forward.some((f) => f.status === 'error')) return { ip, status: 'unknown', names, detail: `forward lookup of ${names.join(', ')} failed` };
  return { ip, status: 'mismatch', names, detail: `${ip} → ${names.join(', ')}, but ${names.length > 1 ? 'none of those names resolves' : 'that name does not resolve'} back to ${ip}` };
}

/** A reverse name that looks assigned by an access provider rather than chosen for a mail server. */
export function looksGeneric(name: string, ip: string): boolean {
  const octets = isIP(ip) === 4 ? ip.split('.') : [];
  const embedsIp = octets.length === 4 && (name.includes(octets.join('-')) || name.includes(octets.join('.')) || name.includes([...octets].reverse().join('-')) || name.includes([...octets].reverse().join('.')));
  return embedsIp || /(^|[.-])(dyn(amic)?|dhcp|pool|dsl|adsl|cable|dial(up)?|ppp|client|customer|broadband|host\d|ip\d+|static)([.-]|\d|$)/i.test(name);
}

/**
 * Whether a PTR name belongs to the sending domain: the domain itself or a name under it, or — when
 * the domain is itself a subdomain (mail.example.com) — a name under its parent. No public-suffix
 * list is involved, so a sibling under a public suffix such as co.uk is not told apart.
 */
function related(name: string, domain: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  const d = domain.toLowerCase().replace(/\.$/, '');
  if (n === d || n.endsWith(`.${d}`)) return true;
  const parent = d.split('.').slice(1).join('.');
  return d.split('.').length > 2 && n.endsWith(`.${parent}`);
}

export async function checkMx(ctx: CheckContext): Promise<{ findings: Finding[]; facts: MxFacts }> {
  const { domain, dns } = ctx;
  const f: Finding[] = [];
  const facts: MxFacts = { status: 'unknown', hosts: [], addresses: {} };
  const mx = await dns.mx(domain);
  if (mx.status === 'error') return { findings: [unknownFrom('mx', 'present', domain, 'MX', mx)!], facts };
  if (mx.status === 'nxdomain') {
    facts.status = 'nxdomain';
    f.push(finding('mx', 'present', 'error', `${domain} does not exist in DNS (NXDOMAIN)`, { fix: `register ${domain} or check its spelling; replies and bounces cannot arrive` }));
    return { findings: f, facts };
  }
  const replyFix = `publish an MX record for ${domain} pointing at your Mailcow host, e.g. \`${domain}. MX 10 mail.${domain}.\``;
  if (mx.status === 'nodata') {
    facts.status = 'none';
    const implicit = await addresses(dns, domain);
    if (implicit.status === 'ok') f.push(finding('mx', 'present', 'warning', `${domain} has no MX; mail falls back to its A/AAAA record (${implicit.records.join(', ')}) (RFC 5321 §5.1)`, { fix: replyFix }));
    else if (implicit.status === 'error') f.push(unknownFrom('mx', 'present', domain, 'A/AAAA', implicit)!);
    else f.push(finding('mx', 'present', 'error', `${domain} has neither MX nor A/AAAA records: replies and bounces cannot arrive`, { fix: replyFix }));
    return { findings: f, facts };
  }
  const hosts = [...mx.records].sort((a, b) => a.priority - b.priority);
  facts.hosts = hosts;
  const isNull = (r: MxRecord) => r.exchange === '' || r.exchange === '.';
  if (hosts.some(isNull)) {
    facts.status = 'null';
    if (hosts.length > 1) f.push(finding('mx', 'null-mx', 'error', `${domain} mixes a null MX ("0 .") with other MX records (RFC 7505 §3)`, { fix: `remove the "MX 0 ." record from ${domain}` }));
    else f.push(finding('mx', 'null-mx', 'error', `${domain} publishes a null MX: it declares that it accepts no mail, so replies and bounces to an outreach domain are refused`, { fix: `replace "MX 0 ." with an MX pointing at your Mailcow host, e.g. \`${domain}. MX 10 mail.${domain}.\`` }));
    return { findings: f, facts };
  }
  facts.status = 'ok';
  f.push(finding('mx', 'present', 'ok', `MX ${hosts.map((h) => `${h.priority} ${h.exchange}`).join(', ')}`));
  const seen = new Set<string>();
  for (const h of hosts) {
    const k = h.exchange.toLowerCase();
    if (seen.has(k)) f.push(finding('mx', 'duplicate', 'warning', `${h.exchange} is listed in more than one MX record`, { fix: `keep one MX record for ${h.exchange}`, subject: h.exchange }));
    seen.add(k);
  }
  const perHost = await Promise.all(
    [...seen].map(async (host): Promise<Finding[]> => {
      const out: Finding[] = [];
      if (isIP(host.replace(/^\[|\]$/g, ''))) {
        out.push(finding('mx', 'host', 'error', `MX ${host} is an IP address; an MX must name a host (RFC 5321 §5.1)`, { fix: `publish an A record such as mail.${domain} for ${host} and point the MX at that name`, subject: host }));
        return out;
      }
      const [cname, addr] = await Promise.all([dns.cname(host), addresses(dns, host)]);
      if (cname.status === 'ok') out.push(finding('mx', 'host', 'error', `MX ${host} is an alias (CNAME → ${cname.records[0]}); an MX must name a host, not an alias (RFC 2181 §10.3)`, { fix: `point the MX at ${cname.records[0]} directly`, subject: host }));
      if (addr.status === 'error') {
        out.push(unknownFrom('mx', 'host', host, 'A/AAAA', addr, host)!);
        return out;
      }
      if (addr.status !== 'ok') {
        out.push(finding('mx', 'host', 'error', `MX ${host} has no A or AAAA record: mail to ${domain} cannot be delivered there`, { fix: `publish an A record for ${host}`, subject: host }));
        return out;
      }
      facts.addresses[host] = addr.records;
      if (cname.status !== 'ok') out.push(finding('mx', 'host', 'ok', `${host} → ${addr.records.join(', ')}`, { subject: host }));
      const rdns = await Promise.all(addr.records.map((ip) => fcrdns(ip, dns)));
      for (const r of rdns) {
        if (r.status === 'confirmed') out.push(finding('mx', 'fcrdns', 'ok', `reverse DNS of ${host}: ${r.detail}`, { subject: r.ip }));
        else if (r.status === 'unknown') out.push(finding('mx', 'fcrdns', 'unknown', r.detail, { subject: r.ip, fix: 'Re-run later, or point --resolver at a resolver that answers' }));
        else out.push(finding('mx', 'fcrdns', 'warning', `reverse DNS of MX ${host}: ${r.detail}`, { subject: r.ip, fix: `ask the owner of ${r.ip} (your hosting provider) to set its PTR to ${host}` }));
      }
      return out;
    }),
  );
  f.push(...perHost.flat());
  return { findings: f, facts };
}

/** PTR / forward-confirmed reverse DNS of each sending IP (area 'ptr'). */
export async function checkSendingIps(ctx: CheckContext): Promise<{ findings: Finding[]; facts: Fcrdns[] }> {
  const results = await Promise.all(ctx.ips.map((ip) => fcrdns(ip, ctx.dns)));
  const f: Finding[] = [];
  for (const r of results) {
    const fixPtr = `ask the owner of ${r.ip} (your hosting provider's panel) to set its PTR to your mail host name, e.g. mail.${ctx.domain}, and publish \`mail.${ctx.domain}. ${isIP(r.ip) === 6 ? 'AAAA' : 'A'} ${r.ip}\``;
    if (r.status === 'unknown') f.push(finding('ptr', 'fcrdns', 'unknown', r.detail, { subject: r.ip, fix: 'Re-run later, or point --resolver at a resolver that answers' }));
    else if (r.status === 'no-ptr') f.push(finding('ptr', 'fcrdns', 'error', `${r.detail}: Gmail and Yahoo refuse or junk mail from IPs without reverse DNS`, { subject: r.ip, fix: fixPtr }));
    else if (r.status === 'mismatch') f.push(finding('ptr', 'fcrdns', 'error', `${r.detail} (not forward-confirmed)`, { subject: r.ip, fix: `publish \`${r.names[0]}. ${isIP(r.ip) === 6 ? 'AAAA' : 'A'} ${r.ip}\`, or change the PTR to a name that resolves to ${r.ip}` }));
    else {
      f.push(finding('ptr', 'fcrdns', 'ok', r.detail, { subject: r.ip }));
      if (r.names.length > 1) f.push(finding('ptr', 'multiple', 'warning', `${r.ip} has ${r.names.length} PTR records (${r.names.join(', ')}); receivers may pick any`, { subject: r.ip, fix: `keep one PTR for ${r.ip}` }));
      const name = r.names[0]!;
      if (looksGeneric(name, r.ip)) f.push(finding('ptr', 'generic', 'warning', `the PTR of ${r.ip} (${name}) looks like an access provider's generic name; filters treat such IPs as end users`, { subject: r.ip, fix: fixPtr }));
      if (!related(name, ctx.domain)) f.push(finding('ptr', 'domain', 'warning', `the PTR of ${r.ip} (${name}) is outside ${ctx.domain}`, { subject: r.ip, fix: `use a name under ${ctx.domain} (e.g. mail.${ctx.domain}) for the PTR and the EHLO name` }));
    }
  }
  return { findings: f, facts: results };
}
