/** `mailops send` as a function: options in, the plan (dry run) or the plan and the summary out. */
import { readFileSync } from 'node:fs';
import { configError, ExitCode, MailopsError, usageError } from '../../errors.js';
import { ListmonkTransport } from '../../send/transports/listmonk.js';
import { executeListmonkCampaign } from '../../send/listmonk-campaign.js';
import { parseList } from '../../send/list.js';
import { campaignIdProblem } from '../../send/compose.js';
import { executeSend, planSend, type SendPlan, type SendProgress, type SendSummary } from '../../send/pipeline.js';
import type { RateLimits } from '../../send/ratelimit.js';
import { loadTemplate } from '../../send/template.js';
import { createSmtpTransport, type SmtpOptions } from '../../send/transports/smtp.js';
import type { Transport } from '../../send/transports/types.js';
import { acquireLock } from '../../store/lock.js';
import { StateStore, stateExists, type SendRecord } from '../../store/store.js';
import { sleep } from '../../clock.js';

export interface SendRunOptions {
  dataDir: string;
  mode: 'test' | 'prod';
  list: string;
  template: string;
  subject: string;
  campaignId: string;
  via: 'smtp' | 'listmonk';
  scope: 'ever' | 'campaign';
  limit: number | undefined;
  dryRun: boolean;
  noWait: boolean;
  retryInDoubt: boolean;
  limits: RateLimits;
  concurrency: number;
  retries: number;
  maxConsecutiveFailures: number;
  fromEmail: string;
  fromName: string | undefined;
  replyLocalpart: string;
  replyDomain: string;
  unsubscribeUrl: string | undefined;
  smtp: SmtpOptions;
  listmonk: { url: string | undefined; user: string | undefined; token: string | undefined; path?: 'auto' | 'tx' | 'campaign'; pollMs?: number };
}

export interface SendRunDeps {
  now?: () => Date;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  stdin?: NodeJS.ReadableStream;
  transport?: Transport;
  signal?: AbortSignal;
  onProgress?: (p: SendProgress) => void;
  /** Progress and decisions worth telling the operator (which Listmonk path runs). */
  info?: (line: string) => void;
  /** Asked once the plan is known, before anything is sent; false cancels. */
  confirm?: (plan: SendPlan) => Promise<boolean>;
}

export interface SendRunResult {
  plan: SendPlan;
  summary: SendSummary | undefined;
  recoveredInDoubt: number;
  cancelled: boolean;
}

const LOCAL_SINKS = /^(localhost|127(?:\.\d{1,3}){3}|::1|\[::1\]|mailpit)$/i;

/** Test mode can only ever reach the local sink: nothing costs money or lands in a real inbox. */
export function assertTestModeSafe(mode: 'test' | 'prod', via: 'smtp' | 'listmonk', host: string): void {
  if (mode !== 'test' || via !== 'smtp') return;
  if (!LOCAL_SINKS.test(host)) {
    throw new MailopsError('test-mode', `MODE=test sends only to the local Mailpit sink, but SMTP_HOST is ${host}`, {
      exitCode: ExitCode.usage,
      hint: 'Point SMTP_HOST at localhost/mailpit for tests, or switch deliberately with `mailops mode prod`.',
    });
  }
}

