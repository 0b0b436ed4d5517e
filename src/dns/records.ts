/**
 * The records a mailops domain should publish — MX and the mail host, SPF (apex, mail host, SES
 * MAIL FROM), DKIM (a given key, Mailcow's, or SES Easy DKIM CNAMEs), a staged DMARC policy,
 * MTA-STS and TLS-RPT — planned purely from options, then compared with what DNS serves now.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { isIP } from 'node:net';
import { addresses, joinTxt, type DnsClient, type Lookup } from './resolver.js';

export type RecordType = 'MX' | 'A' | 'AAAA' | 'TXT' | 'CNAME';

export interface PlannedRecord {
  name: string;
  type: RecordType;
  /** TXT: the text (split into ≤255-octet strings only when rendered); MX: "priority host". */
  value: string;
  purpose: string;
}

export interface RecordsPlan {
  domain: string;
  records: PlannedRecord[];
  /** What cannot be published in the zone: PTR at the IP's owner, the MTA-STS policy file, records at other domains. */
  elsewhere: Array<{ what: string; where: string; value: string }>;
  notes: string[];
}

export interface RecordsOptions {
  domain: string;
  /** The Mailcow server's addresses (MX host, direct sending). */
  ips: string[];
  /** Name of the mail host; mail.<domain> by default. */
  mxHost?: string | undefined;
  dmarcPolicy: 'none' | 'quarantine' | 'reject';
  /** mailto: URI(s) for aggregate reports; mailto:dmarc@<domain> by default. */
  rua?: string | undefined;
  ruf?: string | undefined;
  /** `-all` once every sender is listed; `~all` while warming up. */
  spfAll: 'soft' | 'hard';
  /** SES relay region; with it, a custom MAIL FROM subdomain is planned so SPF aligns. */
  sesRegion?: string | undefined;
  mailFrom?: string | undefined;
  /** SES Easy DKIM tokens (three), from the SES console or `aws sesv2 get-email-identity`. */
  sesDkimTokens?: string[] | undefined;
  /** DKIM key to publish: selector and the public key (PEM, base64 SPKI, or a full v=DKIM1 record). */
  dkim?: { selector: string; key: string } | undefined;
  mtaStsMode: 'testing' | 'enforce' | 'none';
  tlsRptRua?: string | undefined;
  now?: Date;
}

/** A DKIM key in any usual form → the TXT value `v=DKIM1; k=…; p=…`. */
export function dkimRecordValue(key: string): string {
  const k = key.trim();
  if (/^v=DKIM1\b/i.test(k) || /(^|;)\s*p=/.test(k)) {
    const p = /(?:^|;)\s*p=([^;]*)/.exec(k)?.[1]?.replace(/\s+/g, '') ?? '';
    const type = /(?:^|;)\s*k=([^;\s]*)/.exec(k)?.[1] ?? 'rsa';
    return `v=DKIM1; k=${type}; p=${p}`;
  }
  const der = /-----BEGIN/.test(k) ? createPublicKey(k).export({ type: 'spki', format: 'der' }) : Buffer.from(k.replace(/\s+/g, ''), 'base64');
  const pub = createPublicKey({ key: der, format: 'der', type: 'spki' });
  const type = pub.asymmetricKeyType === 'ed25519' ? 'ed25519' : 'rsa';
  // Ed25519 DKIM keys are the raw 32 bytes (RFC 8463 §4.2), not the SPKI structure.
  const p = type === 'ed25519' ? der.subarray(der.length - 32).toString('base64') : der.toString('base64');
  return `v=DKIM1; k=${type}; p=${p}`;
}

const mailto = (s: string) => (/^mailto:/i.test(s) ? s : `mailto:${s}`);

