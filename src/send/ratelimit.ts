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
    const times = store.attemptTimesSince(new Date(now.getTime() - w.ms));
    used[w.name] = times.length;
    const limit = limits[w.key];
    if (times.length >= limit) {
      // The window frees up when its oldest attempt inside the limit leaves it.
      const frees = times[times.length - limit]!.getTime() + w.ms - now.getTime() + 1;
      if (frees > waitMs) {
        waitMs = frees;
        window = w.name;
      }
    }
  }
  return { waitMs, window, used };
}

/** When `count` more messages can have been started, given the limits and what the ledger holds. */
export function estimateFinish(store: StateStore, limits: RateLimits, now: Date, count: number): Date {
  if (count <= 0) return now;
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
