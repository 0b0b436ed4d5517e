/** Flags → typed options for `mailops ingest`; progress and signals; exit code from the summary. */
import { buildContext, type GlobalFlags } from '../../cli/context.js';
import { ExitCode, usageError } from '../../errors.js';
import type { IngestProgress } from '../../ingest/pipeline.js';
import { defaultCsvPath, runIngestCommand } from './run.js';
import { renderIngest } from './render.js';

export interface IngestFlags {
  out?: string;
  reprocess?: boolean;
  dryRun?: boolean;
}

export async function ingestCommand(paths: string[], flags: IngestFlags, globals: GlobalFlags): Promise<number> {
  const { io, loaded } = buildContext(globals);
  if (!paths.length) {
    throw usageError('nothing to ingest: give .eml files, directories, mbox files or - for stdin', 'Try `mailops ingest fixtures/replies`.');
  }
  const c = loaded.config;
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
      },
      { onProgress: progress.update, signal: controller.signal },
    );
    await progress.stop();
    renderIngest(io, summary);
    if (summary.interrupted) return controller.signal.reason === 'SIGTERM' ? ExitCode.ok : ExitCode.interrupted;
    return summary.quarantined > 0 ? ExitCode.incomplete : ExitCode.ok;
  } finally {
    await progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
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
