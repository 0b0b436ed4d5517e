/**
 * Every configuration variable mailops reads, with its default and what a valid value looks like.
 * `.env.example` documents the same names; a test keeps the two in step.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { getCountries, type CountryCode } from 'libphonenumber-js/min';

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(v), {
    message: 'expected true or false',
  })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const port = z.coerce
  .number({ message: 'expected a port number' })
  .int('expected a whole number')
  .min(1, 'expected a port between 1 and 65535')
  .max(65535, 'expected a port between 1 and 65535');

const domainList = z
  .string()
  .transform((v) =>
    v
      .split(/[,\s]+/)
      .map((d) => d.trim().toLowerCase().replace(/^@/, ''))
      .filter(Boolean),
  )
  .refine((ds) => ds.every((d) => /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(d)), {
    message: 'expected a comma-separated list of domain names, e.g. example.com,example.org',
  });

const countries = new Set<string>(getCountries());
const region = z
  .string()
  .trim()
  .toUpperCase()
  .refine((v) => countries.has(v), { message: 'expected a two-letter ISO country code such as US, GB or DE' })
  .transform((v) => v as CountryCode);

const optionalString = z.string().optional();

const ipList = z
  .string()
  .transform((v) => v.split(/[,\s]+/).map((x) => x.trim()).filter(Boolean))
  .refine((ips) => ips.every((ip) => isIP(ip) !== 0), { message: 'expected a comma-separated list of IP addresses, e.g. 192.0.2.10,2001:db8::10' });

const selectorList = z
  .string()
  .transform((v) => v.split(/[,\s]+/).map((x) => x.trim()).filter(Boolean))
  .refine((ss) => ss.every((x) => /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})$/.test(x)), { message: 'expected a comma-separated list of DKIM selectors, e.g. dkim' });

export const configSchema = z.object({
  MODE: z.enum(['test', 'prod'], { message: 'expected test or prod' }).default('test'),
  DATA_DIR: z.string().min(1).default('./data'),
  OUTPUT_CSV: optionalString,
  OWN_DOMAINS: domainList.default([]),
  REPLY_LOCALPART: z
    .string()
    .regex(/^[a-z0-9._-]+$/i, 'expected an email local part without "+", e.g. campaign')
    .default('campaign'),
  PHONE_DEFAULT_REGION: region.default('US' as CountryCode),
  MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024, 'expected at least 1024 bytes').default(25 * 1024 * 1024),
  SOFT_BOUNCE_LIMIT: z.coerce.number().int().min(1).default(3),
  SOFT_BOUNCE_WINDOW_DAYS: z.coerce.number().int().min(1).default(30),

  LISTMONK_URL: z.url({ message: 'expected the Listmonk base URL, e.g. http://localhost:9000' }).optional(),
  LISTMONK_API_USER: optionalString,
  LISTMONK_API_TOKEN: optionalString,
  LISTMONK_SMTP_HOST: z.string().default('localhost'),
  LISTMONK_SMTP_PORT: port.default(1025),
  LISTMONK_SMTP_USER: optionalString,
  LISTMONK_SMTP_PASS: optionalString,
  LISTMONK_SMTP_TLS: z.enum(['none', 'starttls', 'tls'], { message: 'expected none, starttls or tls' }).default('none'),

  IMAP_HOST: z.string().default('localhost'),
  IMAP_PORT: port.default(993),
  IMAP_USER: optionalString,
  IMAP_PASS: optionalString,
  IMAP_SSL: bool.default(true),
  IMAP_TLS_INSECURE: bool.default(false),
  IMAP_MAILBOXES: z
    .string()
    .transform((v) => v.split(',').map((m) => m.trim()).filter(Boolean))
    .refine((l) => l.length > 0, { message: 'expected a comma-separated list of mailbox names, e.g. INBOX,Junk' })
    .default(['INBOX']),
  IMAP_READONLY: bool.default(false),
  IMAP_KEYWORD: z
    .string()
    .regex(/^\$?[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'expected an IMAP keyword such as $MailopsProcessed')
    .default('$MailopsProcessed'),
  HEARTBEAT_SECONDS: z.coerce.number().int().min(10).default(300),

  FROM_EMAIL: z.email({ message: 'expected the sender address, e.g. dana@example.com' }).optional(),
  FROM_NAME: optionalString,
  REPLY_DOMAIN: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'expected a domain name, e.g. example.com')
    .optional(),
  UNSUBSCRIBE_URL: z.url({ protocol: /^https$/, message: 'expected an https:// URL' }).optional(),
  SMTP_HOST: z.string().default('localhost'),
  SMTP_PORT: port.default(1025),
  SMTP_USER: optionalString,
  SMTP_PASS: optionalString,
  SMTP_TLS: z.enum(['none', 'starttls', 'tls'], { message: 'expected none, starttls or tls' }).default('none'),
  SMTP_TLS_INSECURE: bool.default(false),
  PROD_SMTP_HOST: optionalString,
  PROD_SMTP_PORT: port.default(587),
  PROD_SMTP_USER: optionalString,
  PROD_SMTP_PASS: optionalString,
  SEND_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  SEND_RATE_PER_HOUR: z.coerce.number().int().min(1).default(300),
  SEND_RATE_PER_DAY: z.coerce.number().int().min(1).default(2000),
  SEND_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(2),
  SEND_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  SEND_MAX_CONSECUTIVE_FAILURES: z.coerce.number().int().min(1).default(10),

  MAILCOW_URL: z.url({ message: 'expected the Mailcow base URL, e.g. https://mail.example.com' }).optional(),
  MAILCOW_API_KEY: optionalString,
  SES_ACCESS_KEY_ID: optionalString,
  SES_SECRET_ACCESS_KEY: optionalString,
  SES_REGION: z.string().regex(/^[a-z]{2}(?:-[a-z]+)+-\d$/, 'expected an AWS region, e.g. eu-west-1').optional(),
  SES_MAIL_FROM: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'expected a subdomain, e.g. bounce.example.com')
    .optional(),

  SENDING_IPS: ipList.default([]),
  DKIM_SELECTORS: selectorList.default(['dkim']),
  DNS_RESOLVER: optionalString,

  REPUTATION_MAX_BOUNCE_RATE: z.coerce.number().min(0).max(1).default(0.05),
  REPUTATION_MAX_COMPLAINT_RATE: z.coerce.number().min(0).max(1).default(0.001),
  REPUTATION_MIN_DELIVERY_RATE: z.coerce.number().min(0).max(1).default(0.95),
  WEBHOOK_URL: z.url({ message: 'expected an http(s) URL, e.g. an N8N webhook' }).optional(),
  WEBHOOK_SECRET: optionalString,
  WEBHOOK_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(100),

  LLM_PROVIDER: z
    .enum(['none', 'openai', 'anthropic', 'gemini', 'vllm', 'ollama'], {
      message: 'expected one of none, openai, anthropic, gemini, vllm, ollama',
    })
    .default('none'),
  LLM_MODEL: optionalString,
  LLM_API_KEY: optionalString,
  LLM_ENDPOINT: z.url({ message: 'expected a URL such as http://localhost:8000/v1' }).optional(),
  LLM_MODE: z.enum(['fallback', 'always'], { message: 'expected fallback or always' }).default('fallback'),
  LLM_MAX_CALLS_PER_RUN: z.coerce.number().int().min(0).default(200),
  LLM_MAX_INPUT_TOKENS: z.coerce.number().int().min(100).default(2000),
  LLM_MAX_OUTPUT_TOKENS: z.coerce.number().int().min(64).default(600),
  LLM_TIMEOUT_SECONDS: z.coerce.number().min(1).default(20),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigKey = keyof Config;
export const CONFIG_KEYS = Object.keys(configSchema.shape) as ConfigKey[];

/** Values that must never be printed. */
export const SECRET_KEYS: ConfigKey[] = ['LISTMONK_SMTP_PASS', 'IMAP_PASS', 'LLM_API_KEY', 'SMTP_PASS', 'LISTMONK_API_TOKEN', 'PROD_SMTP_PASS', 'MAILCOW_API_KEY', 'SES_SECRET_ACCESS_KEY', 'WEBHOOK_SECRET'];
