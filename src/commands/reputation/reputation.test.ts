/**
 * Reputation from a real send ledger (SQLite), with blocklist lookups against a real DNS server on
 * loopback (dns2). The list verdicts themselves are tested in src/dns/blocklists.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateStore } from '../../store/store.js';
import { startDnsServer, type DnsServer } from '../../testing/dns-server.js';
import { runReputation, senderScore } from './run.js';

let dns: DnsServer;
beforeAll(async () => {
  dns = await startDnsServer({
    '2.0.0.127.zen.spamhaus.org': { A: ['127.0.0.2', '127.0.0.10'] }, // the standard test entry: listed
    '10.2.0.192.zen.spamhaus.org': { A: ['127.255.255.254'] }, // "public resolver" error code: unknown, not listed
    '2.0.0.127.bl.spamcop.net': { A: ['127.0.0.2'] },
  });
});
afterAll(async () => dns.close());

const thresholds = { maxBounceRate: 0.05, maxComplaintRate: 0.001, minDeliveryRate: 0.95 };

describe('mailops reputation', () => {
  it('computes rates and the sender score from the ledger, with the formula, and says which thresholds are crossed', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mailops-rep-'));
    const store = StateStore.open(dataDir);
    const t = new Date(Date.now() - 3600_000);
    for (let i = 0; i < 100; i++) {
      const row = store.beginSend({ email: `p${i}@x.com`, campaignId: i < 50 ? 'a' : 'b', recipientId: `r${i}`, messageId: `<m${i}>`, transport: 'smtp' }, t);
      store.finishSend(row.id, 'sent', { response: '250' }, t);
    }
    for (let i = 0; i < 8; i++) store.recordBounce(`p${i}@x.com`, true, '5.1.1', 'userunknown', `<b${i}>`, new Date(), 30);
    store.close();
    const r = await runReputation(dataDir, { thresholds, ips: [] });
    expect(r).toMatchObject({ sent: 100, bounced: 8, complaints: 0 });
    expect(r.bounceRate).toBeCloseTo(0.08, 5);
    expect(r.penalties.bounces).toBeCloseTo(30, 5); // (8% − 5%) / 5% × 50
    expect(r.penalties.delivery).toBeCloseTo(12, 5); // (95% − 92%) / 5% × 20
    expect(r.score).toBe(58);
    expect(r.formula).toMatch(/= 58$/);
    expect(r.crossed).toEqual([expect.stringMatching(/^bounce rate 8\.00% > 5\.00%/), expect.stringMatching(/^delivery rate 92\.00% < 95\.00%/)]);
    expect(r.campaigns.map((c) => [c.campaign, c.sent, c.bounced])).toEqual([['a', 50, 8], ['b', 50, 0]]);
  });

  it('counts a bounce or complaint once, against the latest send before it, however many campaigns mailed the address', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mailops-rep-'));
    const store = StateStore.open(dataDir);
    const days = ['2026-11-01T10:00:00Z', '2026-11-08T10:00:00Z', '2026-11-15T10:00:00Z'];
    for (const [i, c] of ['a', 'b', 'c'].entries()) {
      for (let k = 0; k < 10; k++) {
        const row = store.beginSend({ email: `p${k}@x.com`, campaignId: c, recipientId: `${c}${k}`, messageId: `<${c}${k}>`, transport: 'smtp' }, new Date(days[i]!));
        store.finishSend(row.id, 'sent', { response: '250' }, new Date(days[i]!));
      }
    }
    store.recordBounce('p1@x.com', true, '5.1.1', 'userunknown', '<bounce-1>', new Date('2026-11-09T00:00:00Z'), 30); // after campaign b
    store.suppress('p2@x.com', 'complaint', '<arf-1>', 'abuse report', new Date('2026-11-16T00:00:00Z')); // after campaign c
    store.close();
    const r = await runReputation(dataDir, { thresholds, ips: [] });
    expect(r).toMatchObject({ sent: 30, bounced: 1, complaints: 1 });
    expect(r.campaigns.map((c) => [c.campaign, c.bounced, c.complaints])).toEqual([['a', 0, 0], ['b', 1, 0], ['c', 0, 1]]);
    expect(r.daily.map((d) => [d.day, d.sent, d.bounced])).toEqual([['2026-11-01', 10, 0], ['2026-11-08', 10, 1], ['2026-11-15', 10, 0]]);
  });

  it('takes 50 off when a blocklist lists the sending IP', async () => {
    expect(senderScore({ sent: 10, bounced: 0, complaints: 0, bounceRate: 0, complaintRate: 0, deliveryRate: 1 }, true).score).toBe(50);
    const r = await runReputation(mkdtempSync(path.join(tmpdir(), 'mailops-rep-')), { thresholds, ips: ['127.0.0.2'], resolver: dns.server });
    expect(r.blocklists.filter((b) => b.verdict === 'listed').map((b) => b.list).sort()).toEqual(['SpamCop', 'Spamhaus ZEN']);
    expect(r.score).toBe(50);
    expect(r.crossed.some((c) => /Spamhaus ZEN/.test(c))).toBe(true);
  });
});
