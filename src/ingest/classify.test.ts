import { describe, expect, it } from 'vitest';
import { analyzeMessage } from './analyze.js';
import { bounceReason } from './classify.js';

const ctx = { ownDomains: ['sourceww.com'], replyLocalpart: 'campaign', defaultRegion: 'US' as const };
const mail = (headers: string, body: string) => Buffer.from(`${headers}\nMessage-ID: <m${Math.random()}@x>\nDate: Tue, 03 Nov 2026 09:15:00 +0000\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n${body}\n`);

describe('classify', () => {
  it('a human who was out last week is not an auto-reply', async () => {
    const a = await analyzeMessage(mail('From: Jane Roe <jane@acme.com>\nTo: campaign+r1@sourceww.com\nSubject: Re: Partnership', 'Sorry for the slow answer, I was out of office last week.\nLet us talk on Monday.\n\nJane'), undefined, ctx);
    expect(a.kind).toBe('human');
    expect(a.rows[0]?.is_ooo).toBe('false');
  });
  it('an Exchange out-of-office without Auto-Submitted is an auto-reply', async () => {
    const a = await analyzeMessage(
      mail('From: Jane Roe <jane@acme.com>\nTo: campaign+r1@sourceww.com\nSubject: Automatic reply: Partnership\nX-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: jane@acme.com', 'I am out of the office until Monday.'),
      undefined,
      ctx,
    );
    expect(a.kind).toBe('auto-reply');
    expect(a.rows[0]?.is_ooo).toBe('true');
  });
  it('a DSN is a bounce even with Auto-Submitted: auto-replied, and suppresses on a hard failure', async () => {
    const raw = Buffer.from(
      [
        'From: Mail Delivery System <MAILER-DAEMON@mx.acme.com>',
        'To: campaign+r1@sourceww.com',
        'Subject: Undelivered Mail Returned to Sender',
        'Auto-Submitted: auto-replied',
        'Message-ID: <dsn1@mx.acme.com>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
        '',
        '--B',
        'Content-Type: text/plain',
        '',
        'Your message could not be delivered.',
        '--B',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.acme.com',
        '',
        'Final-Recipient: rfc822; gone@acme.com',
        'Action: failed',
        'Status: 5.1.1',
        'Diagnostic-Code: smtp; 550 5.1.1 <gone@acme.com>: Recipient address rejected: User unknown',
        '--B--',
        '',
      ].join('\r\n'),
    );
    const a = await analyzeMessage(raw, undefined, ctx);
    expect(a.kind).toBe('bounce');
    expect(a.rows).toEqual([]);
    expect(a.suppressions).toEqual([expect.objectContaining({ email: 'gone@acme.com', reason: 'hard-bounce' })]);
  });
});

describe('bounceReason', () => {
  it.each([
    ['5.1.1', '550 5.1.1 <a@b.c>: Recipient address rejected: User unknown in virtual mailbox table', 'userunknown', true],
    ['5.2.2', '552 5.2.2 Mailbox full', 'mailboxfull', false],
    ['4.4.7', 'Delivery expired (message too old)', 'expired', false],
    ['5.7.1', '550 5.7.1 Message rejected as spam', 'spamdetected', false],
    ['5.1.8', '553 5.1.8 Domain of sender address does not exist', 'rejected', false],
    ['5.4.4', 'Host or domain name not found. Name service error for name=nope.example', 'hostunknown', true],
    ['4.0.0', 'DNS Error: DNS type mx lookup of example.jp responded with code NXDOMAIN', 'networkerror', false],
  ])('%s %s → %s', (status, text, reason, hard) => {
    expect(bounceReason(status, text)).toEqual({ reason, hard });
  });
});
