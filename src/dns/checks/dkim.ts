/**
 * DKIM key records (RFC 6376 §3.6.1 at `<selector>._domainkey.<domain>`): parsing a key record,
 * measuring its key, and judging each selector the operator named — including Amazon SES Easy DKIM
 * selectors, which are CNAMEs into `dkim.amazonses.com` whose keys the resolver reads through.
 */
import { createPublicKey } from 'node:crypto';
import type { CheckContext, Finding } from '../report.js';
import { finding, unknownFrom } from '../report.js';
import { joinTxt } from '../resolver.js';

export interface DkimKey {
  /** `v=`, when present (always `DKIM1` in a record that parsed). */
  version: string | undefined;
  /** `k=` lower-cased; `rsa` when absent. */
  keyType: string;
  /** `h=` lower-cased; undefined when absent (all hash algorithms acceptable). */
  hashes: string[] | undefined;
  /** `s=` lower-cased; `['*']` when absent. */
  services: string[];
  /** `t=` flags lower-cased. */
  flags: string[];
  notes: string | undefined;
  /** `p=` with whitespace removed; '' for a revoked key. */
  publicKey: string;
  revoked: boolean;
  /** `t=y`: verifiers treat signed mail as unsigned. */
  testing: boolean;
  /** `t=s`: the `i=` domain must equal `d=`, no subdomains. */
  strict: boolean;
  /** RSA modulus length, or 256 for an Ed25519 key; undefined when revoked. */
  bits: number | undefined;
}

export type DkimKeyParse = { ok: true; key: DkimKey; warnings: string[] } | { ok: false; errors: string[]; warnings: string[] };

export interface DkimSelectorFacts {
  selector: string;
  /** The DNS name asked: `<selector>._domainkey.<domain>`. */
  name: string;
  found: boolean;
  bits: number | undefined;
  keyType: string | undefined;
  testing: boolean;
  revoked: boolean;
  /** The selector is a CNAME into `dkim.amazonses.com` (SES Easy DKIM). */
  ses: boolean;
}

export interface DkimFacts {
  selectors: DkimSelectorFacts[];
}

const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** SubjectPublicKeyInfo header for an Ed25519 key (RFC 8410): the 32 raw key bytes follow it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const SES_DKIM_SUFFIX = '.dkim.amazonses.com';
/** Mailcow's default DKIM selector. */
const MAILCOW_SELECTOR = 'dkim';

/** Parse a DKIM key record (RFC 6376 §3.6.1; tag-list grammar §3.2; Ed25519 per RFC 8463). */
export function parseDkimKey(record: string): DkimKeyParse {
  const errors: string[] = [];
  const warnings: string[] = [];
  const tags = new Map<string, string>();
  const order: string[] = [];
  for (const raw of record.split(';')) {
    const spec = raw.trim();
    if (!spec) continue; // a trailing ';' is allowed; stray empty fields are harmless to verifiers
    const eq = spec.indexOf('=');
    const name = eq < 0 ? spec : spec.slice(0, eq).trim();
    if (eq < 0 || !TAG_NAME.test(name)) {
      errors.push(`\`${spec}\` is not a tag=value pair`);
      continue;
    }
    // Tag names are case-sensitive (§3.2); unknown tags are ignored, duplicates void the record.
    if (tags.has(name)) errors.push(`tag ${name}= appears more than once`);
    tags.set(name, spec.slice(eq + 1).trim());
    order.push(name);
  }
  const version = tags.get('v');
  if (version !== undefined) {
    if (version !== 'DKIM1') errors.push(`v=${version}: the version must be DKIM1 (verifiers discard other records)`);
    else if (order[0] !== 'v') warnings.push('v=DKIM1 is not the first tag (RFC 6376 §3.6.1 requires it first)');
  }
  const p = tags.get('p');
  const publicKey = (p ?? '').replace(/\s+/g, '');
  const keyType = (tags.get('k') ?? 'rsa').toLowerCase();
  if (p === undefined) errors.push('no p= tag: the public key is required');
  if (keyType !== 'rsa' && keyType !== 'ed25519') errors.push(`k=${keyType}: the key type must be rsa or ed25519`);
  let bits: number | undefined;
  if (publicKey && errors.length === 0) {
    const measured = measureKey(keyType, publicKey);
    if (typeof measured === 'string') errors.push(measured);
    else bits = measured;
  }
  const list = (v: string | undefined, sep: string) => v?.split(sep).map((x) => x.trim().toLowerCase()).filter(Boolean);
  const flags = list(tags.get('t'), ':') ?? [];
  if (errors.length) return { ok: false, errors, warnings };
  return {
    ok: true,
    warnings,
    key: {
      version,
      keyType,
      hashes: list(tags.get('h'), ':'),
      services: list(tags.get('s'), ':') ?? ['*'],
      flags,
      notes: tags.get('n'),
      publicKey,
      revoked: publicKey === '',
      testing: flags.includes('y'),
      strict: flags.includes('s'),
      bits,
    },
  };
}

