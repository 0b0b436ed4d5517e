/** `mailops relay ses`: Mailcow's Postfix relays the sending domain's mail through SES. */
import { configError, usageError } from '../../errors.js';
import { MailcowClient } from '../../stack/mailcow.js';
import { SES_REGION, sesSmtpHost, sesSmtpPassword } from '../../stack/ses.js';

export interface RelaySesOptions {
  region: string;
  domain: string;
  dryRun: boolean;
  mailcowUrl: string | undefined;
  mailcowApiKey: string | undefined;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
}

export interface RelaySesResult {
  dryRun: boolean;
  relayhost: string;
  username: string;
  password: string;
  domain: string;
  relayhostId: number | undefined;
  created: boolean | undefined;
}

export async function runRelaySes(o: RelaySesOptions, deps: { fetch?: typeof fetch } = {}): Promise<RelaySesResult> {
  if (!SES_REGION.test(o.region)) throw usageError(`"${o.region}" is not an AWS region`, 'e.g. --region eu-west-1');
  if (!o.accessKeyId || !o.secretAccessKey) {
    throw configError('SES_ACCESS_KEY_ID and SES_SECRET_ACCESS_KEY must be set', 'Put the IAM user\'s access key in .env (never on the command line); mailops derives the SMTP password from it.');
  }
  const hostname = `[${sesSmtpHost(o.region)}]:587`;
  const password = sesSmtpPassword(o.secretAccessKey, o.region);
  const result: RelaySesResult = { dryRun: o.dryRun, relayhost: hostname, username: o.accessKeyId, password: '********', domain: o.domain, relayhostId: undefined, created: undefined };
  if (o.dryRun) return result;
  if (!o.mailcowUrl || !o.mailcowApiKey) throw configError('MAILCOW_URL and MAILCOW_API_KEY must be set', 'The API key is in Mailcow under Configuration > Access > Edit administrator > API (read-write).');
  const mc = new MailcowClient({ url: o.mailcowUrl, apiKey: o.mailcowApiKey, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  const { id, created } = await mc.upsertRelayhost(hostname, o.accessKeyId, password);
  await mc.attachRelayhostToDomain(o.domain, id);
  return { ...result, relayhostId: id, created };
}
