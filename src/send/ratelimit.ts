/**
 * Sending pace per minute, hour and day, enforced across runs from the ledger: every SMTP
 * transaction started is an attempt with a time, and a new one may start only when each sliding
 * window has room. Pure over the store and an injected clock, so it is tested without waiting.
 */
import type { StateStore } from '../store/store.js';

export interface RateLimits {
  perMinute: number;
  perHour: number;
  perDay: number;
}

export type RateWindow = 'minute' | 'hour' | 'day';

const WINDOWS: Array<{ name: RateWindow; ms: number; key: keyof RateLimits }> = [
  { name: 'minute', ms: 60_000, key: 'perMinute' },
  { name: 'hour', ms: 3_600_000, key: 'perHour' },
  { name: 'day', ms: 86_400_000, key: 'perDay' },
];

export interface SlotDecision {
  /** 0 when an attempt may start now. */
  waitMs: number;
  /** True when a window is at its limit (not just pacing the next attempt). */
  full?: boolean;
  /** The window that is full, when waiting. */
  window: RateWindow | undefined;
  /** Attempts in each window right now. */
  used: Record<RateWindow, number>;
}

export function nextSlot(store: StateStore, limits: RateLimits, now: Date): SlotDecision {
  let waitMs = 0;
  let window: RateWindow | undefined;
  const used = { minute: 0, hour: 0, day: 0 };
  for (const w of WINDOWS) {
    const since = new Date(now.getTime() - w.ms);
    const count = store.attemptsSince(since);
    used[w.name] = count;
    const limit = limits[w.key];
    if (count >= limit) {
      // The window frees up when its oldest attempt inside the limit leaves it.
      const oldest = store.attemptTimeAt(since, count - limit);
      const frees = oldest ? oldest.getTime() + w.ms - now.getTime() + 1 : 1;
      if (frees > waitMs) {
        waitMs = frees;
        window = w.name;
      }
    }
  }
  return { waitMs, window, used };
}

/**
 * The same decision as nextSlot, in memory: attempt times of the last day are loaded once from the
 * ledger (this run holds the send lock, so nobody else adds any), then every attempt this run starts
 * is recorded here as well as in the ledger. O(log n) per check instead of a scan.
 */
export class RateTracker {
  private times: number[];

  constructor(
    store: StateStore,
    private readonly limits: RateLimits,
    now: Date,
  ) {
    this.times = store.attemptTimesSince(new Date(now.getTime() - 86_400_000)).map((d) => d.getTime());
  }

  private countSince(t: number): number {
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! > t) hi = mid;
      else lo = mid + 1;
    }
    return this.times.length - lo;
  }

  next(now: Date): SlotDecision {
    const t = now.getTime();
    let waitMs = 0;
    let window: RateWindow | undefined;
    const used = { minute: 0, hour: 0, day: 0 };
    // Even pacing inside the minute (plus 1%): no bursts, so a receiver never sees more than the
    // limit in any 60 s window even when messages queue behind each other in the pool.
    const last = this.times[this.times.length - 1];
    const spacing = (60_000 / this.limits.perMinute) * 1.01;
    let full = false;
    if (last !== undefined && t - last < spacing) {
      waitMs = Math.ceil(last + spacing - t);
      window = 'minute';
    }
    for (const w of WINDOWS) {
      const count = this.countSince(t - w.ms);
      used[w.name] = count;
      const limit = this.limits[w.key];
      if (count >= limit) {
        full = true;
        const oldest = this.times[this.times.length - limit]!;
        const frees = oldest + w.ms - t + 1;
        if (frees > waitMs) {
          waitMs = frees;
          window = w.name;
        }
      }
    }
    return { waitMs, window, used, full };
  }

  record(at: Date): void {
    const t = at.getTime();
    // Keep the array sorted (clocks only move forward here) and drop what no window can see.
    if (this.times.length && t < this.times[this.times.length - 1]!) {
      this.times.push(t);
      this.times.sort((a, b) => a - b);
    } else {
      this.times.push(t);
    }
    if (this.times.length > 4 * this.limits.perDay + 1000) this.times = this.times.slice(this.countSince(t - 86_400_000) > 0 ? this.times.length - this.countSince(t - 86_400_000) : this.times.length);
  }
}

/** When `count` more messages can have been started, given the limits and what the ledger holds. */
export function estimateFinish(store: StateStore, limits: RateLimits, now: Date, count: number): Date {
  if (count <= 0) return now;
  // Fast path: everything fits in what is left of every window.
  const room = Math.min(...WINDOWS.map((w) => limits[w.key] - store.attemptsSince(new Date(now.getTime() - w.ms))));
  if (count <= room) return now;
  // Simulate slot by slot against the existing attempts plus the planned ones.
  const existing = store.attemptTimesSince(new Date(now.getTime() - 86_400_000)).map((d) => d.getTime());
  const planned: number[] = [];
  let t = now.getTime();
  for (let i = 0; i < count; i++) {
    for (;;) {
      let wait = 0;
      for (const w of WINDOWS) {
        const inWindow = [...existing, ...planned].filter((x) => x > t - w.ms).sort((a, b) => a - b);
        const limit = limits[w.key];
        if (inWindow.length >= limit) wait = Math.max(wait, inWindow[inWindow.length - limit]! + w.ms - t + 1);
      }
      if (wait === 0) break;
      t += wait;
    }
    planned.push(t);
    if (planned.length > 5000) {
      // Beyond a day's worth, extrapolate at the daily rate instead of simulating.
      const rest = count - i - 1;
      return new Date(t + Math.ceil(rest / limits.perDay) * 86_400_000);
    }
  }
  return new Date(t);
}
