/**
 * `mailops init`: writes .env from .env.example (mode 0600), with strong generated passwords and
 * the operator's domain, sender and mailbox; test mode, so nothing can leave the machine yet.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExitCode, MailopsError, usageError } from '../../errors.js';
import { GENERATED_SECRETS } from '../../stack/compose-keys.js';
import { parseEnvDocument, serializeEnvDocument, setEnvValues, writeEnvFileAtomic } from '../../stack/env-file.js';

export interface InitOptions {
  envFile: string;
  force: boolean;
  domain: string;
  fromEmail: string | undefined;
  fromName: string | undefined;
  imapUser: string | undefined;
  imapHost: string | undefined;
}

export interface InitResult {
  envFile: string;
  backup: string | undefined;
  /** Keys set, with secrets masked. */
  set: Record<string, string>;
}

export function exampleEnvPath(): string {
  return fileURLToPath(new URL('../../../.env.example', import.meta.url));
}

export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export function runInit(o: InitOptions): InitResult {
  if (!DOMAIN.test(o.domain)) throw usageError(`"${o.domain}" is not a domain name`, 'Give the sending domain, e.g. --domain sourceww.com');
  const exists = existsSync(o.envFile);
  if (exists && !o.force) {
    throw new MailopsError('env-exists', `${o.envFile} already exists`, { exitCode: ExitCode.usage, hint: 'Keep it, or run again with --force (the current file is saved as .env.bak).' });
  }
  const domain = o.domain.toLowerCase();
  const values: Record<string, string> = {
    MODE: 'test',
    OWN_DOMAINS: domain,
    FROM_EMAIL: o.fromEmail ?? `outreach@${domain}`,
    FROM_NAME: o.fromName ?? '',
    REPLY_DOMAIN: domain,
    SMTP_HOST: 'localhost',
    SMTP_PORT: '1025',
    SMTP_TLS: 'none',
    LISTMONK_URL: 'http://localhost:9000',
    LISTMONK_API_USER: 'mailops',
    IMAP_HOST: o.imapHost ?? `mail.${domain}`,
    IMAP_USER: o.imapUser ?? `campaign@${domain}`,
  };
  for (const k of GENERATED_SECRETS) values[k] = generatePassword();
  const doc = setEnvValues(parseEnvDocument(readFileSync(exampleEnvPath(), 'utf8')), values);
  writeEnvFileAtomic(o.envFile, serializeEnvDocument(doc), { backup: true });
  const shown = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, (GENERATED_SECRETS as readonly string[]).includes(k) ? '(generated)' : v]));
  return { envFile: o.envFile, backup: exists ? `${o.envFile}.bak` : undefined, set: shown };
}