export function planRecords(o: RecordsOptions): RecordsPlan {
  const d = o.domain.toLowerCase().replace(/\.$/, '');
  const mxHost = (o.mxHost ?? `mail.${d}`).toLowerCase().replace(/\.$/, '');
  const v4 = o.ips.filter((ip) => isIP(ip) === 4);
  const v6 = o.ips.filter((ip) => isIP(ip) === 6);
  const records: PlannedRecord[] = [];
  const elsewhere: RecordsPlan['elsewhere'] = [];
  const notes: string[] = [];
  const add = (name: string, type: RecordType, value: string, purpose: string) => records.push({ name, type, value, purpose });

  add(d, 'MX', `10 ${mxHost}`, 'replies and bounces reach Mailcow');
  if (mxHost.endsWith(`.${d}`)) {
    for (const ip of v4) add(mxHost, 'A', ip, 'the mail host');
    for (const ip of v6) add(mxHost, 'AAAA', ip, 'the mail host');
  }
  for (const ip of o.ips) elsewhere.push({ what: `PTR for ${ip}`, where: `your hosting provider's panel (reverse DNS of ${ip})`, value: mxHost });

  const all = o.spfAll === 'hard' ? '-all' : '~all';
  const ipTerms = [...v4.map((ip) => `ip4:${ip}`), ...v6.map((ip) => `ip6:${ip}`)];
  add(d, 'TXT', ['v=spf1', 'mx', ...ipTerms, all].join(' '), 'SPF: the Mailcow host may send for the domain');
  if (mxHost.endsWith(`.${d}`)) add(mxHost, 'TXT', `v=spf1 a ${all === '-all' ? '-all' : '~all'}`, 'SPF for the HELO name of the mail host');
  notes.push(
    o.spfAll === 'hard'
      ? 'SPF ends in -all: mail from any server not listed fails SPF. Right once every service that sends as the domain is listed.'
      : 'SPF ends in ~all (softfail) while warming up: an unlisted sender is marked, not refused, so a forgotten service still delivers. Switch to -all (--spf-all hard) once DMARC reports show every legitimate sender passing.',
  );

  if (o.sesRegion) {
    const mailFrom = (o.mailFrom ?? `bounce.${d}`).toLowerCase();
    add(mailFrom, 'MX', `10 feedback-smtp.${o.sesRegion}.amazonses.com`, 'SES custom MAIL FROM: bounces return to SES');
    add(mailFrom, 'TXT', 'v=spf1 include:amazonses.com ~all', 'SES custom MAIL FROM: SPF passes and aligns (relaxed) with the From domain');
    notes.push(`SES sends with MAIL FROM ${mailFrom}; set it in SES (custom MAIL FROM domain, behaviour on MX failure: use default) so SPF aligns. No include:amazonses.com is needed at ${d}.`);
    const tokens = o.sesDkimTokens ?? [];
    for (const t of tokens) add(`${t}._domainkey.${d}`, 'CNAME', `${t}.dkim.amazonses.com`, 'SES Easy DKIM (d=' + d + ', aligned)');
    if (!tokens.length) notes.push(`SES Easy DKIM: pass its three tokens with --ses-dkim-tokens a,b,c (SES console, or \`aws sesv2 get-email-identity --email-identity ${d}\`) to print the CNAMEs.`);
  }

  if (o.dkim) add(`${o.dkim.selector}._domainkey.${d}`, 'TXT', dkimRecordValue(o.dkim.key), 'DKIM: the key Mailcow signs with');
  else if (!o.sesRegion || !o.sesDkimTokens?.length) notes.push('DKIM: no key given. Pass --dkim-key <file> (public key), or set MAILCOW_URL and MAILCOW_API_KEY to read the key Mailcow signs with.');

  const rua = (o.rua ?? `dmarc@${d}`).split(',').map((x) => mailto(x.trim()));
  const ruf = o.ruf ? o.ruf.split(',').map((x) => mailto(x.trim())) : [];
  const dmarc = [`v=DMARC1`, `p=${o.dmarcPolicy}`, `rua=${rua.join(',')}`, ...(ruf.length ? [`ruf=${ruf.join(',')}`, 'fo=1'] : []), 'adkim=r', 'aspf=r'].join('; ');
  add(`_dmarc.${d}`, 'TXT', dmarc, 'DMARC: policy and aggregate reports');
  for (const uri of [...rua, ...ruf]) {
    const host = uri.replace(/^mailto:/i, '').split('@')[1]?.split('!')[0]?.toLowerCase();
    // Reports to the domain or a name under it need no authorization; anywhere else may (RFC 9990 §4).
    if (host && host !== d && !host.endsWith(`.${d}`)) elsewhere.push({ what: `authorization for ${host} to receive DMARC reports about ${d}`, where: `${d}._report._dmarc.${host} (TXT, in ${host}'s zone)`, value: 'v=DMARC1' });
  }
  const next = { none: 'quarantine', quarantine: 'reject', reject: undefined }[o.dmarcPolicy];
  notes.push(
    next
      ? `DMARC p=${o.dmarcPolicy}: stage none → quarantine → reject. Move to p=${next} (--dmarc-policy ${next}) after 2–4 weeks of aggregate reports in which all your mail passes.`
      : 'DMARC p=reject: mail failing SPF and DKIM alignment is refused. Keep reading the aggregate reports.',
  );

  if (o.mtaStsMode !== 'none') {
    const policy = ['version: STSv1', `mode: ${o.mtaStsMode}`, `mx: ${mxHost}`, `max_age: ${o.mtaStsMode === 'enforce' ? 1209600 : 604800}`].join('\r\n') + '\r\n';
    // The id changes exactly when the policy does (RFC 8461 §3.1 requires a new id per change).
    const id = createHash('sha256').update(policy).digest('hex').slice(0, 20);
    add(`_mta-sts.${d}`, 'TXT', `v=STSv1; id=${id}`, 'MTA-STS: senders must use verified TLS to the MX');
    add(`mta-sts.${d}`, 'CNAME', mxHost, 'MTA-STS: the host serving the policy');
    elsewhere.push({ what: 'MTA-STS policy file', where: `https://mta-sts.${d}/.well-known/mta-sts.txt (text/plain; add mta-sts.${d} to Mailcow's ADDITIONAL_SAN for its certificate)`, value: policy });
    if (o.mtaStsMode === 'testing') notes.push('MTA-STS mode testing: senders report failures (TLS-RPT) but still deliver. Switch to enforce (--mta-sts-mode enforce) once the reports are clean.');
  }
  add(`_smtp._tls.${d}`, 'TXT', `v=TLSRPTv1; rua=${mailto(o.tlsRptRua ?? `tlsrpt@${d}`)}`, 'TLS-RPT: daily reports of TLS failures');
  return { domain: d, records, elsewhere, notes };
}

