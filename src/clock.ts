/** Waiting: a pause that an abort signal cuts short (resolving, not rejecting), for retries and pacing. */
import { setTimeout as delay } from 'node:timers/promises';

export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  }
}
