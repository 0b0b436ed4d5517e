/** Flags → options for `mailops send`; confirmation, progress and the exit code. */
import { createInterface } from 'node:readline/promises';
import { buildContext, type GlobalFlags } from '../../cli/context.js';
import { configError, ExitCode, usageError } from '../../errors.js';
import type { IO } from '../../io/io.js';
import { emailDomain } from '../../ingest/normalize.js';
import type { SendPlan, SendProgress } from '../../send/pipeline.js';
import { listInDoubt, runSendCommand } from './run.js';
import { renderInDoubt, renderPlan, renderSummary } from './render.js';

export interface SendFlags {
  list?: string;
  campaign?: string;
  subject?: string;
  template?: string;
  via?: 'smtp' | 'listmonk';
  scope?: 'ever' | 'campaign';
  limit?: string;
  dryRun?: boolean;
  yes?: boolean;
  wait?: boolean;
  perMinute?: string;
  perHour?: string;
  perDay?: string;
  listInDoubt?: boolean;
  retryInDoubt?: boolean;
  listmonkPath?: 'auto' | 'tx' | 'campaign';
}

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${name} must be a whole number of at least 1 (got ${JSON.stringify(v)})`);
  return n;
}

export async function sendCommand(flags: SendFlags, globals: GlobalFlags): Promise<number> {
  const { io, loaded } = buildContext(globals);
  const c = loaded.config;
  if (flags.listInDoubt) {
    renderInDoubt(io, listInDoubt(loaded.dataDir, flags.campaign));
    return ExitCode.ok;
  }
  for (const [flag, v] of [['--list', flags.list], ['--campaign', flags.campaign], ['--subject', flags.subject], ['--template', flags.template]] as const) {
    if (!v) throw usageError(`${flag} is required`, 'mailops send --list leads.csv --campaign q4-fintech --subject "…" --template intro.md');
  }
  if (!c.FROM_EMAIL) throw configError('FROM_EMAIL is not set', 'Set FROM_EMAIL (and FROM_NAME) in .env: the sender address of the campaign.');
  const dryRun = flags.dryRun ?? false;
  if (!dryRun && !flags.yes && !io.canPrompt) {
    throw usageError('sending without a terminal needs --yes', 'Preview first with --dry-run, then add --yes (cron).');
  }
  const controller = new AbortController();
  const onSignal = () => {
    io.info('stopping after the messages in flight (their result is recorded)');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const perMinute = positive('--per-minute', flags.perMinute) ?? c.SEND_RATE_PER_MINUTE;
  const progress = await startProgress(io, perMinute);
  try {
    const result = await runSendCommand(
      {
        dataDir: loaded.dataDir,
        mode: c.MODE,
        list: flags.list!,
        template: flags.template!,
        subject: flags.subject!,
        campaignId: flags.campaign!,
        via: flags.via ?? 'smtp',
        scope: flags.scope ?? 'ever',
        limit: positive('--limit', flags.limit),
        dryRun,
        noWait: flags.wait === false,
        retryInDoubt: flags.retryInDoubt ?? false,
        limits: {
          perMinute: positive('--per-minute', flags.perMinute) ?? c.SEND_RATE_PER_MINUTE,
          perHour: positive('--per-hour', flags.perHour) ?? c.SEND_RATE_PER_HOUR,
          perDay: positive('--per-day', flags.perDay) ?? c.SEND_RATE_PER_DAY,
        },
        concurrency: c.SEND_CONCURRENCY,
        retries: c.SEND_RETRIES,
        maxConsecutiveFailures: c.SEND_MAX_CONSECUTIVE_FAILURES,
        fromEmail: c.FROM_EMAIL,
        fromName: c.FROM_NAME,
        replyLocalpart: c.REPLY_LOCALPART,
        replyDomain: c.REPLY_DOMAIN ?? emailDomain(c.FROM_EMAIL),
        unsubscribeUrl: c.UNSUBSCRIBE_URL,
        listmonk: { url: c.LISTMONK_URL, user: c.LISTMONK_API_USER, token: c.LISTMONK_API_TOKEN, path: flags.listmonkPath ?? 'auto' },
        smtp: { host: c.SMTP_HOST, port: c.SMTP_PORT, tls: c.SMTP_TLS, tlsInsecure: c.SMTP_TLS_INSECURE, user: c.SMTP_USER, pass: c.SMTP_PASS, concurrency: c.SEND_CONCURRENCY },
      },
      {
        signal: controller.signal,
        onProgress: progress.update,
        info: (l: string) => io.info(l),
        ...(flags.yes || dryRun ? {} : { confirm: (plan: SendPlan) => confirm(io, plan) }),
      },
    );
    progress.stop(); // clear the live view before printing the result under it
    if (!result.summary) {
      renderPlan(io, result.plan, dryRun);
      if (result.cancelled) io.info('cancelled: nothing sent');
      return ExitCode.ok;
    }
    renderSummary(io, result.summary, result.plan);
    const s = result.summary;
    if (s.stoppedBecause === 'fatal') return /authentication/i.test(s.stopDetail ?? '') ? ExitCode.auth : ExitCode.unavailable;
    if (s.stoppedBecause === 'interrupted') return ExitCode.interrupted;
    if (s.stoppedBecause !== 'done' || s.failed || s.deferred || s.inDoubt || s.notStarted) return ExitCode.incomplete;
    return ExitCode.ok;
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function confirm(io: IO, plan: SendPlan): Promise<boolean> {
  renderPlan(io, plan, false);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`Send ${plan.toSend.length} message(s) for campaign ${plan.campaignId}? [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

interface Progress {
  update(p: SendProgress): void;
  stop(): void;
}

/** ink view on a terminal; a timestamped line every 5 s otherwise; nothing when quiet or JSON. */
async function startProgress(io: IO, perMinute: number): Promise<Progress> {
  if (io.verbosity === 'quiet' || io.json) return { update: () => undefined, stop: () => undefined };
  const started = Date.now();
  // Honest ETA: the slower of the observed rate and the per-minute pace.
  const eta = (p: SendProgress) => {
    const elapsed = (Date.now() - started) / 1000;
    const observed = p.sent > 0 && elapsed > 0 ? p.sent / elapsed : 0;
    const paced = perMinute / 60;
    const rate = observed > 0 ? Math.min(observed, paced) : paced;
    return p.remaining / rate;
  };
  if (io.interactiveProgress) {
    const { mountSendProgress } = await import('../../ui/send-progress.js');
    const view = mountSendProgress(io, { sent: 0, failed: 0, inDoubt: 0, skipped: 0, remaining: 0, perMinute, etaSeconds: undefined, waitingFor: undefined, waitSeconds: 0 });
    return {
      update: (p) => view.update({ sent: p.sent, failed: p.failed, inDoubt: p.inDoubt, skipped: p.skipped, remaining: p.remaining, perMinute, etaSeconds: eta(p), waitingFor: p.waitingFor, waitSeconds: p.waitMs / 1000 }),
      stop: () => view.stop(),
    };
  }
  let last = 0;
  return {
    update(p) {
      const t = Date.now();
      if (t - last < 5000) return;
      last = t;
      const wait = p.waitingFor ? ` — waiting ${Math.ceil(p.waitMs / 1000)} s for the per-${p.waitingFor} limit` : '';
      io.info(`${new Date(t).toISOString()} send: ${p.sent} sent, ${p.failed} failed, ${p.inDoubt} in doubt, ${p.remaining} to go, done in about ${Math.ceil(eta(p))} s${wait}`);
    },
    stop: () => undefined,
  };
}
