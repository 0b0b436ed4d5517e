/**
 * BIMI (Brand Indicators for Message Identification): the `default._bimi.<domain>` TXT record and
 * its precondition, DMARC at enforcement. The logo (SVG Tiny PS) and the mark certificate are not
 * fetched here.
 */
import type { CheckContext, Finding } from '../report.js';
import { finding, unknownFrom } from '../report.js';
import { joinTxt } from '../resolver.js';
import { parseVersionedTags, type Parsed } from './tags.js';

export interface BimiRecord {
  /** `l=`: HTTPS URL of the SVG logo; '' or undefined when none is published. */
  logo: string | undefined;
  /** `a=`: HTTPS URL of the PEM mark certificate (VMC/CMC); '' or undefined when none. */
  authority: string | undefined;
  /** `avp=`: which avatar the receiver should prefer. */
  avatarPreference: 'brand' | 'personal' | undefined;
  /** `lps=`: local-part selectors. */
  localPartSelectors: string[] | undefined;
  /** Neither a logo nor a mark certificate (`l=` and `a=` empty or absent): the domain declines BIMI. */
  declined: boolean;
}

export interface BimiFacts {
  record: 'absent' | 'present' | 'declined' | 'invalid' | 'unknown';
  logo: string | undefined;
  authority: string | undefined;
}

function httpsUrl(value: string): boolean {
  if (!/^https:\/\/\S+$/i.test(value)) return false;
  try {
    return new URL(value).hostname.length > 0;
  } catch {
    return false;
  }
}

/** Parse a BIMI assertion record: `v=BIMI1; l=<https svg>; a=<https pem>; avp=…; lps=…`. */
export function parseBimi(txt: string): Parsed<BimiRecord> {
  const r = parseVersionedTags(txt, 'BIMI1', ['l', 'a', 'avp', 'lps']);
  if (!r.ok) return { ok: false, errors: [r.error], warnings: [] };
  const errors: string[] = [];
  const logo = r.tags.get('l');
  const authority = r.tags.get('a');
  const avp = r.tags.get('avp');
  const lps = r.tags.get('lps');
  if (logo && !httpsUrl(logo)) errors.push(`l=${logo}: must be an https: URL of an SVG logo`);
  if (authority !== undefined && authority !== '' && !httpsUrl(authority)) errors.push(`a=${authority}: must be an https: URL of a PEM mark certificate`);
  const avatarPreference = avp?.toLowerCase();
  if (avatarPreference !== undefined && avatarPreference !== 'brand' && avatarPreference !== 'personal') errors.push(`avp=${avp}: must be brand or personal`);
  const localPartSelectors = lps?.split(/\s*,\s*/);
  for (const sel of localPartSelectors ?? []) {
    if (!/^[A-Za-z0-9-]{1,63}$/.test(sel)) errors.push(`lps entry \`${sel}\` must be 1 to 63 letters, digits or hyphens`);
  }
  if (errors.length) return { ok: false, errors, warnings: [] };
  return {
    ok: true,
    warnings: [],
    value: { logo, authority, avatarPreference: avatarPreference as BimiRecord['avatarPreference'], localPartSelectors, declined: !logo && !authority },
  };
}

const isBimiCandidate = (t: string) => /^\s*v\s*=\s*BIMI/i.test(t);

/**
 * Check `default._bimi.<domain>`. `dmarcEnforcing` comes from the DMARC check: true when the policy
 * the domain's mail gets is quarantine or reject (p=, and sp= for subdomains), 'unknown' when the
 * DMARC record could not be read.
 */
export async function checkBimi(ctx: CheckContext, dmarcEnforcing: boolean | 'unknown'): Promise<{ findings: Finding[]; facts: BimiFacts }> {
  const name = `default._bimi.${ctx.domain}`;
  const example = `v=BIMI1; l=https://${ctx.domain}/bimi/logo.svg; a=https://${ctx.domain}/bimi/mark.pem`;
  const publish = `publish \`${example}\` at \`${name}\``;
  const dmarcFix = `set \`p=quarantine\` (later \`p=reject\`), and no \`sp=none\`, in the DMARC record at \`_dmarc.${ctx.domain}\``;
  const facts: BimiFacts = { record: 'absent', logo: undefined, authority: undefined };
  const txt = await ctx.dns.txt(name);
  const unknown = unknownFrom('bimi', 'lookup', name, 'TXT', txt);
  if (unknown) return { findings: [unknown], facts: { ...facts, record: 'unknown' } };
  const candidates = txt.status === 'ok' ? joinTxt(txt.records).filter(isBimiCandidate) : [];
  if (!candidates.length) {
    const prerequisite = dmarcEnforcing === true ? 'DMARC is at enforcement, so' : 'once DMARC is at p=quarantine or p=reject,';
    return {
      findings: [
        finding('bimi', 'absent', 'info', `no BIMI record at ${name}: BIMI needs DMARC at quarantine or reject first, and most providers only show a logo backed by a mark certificate (VMC or CMC)`, {
          fix: `${prerequisite} ${publish}`,
        }),
      ],
      facts,
    };
  }
  if (candidates.length > 1) {
    return { findings: [finding('bimi', 'multiple', 'error', `${candidates.length} BIMI records at ${name}: receivers show no logo`, { fix: `keep exactly one: ${publish}` })], facts: { ...facts, record: 'invalid' } };
  }
  const parsed = parseBimi(candidates[0]!);
  if (!parsed.ok) {
    return { findings: [finding('bimi', 'syntax', 'error', `${name}: ${parsed.errors.join('; ')}`, { fix: publish })], facts: { ...facts, record: 'invalid' } };
  }
  const rec = parsed.value;
  Object.assign(facts, { logo: rec.logo, authority: rec.authority, record: rec.declined ? 'declined' : 'present' });
  if (rec.declined) {
    return { findings: [finding('bimi', 'declined', 'info', `${name} names no logo (l= and a= empty or absent): the domain declines BIMI and no logo is shown`, { fix: `to show a logo, ${publish}` })], facts };
  }
  const findings = [finding('bimi', 'record', 'ok', `${name}: logo ${rec.logo || '(none)'}${rec.authority ? `, mark certificate ${rec.authority}` : ''}`)];
  if (dmarcEnforcing === false) {
    findings.push(finding('bimi', 'dmarc', 'warning', `BIMI is published but DMARC is not at enforcement: the DMARC policy must be quarantine or reject before receivers show the logo`, { fix: dmarcFix }));
  } else if (dmarcEnforcing === 'unknown') {
    findings.push(finding('bimi', 'dmarc', 'unknown', 'BIMI is published, but whether DMARC is at enforcement (quarantine or reject) could not be determined', { fix: `re-run later, and make sure \`_dmarc.${ctx.domain}\` has \`p=quarantine\` or \`p=reject\`` }));
  } else {
    findings.push(finding('bimi', 'dmarc', 'ok', 'DMARC is at enforcement, as BIMI requires'));
  }
  if (!rec.authority) {
    findings.push(
      finding('bimi', 'authority', 'info', `${name} has no a= mark certificate: most mailbox providers will not display the logo without one`, {
        fix: `obtain a Verified Mark Certificate (VMC) or Common Mark Certificate (CMC) for the logo and add its PEM URL as \`a=\` to the record at \`${name}\``,
      }),
    );
  }
  return { findings, facts };
}