async function readListText(list: string, stdin?: NodeJS.ReadableStream): Promise<string> {
  if (list === '-') {
    let text = '';
    for await (const c of (stdin ?? process.stdin) as AsyncIterable<Buffer | string>) text += c.toString();
    return text;
  }
  try {
    return readFileSync(list, 'utf8');
  } catch (err) {
    throw usageError(`cannot read the list ${list}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

export function listInDoubt(dataDir: string, campaignId?: string): SendRecord[] {
  if (!stateExists(dataDir)) return [];
  const store = StateStore.open(dataDir);
  try {
    store.markInterruptedSendsInDoubt();
    return store.listSends('in-doubt', campaignId);
  } finally {
    store.close();
  }
}

export async function runSendCommand(o: SendRunOptions, deps: SendRunDeps = {}): Promise<SendRunResult> {
  const problem = campaignIdProblem(o.campaignId);
  if (problem) throw usageError(`campaign id "${o.campaignId}": ${problem}`);
  assertTestModeSafe(o.mode, o.via, o.smtp.host);
  const now = deps.now ?? (() => new Date());
  const template = loadTemplate(o.template, o.subject);
  const list = parseList(await readListText(o.list, deps.stdin), o.campaignId);
  const known = new Set([...list.columns, 'email', 'recipient_id', 'campaign_id']);
  const missing = template.fields.filter((f) => !known.has(f));
  if (missing.length) {
    throw usageError(
      `the template uses ${missing.map((f) => `{{${f}}}`).join(', ')}, but the list has no such column (columns: ${list.columns.join(', ')})`,
      'Add the column to the list, or remove the placeholder. Nothing was sent.',
    );
  }
  const lock = o.dryRun ? undefined : await acquireLock(o.dataDir, 'send');
  let store: StateStore | undefined;
  try {
    store = o.dryRun && !stateExists(o.dataDir) ? StateStore.openInMemory() : StateStore.open(o.dataDir);
    const recoveredInDoubt = o.dryRun ? 0 : store.markInterruptedSendsInDoubt(now());
    const plan = planSend(list, template, store, {
      campaignId: o.campaignId,
      transport: o.via,
      scope: o.scope,
      limit: o.limit,
      retryInDoubt: o.retryInDoubt,
      limits: o.limits,
      compose: { fromEmail: o.fromEmail, fromName: o.fromName, replyLocalpart: o.replyLocalpart, replyDomain: o.replyDomain, unsubscribeUrl: o.unsubscribeUrl, now },
    });
    if (o.dryRun || plan.toSend.length === 0) return { plan, summary: undefined, recoveredInDoubt, cancelled: false };
    if (deps.confirm && !(await deps.confirm(plan))) return { plan, summary: undefined, recoveredInDoubt, cancelled: true };
    let transport = deps.transport;
    if (!transport && o.via === 'listmonk') {
      if (!o.listmonk.url || !o.listmonk.user || !o.listmonk.token) {
        throw configError('--via listmonk needs LISTMONK_URL, LISTMONK_API_USER and LISTMONK_API_TOKEN', 'Set them in .env (mailops up stores the API token there on first start).');
      }
      const lm = new ListmonkTransport({ url: o.listmonk.url, user: o.listmonk.user, token: o.listmonk.token, campaignId: o.campaignId, fromEmail: o.fromEmail, fromName: o.fromName });
      await lm.prepare(o.listmonk.path ?? 'auto');
      deps.info?.(lm.describe());
      if (lm.path === 'campaign') {
        const summary = await executeListmonkCampaign(
          plan,
          { limits: o.limits, pollMs: o.listmonk.pollMs ?? 2000, timeoutMs: 6 * 3600_000 },
          { store, transport: lm, now, sleep: deps.sleep ?? sleep, ...(deps.signal ? { signal: deps.signal } : {}), ...(deps.onProgress ? { onProgress: deps.onProgress } : {}) },
        );
        summary.recoveredInDoubt = recoveredInDoubt;
        return { plan, summary, recoveredInDoubt, cancelled: false };
      }
      transport = lm;
    }
    transport ??= createSmtpTransport({ ...o.smtp, concurrency: o.concurrency });
    const summary = await executeSend(
      plan,
      { concurrency: o.concurrency, retries: o.retries, limits: o.limits, noWait: o.noWait, maxConsecutiveFailures: o.maxConsecutiveFailures },
      {
        store,
        transport,
        now,
        sleep: deps.sleep ?? sleep,
        ...(deps.signal ? { signal: deps.signal } : {}),
        ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
      },
    );
    summary.recoveredInDoubt = recoveredInDoubt;
    return { plan, summary, recoveredInDoubt, cancelled: false };
  } finally {
    store?.close();
    await lock?.release();
  }
}
