/**
 * The SMTP transport: a nodemailer pool (logger off) to SMTP_HOST. Failures are classified from the
 * fields nodemailer sets: a 4xx reply or a connection problem before the message was handed over is
 * transient; a 5xx reply is permanent; a connection lost while the message was being transferred is
 * in doubt (the server may have taken it), so it is never retried automatically.
 */
import nodemailer from 'nodemailer';
import type { OutgoingMessage } from '../compose.js';
import { SendFailure, type SendResult, type Transport } from './types.js';

export interface SmtpOptions {
  host: string;
  port: number;
  tls: 'none' | 'starttls' | 'tls';
  tlsInsecure: boolean;
  user: string | undefined;
  pass: string | undefined;
  concurrency: number;
}

/** The server's id for the message: "250 2.0.0 Ok: queued as 4Xyz", "250 Ok 0100018c…" (SES), "<id>". */
export function transportIdOf(response: string): string | undefined {
  return (
    /queued as\s+([^\s;]+)/i.exec(response)?.[1] ??
    /^250[ -](?:[\d.]+\s+)?Ok\s+<?([0-9a-f][0-9a-f-]{15,})>?/i.exec(response)?.[1] ??
    /<([^<>\s]+)>\s*$/.exec(response)?.[1]
  );
}

export function classifySmtpError(err: unknown): SendFailure {
  const e = err as { responseCode?: number; response?: string; code?: string; command?: string; message?: string };
  const text = (e.response ?? e.message ?? String(err)).replace(/\s+/g, ' ').trim();
  const enhanced = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(text)?.[0];
  if (e.code === 'EAUTH') return new SendFailure('fatal', `SMTP authentication failed: ${text}`, e.responseCode, enhanced);
  if (typeof e.responseCode === 'number') {
    if (e.responseCode >= 500) return new SendFailure('permanent', text, e.responseCode, enhanced);
    if (e.responseCode >= 400) return new SendFailure('transient', text, e.responseCode, enhanced);
  }
  // No reply code: a network problem. During DATA the message may have been delivered.
  if (e.command === 'DATA' || /DATA/i.test(e.command ?? '')) return new SendFailure('in-doubt', `connection lost while sending the message: ${text}`);
  if (e.code === 'EENVELOPE') return new SendFailure('permanent', text);
  return new SendFailure('transient', text);
}

export function createSmtpTransport(o: SmtpOptions): Transport {
  const transporter = nodemailer.createTransport({
    host: o.host,
    port: o.port,
    secure: o.tls === 'tls',
    requireTLS: o.tls === 'starttls',
    ignoreTLS: o.tls === 'none',
    ...(o.user ? { auth: { user: o.user, pass: o.pass ?? '' } } : {}),
    tls: { rejectUnauthorized: !o.tlsInsecure },
    pool: true,
    maxConnections: o.concurrency,
    maxMessages: 100,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
    logger: false,
    debug: false,
  });
  return {
    name: 'smtp',
    async send(m: OutgoingMessage): Promise<SendResult> {
      try {
        const info = await transporter.sendMail({
          envelope: m.envelope,
          from: m.from,
          to: m.to,
          replyTo: m.replyTo,
          subject: m.subject,
          date: m.date,
          messageId: m.messageId,
          text: m.text,
          ...(m.html ? { html: m.html } : {}),
          headers: m.headers,
        });
        const response = String(info.response ?? '');
        if (info.rejected?.length) throw Object.assign(new Error(`rejected: ${response}`), { responseCode: 550, response });
        return { transportId: transportIdOf(response), response };
      } catch (err) {
        throw err instanceof SendFailure ? err : classifySmtpError(err);
      }
    },
    async close() {
      transporter.close();
    },
  };
}
