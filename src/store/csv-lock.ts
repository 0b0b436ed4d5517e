/**
 * A short lock around contacts.csv writes, shared by ingest (one batch at a time) and rotate
 * (rename and restart the file). The ingest lock is held for a whole run, even forever by the
 * watcher; this one only for milliseconds, so rotation never waits for a run to end.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';

export async function withCsvLock<T>(dataDir: string, fn: () => T | Promise<T>): Promise<T> {
  const dir = path.join(dataDir, 'state');
  mkdirSync(dir, { recursive: true });
  const release = await lockfile.lock(path.join(dir, 'csv'), {
    realpath: false,
    lockfilePath: path.join(dir, 'csv.lock'),
    stale: 10_000,
    retries: { retries: 200, minTimeout: 5, maxTimeout: 100, factor: 1.5 },
  });
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