export type RecordState = 'new' | 'same' | 'change' | 'unknown';

export interface CheckedRecord extends PlannedRecord {
  state: RecordState;
  /** What DNS serves now for the same name and kind. */
  current: string[];
}

/** The kind of a TXT record, so an apex SPF is compared with the apex SPF and not a verification token. */
const txtKind = (v: string) => /^v=(spf1|DMARC1|DKIM1|STSv1|TLSRPTv1)\b/i.exec(v.trim())?.[1]?.toLowerCase() ?? 'other';
const normTxt = (v: string) => v.replace(/\s*;\s*/g, ';').replace(/\s+/g, ' ').replace(/;$/, '').trim().toLowerCase();

export async function compareRecords(plan: RecordsPlan, dns: DnsClient): Promise<CheckedRecord[]> {
  return Promise.all(
    plan.records.map(async (r): Promise<CheckedRecord> => {
      const settle = (l: Lookup<string>, match: (current: string[]) => boolean): CheckedRecord => {
        if (l.status === 'error') return { ...r, state: 'unknown', current: [] };
        const current = l.status === 'ok' ? l.records : [];
        return { ...r, state: !current.length ? 'new' : match(current) ? 'same' : 'change', current };
      };
      if (r.type === 'TXT') {
        const l = await dns.txt(r.name);
        const kind = txtKind(r.value);
        const mine: Lookup<string> = l.status === 'ok' ? { status: 'ok', records: joinTxt(l.records).filter((t) => txtKind(t) === kind) } : l;
        return settle(mine, (c) => c.length === 1 && normTxt(c[0]!) === normTxt(r.value));
      }
      if (r.type === 'MX') {
        const l = await dns.mx(r.name);
        const asText: Lookup<string> = l.status === 'ok' ? { status: 'ok', records: l.records.map((m) => `${m.priority} ${m.exchange}`) } : l;
        const want = r.value.split(' ')[1]!;
        return settle(asText, (c) => c.some((x) => x.split(' ')[1]?.toLowerCase() === want));
      }
      if (r.type === 'CNAME') {
        const l = await dns.cname(r.name);
        return settle(l, (c) => c.some((x) => x.toLowerCase().replace(/\.$/, '') === r.value));
      }
      const l = r.type === 'A' ? await dns.a(r.name) : r.type === 'AAAA' ? await dns.aaaa(r.name) : await addresses(dns, r.name);
      return settle(l, (c) => c.includes(r.value));
    }),
  );
}

/** TXT text as zone-file character-strings of at most 255 octets. */
export function zoneTxt(value: string): string {
  const chunks = value.match(/.{1,255}/gs) ?? [''];
  const q = chunks.map((c) => `"${c.replace(/["\\]/g, (m) => `\\${m}`)}"`);
  return q.length > 1 ? `( ${q.join('\n\t\t\t\t')} )` : q[0]!;
}

export function zoneSnippet(plan: RecordsPlan, ttl = 3600): string {
  const lines = [`; mailops dns-records for ${plan.domain}`];
  for (const r of plan.records) {
    const value = r.type === 'TXT' ? zoneTxt(r.value) : r.type === 'MX' ? `${r.value}.` : r.type === 'CNAME' ? `${r.value}.` : r.value;
    lines.push(`${`${r.name}.`.padEnd(32)} ${ttl} IN ${r.type.padEnd(5)} ${value}`);
  }
  return lines.join('\n');
}
