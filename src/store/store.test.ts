import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateStore } from './store.js';

const day = 86_400_000;

describe('StateStore', () => {
  it('suppresses after the third soft bounce within 30 days, not before, not for older ones', () => {
    const store = StateStore.open(mkdtempSync(path.join(tmpdir(), 'mailops-store-')));
    const t0 = Date.parse('2026-10-01T00:00:00Z');
    expect(store.recordBounce('a@x.com', false, '4.2.2', 'mailboxfull', 'm1', new Date(t0), 30)).toBe(1);
    expect(store.recordBounce('a@x.com', false, '4.2.2', 'mailboxfull', 'm1', new Date(t0), 30)).toBe(1); // same message twice counts once
    expect(store.recordBounce('a@x.com', false, '4.2.2', 'mailboxfull', 'm2', new Date(t0 + 40 * day), 30)).toBe(1); // m1 is outside the window
    expect(store.recordBounce('a@x.com', false, '4.2.2', 'mailboxfull', 'm3', new Date(t0 + 45 * day), 30)).toBe(2);
    expect(store.recordBounce('a@x.com', false, '4.2.2', 'mailboxfull', 'm4', new Date(t0 + 50 * day), 30)).toBe(3);
    store.close();
  });

  it('keeps the first reason for a suppressed address and can lift it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mailops-store-'));
    const store = StateStore.open(dir);
    expect(store.suppress('A@X.com', 'hard-bounce', '<m1>', '5.1.1')).toBe(true);
    expect(store.suppress('a@x.com', 'complaint', '<m2>', null)).toBe(false);
    expect(store.getSuppression('a@x.com')?.reason).toBe('hard-bounce');
    store.close();
    const again = StateStore.open(dir); // migrations are idempotent
    expect(again.listSuppressions()).toHaveLength(1);
    expect(again.unsuppress('a@x.com')).toBe(true);
    expect(again.listSuppressions()).toHaveLength(0);
    again.close();
  });
});
