/**
 * An SMTP server under the tests' control (smtp-server on loopback): records every accepted message
 * (envelope and raw source), can answer 4xx/5xx per recipient, and can be slowed down. Runs
 * in-process, or as a separate process (`smtp-sink-main.js`) that appends each message to a JSONL
 * file, so a test can kill the sender at any moment and still count what the server accepted.
 */
import { appendFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SinkMessage {
  from: string;
  to: string[];
  raw: string;
  messageId: string | undefined;
  at: string;
}

export interface SinkRule {
  /** Answer this for the recipient; `times` limits how often (then accept). */
  code: number;
  message: string;
  times?: number;
}

export interface SmtpSink {
  port: number;
  messages: SinkMessage[];
  rules: Map<string, SinkRule>;
  close(): Promise<void>;
}

export interface SinkOptions {
  delayMs?: number;
  logFile?: string;
  rules?: Record<string, SinkRule>;
}

export async function startSmtpSink(opts: SinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const rules = new Map(Object.entries(opts.rules ?? {}));
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, cb) {
      const rule = rules.get(address.address.toLowerCase());
      if (rule && (rule.times === undefined || rule.times > 0)) {
        if (rule.times !== undefined) rule.times--;
        const err = Object.assign(new Error(rule.message), { responseCode: rule.code });
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const msg: SinkMessage = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          raw,
          messageId: /^message-id:\s*(<[^>]+>)/im.exec(raw)?.[1],
          at: new Date().toISOString(),
        };
        const accept = () => {
          messages.push(msg);
          if (opts.logFile) appendFileSync(opts.logFile, `${JSON.stringify({ to: msg.to, messageId: msg.messageId, at: msg.at })}\n`);
          cb(null, `Ok: queued as Q${messages.length.toString(36).toUpperCase()}${Date.now().toString(36)}`);
        };
        if (opts.delayMs) setTimeout(accept, opts.delayMs);
        else accept();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    messages,
    rules,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
