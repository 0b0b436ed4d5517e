/**
 * One ingest at a time per data directory. proper-lockfile does the atomic locking (mkdir-based,
 * refreshed while we run, stale after a while); on top of it we record our PID so that a lock left
 * by a process that was killed on this host is taken over at once instead of blocking cron.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { ExitCode, MailopsError } from '../errors.js';

export interface HeldLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireLock(dataDir: string, name: string, onCompromised?: (err: Error) => void): Promise<HeldLock> {
  const dir = path.join(dataDir, 'state');
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, name);
  const lockPath = `${target}.lock`;
  const ownerFile = `${target}.owner`;
  const options = {
    realpath: false,
    lockfilePath: lockPath,
    stale: 30_000,
    update: 5_000,
    retries: 0,
    onCompromised: onCompromised ?? (() => undefined),
  };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(target, options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    let owner: { pid?: number; host?: string } = {};
    try {
      owner = JSON.parse(readFileSync(ownerFile, 'utf8')) as typeof owner;
    } catch {
      /* no owner file: fall through to "held" */
    }
    // A live holder writes its owner file microseconds after locking; a lock without one that is
    // older than 2 s belongs to a process killed in between.
    let ownerless = false;
    if (!owner.pid) {
      try {
        ownerless = Date.now() - statSync(lockPath).mtimeMs > 2000;
      } catch {
        ownerless = false;
      }
    }
    if ((owner.pid && owner.host === hostname() && !alive(owner.pid)) || ownerless) {
      rmSync(lockPath, { recursive: true, force: true });
      release = await lockfile.lock(target, options);
    } else {
      throw new MailopsError('locked', `another mailops ${name} is running on ${dataDir}${owner.pid ? ` (pid ${owner.pid})` : ''}`, {
        exitCode: ExitCode.unavailable,
        hint: 'Wait for it to finish; overlapping cron runs exit here so nothing is written twice.',
      });
    }
  }
  writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
  return {
    async release() {
      rmSync(ownerFile, { force: true });
      await release().catch(() => undefined);
    },
  };
}
