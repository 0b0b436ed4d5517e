/**
 * `mailops ingest` as a function: typed options in, summary out. Takes the lock, opens the state
 * store, runs the pipeline, releases everything on every path.
 */
import path from 'node:path';
import type { CountryCode } from 'libphonenumber-js';
import { runIngest, type IngestProgress, type IngestSummary, type MessageOutcome } from '../../ingest/pipeline.js';
import { fileSource } from '../../ingest/sources/files.js';
import type { MessageSource } from '../../ingest/sources/types.js';
import { ImapSource, type ImapLog, type ImapSourceOptions } from '../../ingest/sources/imap.js';
import { acquireLock } from '../../store/lock.js';
import { StateStore, stateExists } from '../../store/store.js';
import { LlmRefiner, type LlmSettings } from '../../llm/refine.js';
import type { LlmClient } from '../../llm/providers.js';
import { deliverWebhook, type WebhookOptions, type WebhookResult } from '../../ingest/sinks/webhook.js';

export interface IngestRunOptions {
  paths: string[];
  dataDir: string;
  csvPath: string;
  ownDomains: string[];
  replyLocalpart: string;
  defaultRegion: CountryCode;
  maxMessageBytes: number;
  softBounceLimit: number;
  softBounceWindowDays: number;
  reprocess: boolean;
  dryRun: boolean;
  llm?: LlmSettings;
  webhook?: WebhookOptions;
}

export interface IngestImapOptions extends Omit<ImapSourceOptions, 'maxMessageBytes'> {
  watch: boolean;
}

export interface IngestRunDeps {
  source?: MessageSource;
  /** Read from IMAP instead of paths. */
  imap?: IngestImapOptions;
  log?: ImapLog;
  onTiming?: (seconds: number) => void;
  webhookSleep?: (ms: number) => Promise<void>;
  /** Replaces the model client (tests use HTTP doubles through the real clients instead). */
  llmClient?: LlmClient;
  stdin?: NodeJS.ReadableStream;
  onProgress?: (p: IngestProgress) => void;
  onMessage?: (ref: string, o: MessageOutcome) => void;
  signal?: AbortSignal;
}

export function defaultCsvPath(dataDir: string, outputCsv: string | undefined): string {
  return path.resolve(outputCsv ?? path.join(dataDir, 'out', 'contacts.csv'));
}

export async function runIngestCommand(opts: IngestRunOptions, deps: IngestRunDeps = {}): Promise<IngestSummary & { webhook?: WebhookResult }> {
  const lock = opts.dryRun ? undefined : await acquireLock(opts.dataDir, 'ingest');
  let store: StateStore | undefined;
  let imap: ImapSource | undefined;
  try {
    // A dry run reads the ledger when there is one (to report what is already done) and creates nothing.
    store = opts.dryRun && !stateExists(opts.dataDir) ? StateStore.openInMemory() : StateStore.open(opts.dataDir);
    let source: MessageSource;
    if (deps.imap) {
      const quiet: ImapLog = { info: () => undefined, warn: () => undefined, debug: () => undefined };
      imap = new ImapSource(
        { ...deps.imap, readOnly: deps.imap.readOnly || opts.dryRun, maxMessageBytes: opts.maxMessageBytes },
        store,
        deps.log ?? quiet,
        deps.signal,
      );
      await imap.connect();
      source = imap;
    } else {
      source = deps.source ?? fileSource(opts.paths, { maxMessageBytes: opts.maxMessageBytes, ...(deps.stdin ? { stdin: deps.stdin } : {}) });
    }
    const summary: IngestSummary & { webhook?: WebhookResult } = await runIngest(
      {
        csvPath: opts.csvPath,
        dataDir: opts.dataDir,
        ownDomains: opts.ownDomains,
        replyLocalpart: opts.replyLocalpart,
        defaultRegion: opts.defaultRegion,
        reprocess: opts.reprocess,
        dryRun: opts.dryRun,
        softBounceLimit: opts.softBounceLimit,
        softBounceWindowDays: opts.softBounceWindowDays,
        queueWebhook: !!opts.webhook && !opts.dryRun,
        // A watcher commits every message at once so it lands in the CSV within seconds.
        ...(deps.imap?.watch ? { batchSize: 1 } : {}),
      },
      {
        store,
        source,
        ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
        ...(deps.onMessage ? { onMessage: deps.onMessage } : {}),
        ...(deps.onTiming ? { onTiming: deps.onTiming } : {}),
        ...(deps.signal ? { signal: deps.signal } : {}),
        ...(opts.llm ? { refiner: new LlmRefiner(opts.llm, store, { ownDomains: opts.ownDomains, defaultRegion: opts.defaultRegion }, deps.llmClient) } : {}),
      },
    );
    await imap?.finish();
    if (opts.webhook && !opts.dryRun) summary.webhook = await deliverWebhook(store, opts.webhook, deps.webhookSleep ? { sleep: deps.webhookSleep } : {});
    return summary;
  } finally {
    await imap?.close();
    store?.close();
    await lock?.release();
  }
}
