/**
 * mailops send against a real SMTP server on loopback (smtp-server), real SQLite and the real
 * pipeline; the clock is injected where rate limits are checked, so nothing waits.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSendCommand, type SendRunOptions } from '../commands/send/run.js';
import { analyzeMessage } from '../ingest/analyze.js';
import { StateStore } from '../store/store.js';
import { startSmtpSink, type SmtpSink } from '../testing/smtp-sink.js';
import { deriveRecipientId } from './list.js';
import { startListmonkDouble } from '../testing/listmonk-double.js';

let sink: SmtpSink;
beforeEach(async () => {
  sink = await startSmtpSink();
});
afterEach(async () => sink.close());

function setup(rows: string[], over: Partial<SendRunOptions> = {}): SendRunOptions {
  const dir = mkdtempSync(path.join(tmpdir(), 'mailops-send-'));
  writeFileSync(path.join(dir, 'list.csv'), ['email,first_name,company', ...rows].join('\n'));
  writeFileSync(path.join(dir, 'intro.md'), 'Hi {{first_name}},\n\nA question about **{{company}}**.\n\nDana');
  return {
    dataDir: path.join(dir, 'data'),
    mode: 'test',
    list: path.join(dir, 'list.csv'),
    template: path.join(dir, 'intro.md'),
    subject: 'Quick question, {{first_name}}',
    campaignId: 'q4-fintech',
    via: 'smtp',
    scope: 'ever',
    limit: undefined,
    dryRun: false,
    noWait: false,
    retryInDoubt: false,
    limits: { perMinute: 1000, perHour: 10000, perDay: 100000 },
    concurrency: 2,
    retries: 3,
    maxConsecutiveFailures: 10,
    fromEmail: 'dana@sourceww.com',
    fromName: 'Dana Whitfield',
    replyLocalpart: 'campaign',
    replyDomain: 'sourceww.com',
    unsubscribeUrl: undefined,
    smtp: { host: '127.0.0.1', port: sink.port, tls: 'none', tlsInsecure: false, user: undefined, pass: undefined, concurrency: 2 },
    listmonk: { url: undefined, user: undefined, token: undefined },
    ...over,
  };
}
const noSleep = async () => undefined;

describe('mailops send over SMTP', () => {
  it('sends every message with the exact headers the reply side parses back', async () => {
    const o = setup(['jane@acme.com,Jane,"Acme & <Co>"']);
    const r = await runSendCommand({ ...o, unsubscribeUrl: 'https://sourceww.com/u' }, { sleep: noSleep });
    expect(r.summary).toMatchObject({ sent: 1, failed: 0, inDoubt: 0 });
    const raw = sink.messages[0]!.raw.replace(/\r?\n[ \t]+/g, ' '); // unfold header lines
    const rid = deriveRecipientId('q4-fintech', 'jane@acme.com');
    expect(raw).toMatch(new RegExp(`^Message-ID: <c-q4-fintech-r-${rid}@sourceww\\.com>`, 'm'));
    expect(raw).toMatch(new RegExp(`^Reply-To: campaign\\+${rid}@sourceww\\.com`, 'm'));
    expect(raw).toMatch(/^X-Campaign-Id: q4-fintech/im); // header names are case-insensitive (nodemailer writes X-Campaign-ID)
    expect(raw).toMatch(new RegExp(`^X-Recipient-Id: ${rid}`, 'im'));
    expect(raw).toMatch(new RegExp(`^List-Unsubscribe: <mailto:campaign\\+unsubscribe-${rid}@sourceww\\.com\\?subject=unsubscribe>,\\s+<https://sourceww\\.com/u\\?c=q4-fintech&r=${rid}>`, 'm'));
    expect(raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click/m);
    expect(raw).toMatch(/^From: Dana Whitfield <dana@sourceww\.com>/m);
    expect(raw).toMatch(/^Subject: Quick question, Jane/m);
    expect(raw).toMatch(/^Date: /m);
    expect(raw).toMatch(/^MIME-Version: 1\.0/m);
    expect(raw).not.toMatch(/X-Auto-Response-Suppress/i);
    expect(raw).toContain('Acme &amp; &lt;Co&gt;'); // HTML part escapes the field
    expect(sink.messages[0]!.to).toEqual(['jane@acme.com']);

    // A reply to it is attributed by the ingest side, both through In-Reply-To and the Reply-To tag.
    const reply = Buffer.from(
      `From: Jane <jane@acme.com>\nTo: campaign+${rid}@sourceww.com\nSubject: Re: Quick question\nIn-Reply-To: <c-q4-fintech-r-${rid}@sourceww.com>\nMessage-ID: <r1@acme.com>\nDate: Tue, 3 Nov 2026 10:00:00 +0000\n\nYes, call me.\n\nJane Roe\n`,
    );
    const a = await analyzeMessage(reply, undefined, { ownDomains: [], replyLocalpart: 'campaign', defaultRegion: 'US' });
    expect(a.rows[0]).toMatchObject({ campaign_id: 'q4-fintech', recipient_id: rid, contact_email: 'jane@acme.com' });
  });

  it('skips suppressed, invalid, duplicate and already-sent addresses; --scope campaign allows one per campaign', async () => {
    const o = setup(['a@x.com,A,X', 'b@x.com,B,X', 'nope,C,X', 'A@X.com,A2,X', 'c@x.com,C,X']);
    const store = StateStore.open(o.dataDir);
    store.suppress('b@x.com', 'complaint', null, null);
    store.close();
    const first = await runSendCommand(o, { sleep: noSleep });
    expect(first.summary).toMatchObject({ sent: 2 });
    expect(first.plan.skippedBy).toEqual({ 'invalid-email': 1, duplicate: 1, suppressed: 1 });
    const again = await runSendCommand(o, { sleep: noSleep });
    expect(again.summary).toBeUndefined();
    expect(again.plan.skippedBy['already-sent']).toBe(2);
    const otherCampaignEver = await runSendCommand({ ...o, campaignId: 'q1-followup' }, { sleep: noSleep });
    expect(otherCampaignEver.plan.toSend).toHaveLength(0);
    const perCampaign = await runSendCommand({ ...o, campaignId: 'q1-followup', scope: 'campaign' }, { sleep: noSleep });
    expect(perCampaign.summary).toMatchObject({ sent: 2 });
    expect(sink.messages).toHaveLength(4);
  });

  it('never starts more than the per-minute limit in any 60 s window (injected clock)', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => `r${i}@x.com,R${i},X`);
    const o = setup(rows, { limits: { perMinute: 3, perHour: 100, perDay: 1000 }, concurrency: 3 });
    let t = Date.parse('2026-11-03T09:00:00Z');
    const now = () => new Date(t);
    const sleep = async (ms: number) => {
      t += ms;
    };
    const r = await runSendCommand(o, { now, sleep });
    expect(r.summary).toMatchObject({ sent: 10 });
    const store = StateStore.open(o.dataDir);
    const times = store.attemptTimesSince(new Date(0)).map((d) => d.getTime());
    store.close();
    for (const start of times) expect(times.filter((x) => x >= start && x < start + 60_000).length).toBeLessThanOrEqual(3);
    expect(t - Date.parse('2026-11-03T09:00:00Z')).toBeGreaterThanOrEqual(3 * 60_000);
  });

  it('--no-wait stops at the limit with the rest left for the next run, sharing the window across runs', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => `w${i}@x.com,W${i},X`);
    const o = setup(rows, { limits: { perMinute: 2, perHour: 100, perDay: 1000 }, noWait: true, concurrency: 1 });
    let t = Date.parse('2026-11-03T09:00:00Z');
    const clock = { now: () => new Date(t), sleep: async (ms: number) => void (t += ms) };
    const first = await runSendCommand(o, clock);
    expect(first.summary).toMatchObject({ sent: 2, stoppedBecause: 'rate-limit', notStarted: 3 });
    t += 1_000; // a second cron run in the same minute shares its budget
    const sameMinute = await runSendCommand(o, clock);
    expect(sameMinute.summary).toMatchObject({ sent: 0, stoppedBecause: 'rate-limit' });
    t += 61_000;
    const later = await runSendCommand(o, clock);
    expect(later.summary).toMatchObject({ sent: 2 });
  });

  it('paces sends evenly inside the minute (no bursts)', async () => {
    const rows = Array.from({ length: 4 }, (_, i) => `p${i}@x.com,P${i},X`);
    const o = setup(rows, { limits: { perMinute: 6, perHour: 100, perDay: 1000 }, concurrency: 4 });
    let t = Date.parse('2026-11-03T09:00:00Z');
    await runSendCommand(o, { now: () => new Date(t), sleep: async (ms: number) => void (t += ms) });
    const store = StateStore.open(o.dataDir);
    const times = store.attemptTimesSince(new Date(0)).map((d) => d.getTime());
    store.close();
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(10_000);
  });

  it('retries a 4xx then succeeds; a 5.1.1 fails and suppresses the address', async () => {
    sink.rules.set('flaky@x.com', { code: 451, message: '4.3.0 try again later', times: 2 });
    sink.rules.set('gone@x.com', { code: 550, message: '5.1.1 <gone@x.com>: Recipient address rejected: User unknown' });
    const o = setup(['flaky@x.com,F,X', 'gone@x.com,G,X']);
    const r = await runSendCommand(o, { sleep: noSleep });
    expect(r.summary).toMatchObject({ sent: 1, failed: 1, suppressedNow: 1 });
    const store = StateStore.open(o.dataDir);
    expect(store.getSend('flaky@x.com', 'q4-fintech')).toMatchObject({ status: 'sent', attempts: 3 });
    expect(store.getSend('gone@x.com', 'q4-fintech')).toMatchObject({ status: 'failed' });
    expect(store.getSend('gone@x.com', 'q4-fintech')?.last_response).toMatch(/5\.1\.1/);
    expect(store.getSuppression('gone@x.com')?.reason).toBe('hard-bounce');
    expect(store.getSend('flaky@x.com', 'q4-fintech')?.transport_id).toMatch(/^Q/);
    store.close();
  });

  it('--retry-in-doubt resends in-doubt recipients deliberately, and only then', async () => {
    const o = setup(['d@x.com,D,X']);
    const store = StateStore.open(o.dataDir);
    store.beginSend({ email: 'd@x.com', campaignId: 'q4-fintech', recipientId: deriveRecipientId('q4-fintech', 'd@x.com'), messageId: '<m>', transport: 'smtp' }, new Date());
    store.close(); // the process "died" while sending
    const plain = await runSendCommand(o, { sleep: noSleep });
    expect(plain.recoveredInDoubt).toBe(1);
    expect(plain.plan.skippedBy['in-doubt']).toBe(1);
    expect(sink.messages).toHaveLength(0);
    const retried = await runSendCommand({ ...o, retryInDoubt: true }, { sleep: noSleep });
    expect(retried.summary).toMatchObject({ sent: 1 });
    expect(sink.messages).toHaveLength(1);
  });

  it('attributes a reply through the server id the relay substituted for our Message-ID (SES)', async () => {
    const o = setup(['s@x.com,S,X']);
    await runSendCommand(o, { sleep: noSleep });
    const store = StateStore.open(o.dataDir);
    const send = store.getSend('s@x.com', 'q4-fintech')!;
    store.db.prepare('UPDATE sends SET transport_id = ? WHERE id = ?').run('0100018c1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d-000000', send.id);
    store.close();
    const dir = path.dirname(o.list);
    const reply = `From: S <s@x.com>\nTo: dana@sourceww.com\nSubject: Re: hi\nIn-Reply-To: <0100018c1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d-000000@email.amazonses.com>\nMessage-ID: <ses-reply@x.com>\nDate: Tue, 3 Nov 2026 10:00:00 +0000\n\nYes please.\n\nS Smith\n`;
    writeFileSync(path.join(dir, 'reply.eml'), reply);
    const { runIngestCommand } = await import('../commands/ingest/run.js');
    const summary = await runIngestCommand({ paths: [path.join(dir, 'reply.eml')], dataDir: o.dataDir, csvPath: path.join(dir, 'c.csv'), ownDomains: [], replyLocalpart: 'campaign', defaultRegion: 'US', maxMessageBytes: 1 << 20, softBounceLimit: 3, softBounceWindowDays: 30, reprocess: false, dryRun: false });
    expect(summary.rowsWritten).toBe(1);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path.join(dir, 'c.csv'), 'utf8')).toContain(`q4-fintech,${send.recipient_id}`);
  });

  it('finds a missing template field before anything is sent', async () => {
    const o = setup(['a@x.com,A,X']);
    writeFileSync(o.template, 'Hi {{first_name}} from {{city}}');
    await expect(runSendCommand(o, { sleep: noSleep })).rejects.toThrow(/\{\{city\}\}.*no such column/);
    expect(sink.messages).toHaveLength(0);
  });

  it('refuses a non-local SMTP host in test mode', async () => {
    const o = setup(['a@x.com,A,X']);
    await expect(runSendCommand({ ...o, smtp: { ...o.smtp, host: 'email-smtp.eu-west-1.amazonaws.com' } })).rejects.toThrow(/MODE=test sends only to the local Mailpit sink/);
  });
});

// Listmonk cannot run here: these tests use a contract double of its documented HTTP API
// (src/testing/listmonk-double.ts), which rejects malformed requests the way Listmonk does.
describe('mailops send --via listmonk (against a Listmonk API double)', () => {
  it('upserts subscribers into the campaign list and sends one /api/tx per recipient with our headers', async () => {
    const lm = await startListmonkDouble('v6.1.0');
    try {
      const o = setup(['a@x.com,Ann,Acme', 'b@x.com,Bob,Beta'], { via: 'listmonk', listmonk: { url: lm.url, user: lm.user, token: lm.token } });
      lm.subscribers.push({ id: 900, email: 'b@x.com', name: 'Bob Old', status: 'enabled', lists: [], attribs: { source: 'crm' } });
      const info: string[] = [];
      const r = await runSendCommand(o, { sleep: noSleep, info: (l) => info.push(l) });
      expect(r.summary).toMatchObject({ sent: 2, failed: 0 });
      expect(info.join()).toMatch(/Listmonk 6\.1\.0: one \/api\/tx call per recipient/);
      expect(lm.lists.map((l) => l.name)).toEqual(['mailops-q4-fintech']);
      expect(lm.templates).toEqual([expect.objectContaining({ name: 'mailops-tx', type: 'tx' })]);
      expect(lm.subscribers).toHaveLength(2); // b@x.com updated, not duplicated
      const bob = lm.subscribers.find((s) => s.email === 'b@x.com')!;
      expect(bob.attribs).toMatchObject({ source: 'crm', recipient_id: deriveRecipientId('q4-fintech', 'b@x.com') });
      expect(bob.lists).toContain(lm.lists[0]!.id);
      const rid = deriveRecipientId('q4-fintech', 'a@x.com');
      const call = lm.tx.find((t) => t.subscriber_email === 'a@x.com')!;
      expect(call.subject).toBe('Quick question, Ann');
      expect(call.headers).toEqual(
        expect.arrayContaining([
          { 'Message-Id': `<c-q4-fintech-r-${rid}@sourceww.com>` },
          { 'Reply-To': `campaign+${rid}@sourceww.com` },
          { 'X-Campaign-Id': 'q4-fintech' },
          { 'X-Recipient-Id': rid },
          { 'List-Unsubscribe': `<mailto:campaign+unsubscribe-${rid}@sourceww.com?subject=unsubscribe>` },
        ]),
      );
      expect(call.data.html).toContain('<strong>Acme</strong>');
      expect(sink.messages).toHaveLength(0); // nothing went through SMTP
    } finally {
      await lm.close();
    }
  });

  it('retries a Listmonk 500 on /api/tx, and stops with exit 4 on bad credentials before sending', async () => {
    const lm = await startListmonkDouble('v6.2.0');
    try {
      lm.failNextTx = 2;
      const o = setup(['a@x.com,Ann,Acme'], { via: 'listmonk', listmonk: { url: lm.url, user: lm.user, token: lm.token, path: 'tx' } });
      const r = await runSendCommand(o, { sleep: noSleep });
      expect(r.summary).toMatchObject({ sent: 1 });
      expect(lm.tx).toHaveLength(1);
      const bad = setup(['b@x.com,B,X'], { via: 'listmonk', listmonk: { url: lm.url, user: lm.user, token: 'wrong' } });
      await expect(runSendCommand(bad, { sleep: noSleep })).rejects.toMatchObject({ exitCode: 4 });
      expect(lm.tx).toHaveLength(1);
    } finally {
      await lm.close();
    }
  });
});

describe('mailops send --via listmonk on 6.2+ (campaign path, against the API double)', () => {
  it('runs one campaign over a list of this run only, with headers rendered per subscriber', async () => {
    const lm = await startListmonkDouble('v6.2.0');
    try {
      const o = setup(['a@x.com,Ann,Acme', 'b@x.com,Bob,<Beta>'], { via: 'listmonk', listmonk: { url: lm.url, user: lm.user, token: lm.token, pollMs: 1 } });
      const info: string[] = [];
      const r = await runSendCommand(o, { sleep: noSleep, info: (l) => info.push(l) });
      expect(info.join()).toMatch(/one campaign for this run, headers templated per subscriber/);
      expect(r.summary).toMatchObject({ sent: 2, inDoubt: 0 });
      expect(lm.tx).toHaveLength(0);
      expect(lm.campaigns).toHaveLength(1);
      expect(lm.delivered).toHaveLength(2);
      for (const email of ['a@x.com', 'b@x.com']) {
        const rid = deriveRecipientId('q4-fintech', email);
        const m = lm.delivered.find((x) => x.to === email)!;
        expect(m.headers).toMatchObject({
          'Message-Id': `<c-q4-fintech-r-${rid}@sourceww.com>`,
          'Reply-To': `campaign+${rid}@sourceww.com`,
          'X-Campaign-Id': 'q4-fintech',
          'X-Recipient-Id': rid,
          'List-Unsubscribe': `<mailto:campaign+unsubscribe-${rid}@sourceww.com?subject=unsubscribe>`,
        });
      }
      expect(lm.delivered.find((x) => x.to === 'b@x.com')!.body).toContain('&lt;Beta&gt;'); // rendered and escaped by mailops
      expect(lm.delivered.find((x) => x.to === 'a@x.com')!.subject).toBe('Quick question, Ann');
      const store = StateStore.open(o.dataDir);
      expect(store.getSend('a@x.com', 'q4-fintech')).toMatchObject({ status: 'sent' });
      store.close();
      // A second run sends to nobody: the ledger knows, and a new run gets a new list.
      const again = await runSendCommand(o, { sleep: noSleep });
      expect(again.summary).toBeUndefined();
      expect(lm.delivered).toHaveLength(2);
    } finally {
      await lm.close();
    }
  });

  it('refuses --listmonk-path campaign on an older server', async () => {
    const lm = await startListmonkDouble('v6.1.0');
    try {
      const o = setup(['a@x.com,Ann,Acme'], { via: 'listmonk', listmonk: { url: lm.url, user: lm.user, token: lm.token, path: 'campaign' } });
      await expect(runSendCommand(o, { sleep: noSleep })).rejects.toThrow(/needs Listmonk 6\.2/);
      expect(lm.delivered).toHaveLength(0);
    } finally {
      await lm.close();
    }
  });
});