/** The key's size in bits, or why it cannot be read. */
function measureKey(keyType: string, base64: string): number | string {
  if (!BASE64.test(base64) || base64.length % 4 !== 0) return 'p= is not valid base64';
  const der = Buffer.from(base64, 'base64');
  if (keyType === 'ed25519') {
    if (der.length !== 32) return `p= holds ${der.length} bytes: an Ed25519 key is 32 raw bytes (RFC 8463)`;
    try {
      createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, der]), format: 'der', type: 'spki' });
      return 256;
    } catch {
      return 'p= is not a valid Ed25519 public key';
    }
  }
  try {
    const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'rsa') return `p= holds a ${key.asymmetricKeyType ?? 'non-RSA'} key, but k=rsa`;
    return key.asymmetricKeyDetails?.modulusLength ?? 'p= is an RSA key of unknown size';
  } catch {
    // A bare RSAPublicKey (PKCS#1) is a common mistake: verifiers expect SubjectPublicKeyInfo.
    try {
      createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
      return 'p= is a bare PKCS#1 RSAPublicKey; verifiers expect a DER SubjectPublicKeyInfo';
    } catch {
      return 'p= is not a DER-encoded RSA public key';
    }
  }
}

/** Check every selector the operator named (concurrently), plus SES Easy DKIM when SES sends. */
export async function checkDkim(ctx: CheckContext): Promise<{ findings: Finding[]; facts: DkimFacts }> {
  const selectors = [...new Set(ctx.selectors.map((s) => s.trim().toLowerCase().replace(/\.$/, '')).filter(Boolean))];
  if (!selectors.length) {
    return {
      findings: [
        finding('dkim', 'selectors.none', 'warning', 'no DKIM selector given: DKIM keys cannot be found without one', {
          fix: `run again with \`--dkim-selector ${MAILCOW_SELECTOR}\` (Mailcow's default selector) or the s= value of a DKIM-Signature header you sent`,
        }),
      ],
      facts: { selectors: [] },
    };
  }
  const results = await Promise.all(selectors.map((s) => checkSelector(ctx, s)));
  const findings = results.flatMap((r) => r.findings);
  const unanswered = findings.some((f) => f.severity === 'unknown');
  if (ctx.path.ses && !unanswered && !results.some((r) => r.facts.ses)) {
    findings.push(
      finding('dkim', 'ses.none', 'info', `SES sends for ${ctx.domain}, but none of the selectors given is an Easy DKIM CNAME into dkim.amazonses.com`, {
        fix: `pass the three Easy DKIM tokens (the CNAME names the SES console lists for the ${ctx.domain} identity) as \`--dkim-selector <token>\``,
      }),
    );
  }
  return { findings, facts: { selectors: results.map((r) => r.facts) } };
}

