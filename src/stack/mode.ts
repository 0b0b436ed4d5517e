/**
 * Switching the whole system between test and prod. Plan purely (which .env keys change, secrets
 * masked; what is restarted), check prod is ready (credentials, a STARTTLS + auth login at the
 * submission server, and a deliverability audit of the domain without errors), then apply: .env atomically, Listmonk's SMTP settings
 * (they live in its database) through its settings API with exactly one block enabled, and the
 * services recreated. Any failure restores the previous .env and settings.
 */
import nodemailer from 'nodemailer';
import { SECRET_KEYS } from '../config/schema.js';
import { runAudit } from '../dns/audit.js';
import type { SendingPath } from '../dns/report.js';

export type Mode = 'test' | 'prod';

export interface ModeChange {
  key: string;
  from: string;
  to: string;
}

export interface ModePlan {
  from: string;
  to: Mode;
  env: ModeChange[];
  updates: Record<string, string>;
  listmonkSmtp: string;
  restart: string[];
}

const MASK = (key: string, v: string) => ((SECRET_KEYS as readonly string[]).includes(key) || /PASS|TOKEN|SECRET|KEY$/.test(key) ? (v ? '********' : '') : v);

export function planMode(values: Record<string, string>, to: Mode): ModePlan {
  const updates: Record<string, string> =
    to === 'test'
      ? { MODE: 'test', SMTP_HOST: 'localhost', SMTP_PORT: '1025', SMTP_TLS: 'none', SMTP_USER: '', SMTP_PASS: '' }
      : {
          MODE: 'prod',
          SMTP_HOST: values.PROD_SMTP_HOST ?? '',
          SMTP_PORT: values.PROD_SMTP_PORT || '587',
          SMTP_TLS: 'starttls',
          SMTP_USER: values.PROD_SMTP_USER ?? '',
          SMTP_PASS: values.PROD_SMTP_PASS ?? '',
        };
  const env = Object.entries(updates)
    .filter(([k, v]) => (values[k] ?? '') !== v)
    .map(([key, v]) => ({ key, from: MASK(key, values[key] ?? ''), to: MASK(key, v) }));
  return {
    from: values.MODE || 'test',
    to,
    env,
    updates,
    listmonkSmtp: to === 'test' ? 'mailpit:1025 (no auth, no TLS)' : `${updates.SMTP_HOST}:${updates.SMTP_PORT} (STARTTLS, login ${updates.SMTP_USER || '(none)'})`,
    restart: env.length ? ['ingest', 'listmonk (SMTP settings through its API)'] : [],
  };
}

export interface PreflightFinding {
  check: string;
  ok: boolean;
  detail: string;
}

export interface PreflightOptions {
  smtp: { host: string; port: number; user: string; pass: string; tlsInsecure: boolean };
  domain: string;
  resolver?: string | undefined;
  timeoutMs?: number;
  /** What the DNS audit checks besides the domain: DKIM selectors, sending IPs, the SES path. */
  selectors?: string[];
  ips?: string[];
  path?: SendingPath;
}

/** Areas whose errors (or unknown answers) mean authentication would fail from the first send. */
const BLOCKING_AREAS = new Set(['spf', 'dkim', 'dmarc', 'alignment', 'mx', 'ptr']);

/** What prod needs before the first real send; each finding says what is missing. */
export async function preflightProd(o: PreflightOptions): Promise<PreflightFinding[]> {
  const findings: PreflightFinding[] = [];
  const credsOk = !!(o.smtp.host && o.smtp.user && o.smtp.pass);
  findings.push({ check: 'smtp-credentials', ok: credsOk, detail: credsOk ? `${o.smtp.user} at ${o.smtp.host}:${o.smtp.port}` : 'set PROD_SMTP_HOST, PROD_SMTP_USER and PROD_SMTP_PASS (the Mailcow mailbox that submits)' });
  if (credsOk) {
    const t = nodemailer.createTransport({
      host: o.smtp.host,
      port: o.smtp.port,
      secure: o.smtp.port === 465,
      requireTLS: o.smtp.port !== 465,
      auth: { user: o.smtp.user, pass: o.smtp.pass },
      tls: { rejectUnauthorized: !o.smtp.tlsInsecure },
      connectionTimeout: o.timeoutMs ?? 10_000,
      greetingTimeout: o.timeoutMs ?? 10_000,
      logger: false,
    });
    try {
      await t.verify();
      findings.push({ check: 'smtp-login', ok: true, detail: `${o.smtp.host}:${o.smtp.port} accepts STARTTLS and the login` });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      findings.push({ check: 'smtp-login', ok: false, detail: `${o.smtp.host}:${o.smtp.port}: ${e.code === 'EAUTH' ? 'the login was refused' : e.message ?? String(err)}` });
    } finally {
      t.close();
    }
  }
  // The same audit as `mailops dns-check`: its errors — and unknowns in the authentication
  // areas, which cannot be trusted to pass — block prod; blocklist listings with severity error too.
  const audit = await runAudit({ domain: o.domain, ips: o.ips ?? [], selectors: o.selectors ?? ['dkim'], path: o.path ?? { ses: false }, resolver: o.resolver, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
  const blocking = audit.findings.filter((f) => (f.severity === 'error' && (BLOCKING_AREAS.has(f.area) || f.area === 'blocklists')) || (f.severity === 'unknown' && BLOCKING_AREAS.has(f.area)));
  if (audit.resolverUnreachable) findings.push({ check: 'dns', ok: false, detail: `no DNS answer from ${audit.resolver}: cannot verify ${o.domain}` });
  else if (!blocking.length) findings.push({ check: 'dns', ok: true, detail: `${o.domain}: no blocking problem in SPF, DKIM, DMARC, MX, PTR or blocklists (${audit.counts.warning} warnings: see mailops dns-check)` });
  for (const f of audit.resolverUnreachable ? [] : blocking) findings.push({ check: f.id, ok: false, detail: `${f.message}${f.fix ? ` — fix: ${f.fix}` : ''}` });
  return findings;
}

// ---------------------------------------------------------------- Listmonk SMTP settings

export interface ListmonkSmtpBlock {
  uuid?: string;
  enabled: boolean;
  host: string;
  hello_hostname?: string;
  port: number;
  auth_protocol: string;
  username: string;
  password: string;
  tls_type: string;
  tls_skip_verify: boolean;
  max_conns: number;
  [k: string]: unknown;
}

/** Settings with exactly one SMTP block enabled for the mode; masked passwords become "" (kept). */
export function listmonkSettingsFor(settings: Record<string, unknown>, to: Mode, prod: { host: string; port: number; user: string; pass: string }): Record<string, unknown> {
  const blocks = ((settings.smtp as ListmonkSmtpBlock[] | undefined) ?? []).map((b) => ({ ...b, password: /^•+$/.test(b.password) ? '' : b.password, enabled: false }));
  const want =
    to === 'test'
      ? { host: 'mailpit', port: 1025, auth_protocol: 'none', username: '', password: '', tls_type: 'none' }
      : { host: prod.host, port: prod.port, auth_protocol: 'login', username: prod.user, password: prod.pass, tls_type: 'STARTTLS' };
  const i = blocks.findIndex((b) => b.host === want.host && b.port === want.port);
  const block: ListmonkSmtpBlock = { ...(i >= 0 ? blocks[i]! : { hello_hostname: '', tls_skip_verify: false, max_conns: 10 }), ...want, enabled: true } as ListmonkSmtpBlock;
  if (i >= 0) blocks[i] = block;
  else blocks.push(block);
  return { ...settings, smtp: blocks };
}
