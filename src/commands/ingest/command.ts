/** Flags → typed options for `mailops ingest`; progress and signals; exit code from the summary. */
import { buildContext, type GlobalFlags } from '../../cli/context.js';
import { configError, ExitCode, usageError } from '../../errors.js';
import type { IngestProgress } from '../../ingest/pipeline.js';
import { defaultCsvPath, runIngestCommand } from './run.js';
import { renderIngest } from './render.js';

export interface IngestFlags {
  out?: string;
  reprocess?: boolean;
  dryRun?: boolean;
  imap?: boolean;
  mailbox?: string[];
  allMailboxes?: boolean;
  moveTo?: string;
  watch?: boolean;
}

export async function ingestCommand(paths: string[], flags: IngestFlags, globals: GlobalFlags): Promise<number> {
  const { io, loaded } = buildContext(globals);
  const c = loaded.config;
  if (flags.imap && paths.length) throw usageError('give either paths or --imap, not both');
  if (!flags.imap && (flags.watch || flags.moveTo || flags.allMailboxes || flags.mailbox)) {
    throw usageError('--watch, --move-to, --mailbox and --all-mailboxes read from IMAP', 'Add --imap.');
  }
  if (!flags.imap && !paths.length) {
    throw usageError('nothing to ingest: give .eml files, directories, mbox files or - for stdin', 'Try `mailops ingest fixtures/replies`, or `mailops ingest --imap`.');
  }
  if (flags.imap && (!c.IMAP_USER || !c.IMAP_PASS)) {
    throw configError('IMAP_USER and IMAP_PASS must be set to read from IMAP', 'Put them in .env (mode 0600) or the environment; never on the command line.');
  }
  if (flags.moveTo && c.IMAP_READONLY) throw usageError('--move-to needs write access, but IMAP_READONLY=true');
  const imap = flags.imap
    ? {
        host: c.IMAP_HOST,
        port: c.IMAP_PORT,
        secure: c.IMAP_SSL,
        user: c.IMAP_USER!,
        pass: c.IMAP_PASS!,
        tlsInsecure: c.IMAP_TLS_INSECURE,
        mailboxes: flags.mailbox?.length ? flags.mailbox : c.IMAP_MAILBOXES,
        allMailboxes: flags.allMailboxes ?? false,
        readOnly: c.IMAP_READONLY,
        moveTo: flags.moveTo,
        keyword: c.IMAP_KEYWORD,
        watch: flags.watch ?? false,
        heartbeatSeconds: io.interactiveProgress ? 0 : c.HEARTBEAT_SECONDS,
      }
    : undefined;
  if (c.IMAP_TLS_INSECURE && imap) io.warn('IMAP_TLS_INSECURE=true: the IMAP server certificate is not verified');
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(sig === 'SIGINT' ? ExitCode.interrupted : ExitCode.ok);
    io.info(`${sig}: finishing the current message, then stopping (again to quit at once)`);
    controller.abort(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const progress = await startProgress(io);
  // The long-running watcher serves /metrics when METRICS_PORT is set (the compose service does).
  let metrics: { observe(s: number): void; close(): Promise<void> } | undefined;
  if (flags.watch && process.env.METRICS_PORT) {
    const { createMetrics, serveMetrics } = await import('../../metrics/registry.js');
    const { StateStore, stateExists } = await import('../../store/store.js');
    const m = createMetrics(() => (stateExists(loaded.dataDir) ? StateStore.open(loaded.dataDir) : undefined));
    const srv = await serveMetrics(m, process.env.METRICS_HOST ?? '0.0.0.0', Number(process.env.METRICS_PORT));
    io.info(`serving /metrics on port ${srv.port}`);
    metrics = { observe: m.observeProcessing, close: srv.close };
  }
  try {
    const summary = await runIngestCommand(
      {
        paths,
        dataDir: loaded.dataDir,
        csvPath: defaultCsvPath(loaded.dataDir, flags.out ?? c.OUTPUT_CSV),
        ownDomains: c.OWN_DOMAINS,
        replyLocalpart: c.REPLY_LOCALPART,
        defaultRegion: c.PHONE_DEFAULT_REGION,
        maxMessageBytes: c.MAX_MESSAGE_BYTES,
        softBounceLimit: c.SOFT_BOUNCE_LIMIT,
        softBounceWindowDays: c.SOFT_BOUNCE_WINDOW_DAYS,
        reprocess: flags.reprocess ?? false,
        dryRun: flags.dryRun ?? false,
        llm: llmSettings(c),
        ...(c.WEBHOOK_URL ? { webhook: { url: c.WEBHOOK_URL, secret: c.WEBHOOK_SECRET, batchSize: c.WEBHOOK_BATCH_SIZE, retries: 3 } } : {}),
      },
      {
        onProgress: progress.update,
        ...(metrics ? { onTiming: metrics.observe } : {}),
        signal: controller.signal,
        ...(imap ? { imap, log: { info: (l: string) => io.info(l), warn: (l: string) => io.warn(l), debug: (l: string) => io.debug(l) } } : {}),
      },
    );
    await progress.stop();
    renderIngest(io, summary);
    if (summary.webhook?.error) io.warn(`webhook: ${summary.webhook.error}`);
    // A watcher stopped by a signal has finished its message and flushed: that is a clean exit.
    if (imap?.watch && controller.signal.aborted) return summary.quarantined > 0 ? ExitCode.incomplete : ExitCode.ok;
    if (summary.interrupted) return controller.signal.reason === 'SIGTERM' ? ExitCode.ok : ExitCode.interrupted;
    return summary.quarantined > 0 ? ExitCode.incomplete : ExitCode.ok;
  } finally {
    await metrics?.close();
    await progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function llmSettings(c: import('../../config/schema.js').Config): import('../../llm/refine.js').LlmSettings {
  return {
    provider: c.LLM_PROVIDER,
    model: c.LLM_MODEL,
    apiKey: c.LLM_API_KEY,
    endpoint: c.LLM_ENDPOINT,
    mode: c.LLM_MODE,
    runMode: c.MODE,
    maxCalls: c.LLM_MAX_CALLS_PER_RUN,
    maxInputTokens: c.LLM_MAX_INPUT_TOKENS,
    maxOutputTokens: c.LLM_MAX_OUTPUT_TOKENS,
    timeoutMs: c.LLM_TIMEOUT_SECONDS * 1000,
  };
}

interface ProgressHandle {
  update(p: IngestProgress): void;
  stop(): Promise<void>;
}

/** Live ink line on a terminal; a timestamped line every few seconds otherwise; nothing when quiet. */
async function startProgress(io: import('../../io/io.js').IO): Promise<ProgressHandle> {
  if (io.verbosity === 'quiet' || io.json) return { update: () => undefined, stop: async () => undefined };
  if (io.interactiveProgress) {
    const { mountProgress } = await import('../../ui/progress.js');
    return mountProgress(io);
  }
  let last = Date.now();
  return {
    update(p) {
      const t = Date.now();
      if (t - last < 5000) return;
      last = t;
      io.info(`${new Date(t).toISOString()} ingest: ${p.messages} messages, ${p.rowsWritten} rows, ${p.quarantined} quarantined`);
    },
    stop: async () => undefined,
  };
}