async function checkSelector(ctx: CheckContext, selector: string): Promise<{ findings: Finding[]; facts: DkimSelectorFacts }> {
  const name = `${selector}._domainkey.${ctx.domain}`;
  const facts: DkimSelectorFacts = { selector, name, found: false, bits: undefined, keyType: undefined, testing: false, revoked: false, ses: false };
  const findings: Finding[] = [];
  const add = (id: string, severity: Finding['severity'], message: string, fix?: string) => findings.push(finding('dkim', id, severity, message, { fix, subject: selector }));
  const [txt, cname] = await Promise.all([ctx.dns.txt(name), ctx.path.ses ? ctx.dns.cname(name) : undefined]);

  const unknown = unknownFrom('dkim', 'lookup', name, 'TXT', txt, selector);
  if (unknown) return { findings: [unknown], facts };
  // Without the CNAME answer the key can still be judged; only the SES note is unknown.
  const cnameUnknown = cname && unknownFrom('dkim', 'cname.lookup', name, 'CNAME', cname, selector);
  if (cnameUnknown) findings.push(cnameUnknown);

  const target = cname?.status === 'ok' ? cname.records[0]!.toLowerCase().replace(/\.$/, '') : undefined;
  if (target?.endsWith(SES_DKIM_SUFFIX)) {
    facts.ses = true;
    add('ses', 'info', `SES Easy DKIM: ${name} is a CNAME to ${target}`);
  }

  if (txt.status !== 'ok') {
    const fix = facts.ses
      ? `${target} has no key: check that the Easy DKIM token is copied exactly from the SES console and that the identity's DKIM status is verified`
      : selector === MAILCOW_SELECTOR
        ? `publish the Mailcow key as TXT at \`${name}\`: copy it from Mailcow's admin UI (Configuration → ARC/DKIM keys) or from \`mailops dns-records\``
        : `publish the selector's key as TXT \`v=DKIM1; k=rsa; p=<base64 public key>\` at \`${name}\`, or check the selector against the s= tag of a DKIM-Signature header you sent`;
    add('missing', 'error', `no DKIM key at ${name} (${txt.status === 'nxdomain' ? 'NXDOMAIN' : 'no TXT record'})`, fix);
    return { findings, facts };
  }
  facts.found = true;
  const records = joinTxt(txt.records);
  if (records.length > 1) {
    add('multiple', 'error', `${records.length} TXT records at ${name}: verifiers may pick any of them`, `keep exactly one TXT record (the current key) at \`${name}\` and delete the others`);
    return { findings, facts };
  }
  const parsed = parseDkimKey(records[0]!);
  // The only warning parseDkimKey gives is a v= tag that is not first.
  for (const w of parsed.warnings) add('version.position', 'warning', `${name}: ${w}`, `move \`v=DKIM1\` to the start of the record at \`${name}\``);
  if (!parsed.ok) {
    add('invalid', 'error', `${name}: ${parsed.errors.join('; ')}`, `re-publish the key exactly as your signer exports it at \`${name}\`: \`v=DKIM1; k=rsa; p=<base64 DER SubjectPublicKeyInfo>\` (or \`k=ed25519; p=<base64 of the 32 key bytes>\`)`);
    return { findings, facts };
  }
  const key = parsed.key;
  Object.assign(facts, { bits: key.bits, keyType: key.keyType, testing: key.testing, revoked: key.revoked });
  const rotate = `generate a 2048-bit RSA key under a new selector (Mailcow: Configuration → ARC/DKIM keys, key length 2048), publish it at \`<new selector>._domainkey.${ctx.domain}\` and sign with it`;

  if (key.revoked) {
    add('revoked', 'error', `${name}: the key is revoked (empty p=): mail signed with selector ${selector} fails DKIM`, `if ${selector} still signs mail, publish its current public key at \`${name}\`; otherwise stop signing with it`);
    return { findings, facts };
  }
  if (!key.services.includes('*') && !key.services.includes('email')) {
    add('service', 'error', `${name}: s=${key.services.join(':')} excludes email, so verifiers ignore this key`, `remove the s= tag from the record at \`${name}\` (or set \`s=email\`)`);
  }
  if (key.hashes && !key.hashes.includes('sha256')) {
    const only = key.hashes.join(':');
    const why = key.hashes.includes('sha1') ? 'rsa-sha1 must not be used (RFC 8301)' : 'verifiers use sha256';
    add('hash', 'error', `${name}: h=${only} allows no sha256, so no signature can verify: ${why}`, `remove \`h=${only}\` from the record at \`${name}\` (or set \`h=sha256\`) and sign with rsa-sha256`);
  }
  const desc = key.keyType === 'ed25519' ? 'Ed25519 key' : `RSA ${key.bits}-bit key`;
  if (key.keyType === 'rsa' && key.bits !== undefined && key.bits < 1024) {
    add('key.weak', 'error', `${name}: ${desc}: verifiers reject RSA keys under 1024 bits (RFC 8301 §3.2)`, rotate);
  } else if (key.keyType === 'rsa' && key.bits !== undefined && key.bits < 2048) {
    add('key.short', 'warning', `${name}: ${desc}: RFC 8301 §3.2 recommends at least 2048 bits`, rotate);
  } else {
    const note = key.keyType === 'ed25519' ? ' (not every verifier supports Ed25519: sign with an RSA key as well)' : '';
    add('key', 'ok', `${name}: ${desc}${note}`);
  }
  if (key.testing) add('testing', 'warning', `${name}: t=y (testing): verifiers treat mail signed with ${selector} as unsigned`, `remove \`t=y\` from the record at \`${name}\` once signing works`);
  return { findings, facts };
}
