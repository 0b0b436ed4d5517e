/**
 * Messages from an IMAP mailbox (Mailcow's Dovecot in production), incremental and cron-safe.
 *
 * Per mailbox the state store remembers UIDVALIDITY and the highest UID whose message is safely
 * processed. A run fetches only newer UIDs, in chunks (sizes first, so an oversized message is
 * quarantined without being downloaded), and yields them one by one. The pipeline acknowledges each
 * message once its rows are committed; only then does the high-water mark advance and is the message
 * tagged with the keyword (or moved). A changed UIDVALIDITY restarts the mailbox from UID 1: the
 * Message-ID ledger makes that lose and duplicate nothing.
 */
import { ImapFlow, type ListResponse } from 'imapflow';
import { ExitCode, MailopsError } from '../../errors.js';
import type { StateStore } from '../../store/store.js';
import type { RawMessage } from './types.js';
import { sleep } from '../../clock.js';

export interface ImapSourceOptions {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  pass: string;
  tlsInsecure: boolean;
  mailboxes: string[];
  allMailboxes: boolean;
  readOnly: boolean;
  moveTo: string | undefined;
  keyword: string;
  maxMessageBytes: number;
  /** Messages fetched per round trip. */
  chunkSize?: number;
  /** Keep running: IDLE for new mail, reconnect after failures, until the abort signal. */
  watch?: boolean;
  /** Seconds between heartbeats in watch mode (0 = none). */
  heartbeatSeconds?: number;
  /** Longest wait before mailboxes are checked again even without an IDLE notification. */
  pollSeconds?: number;
}

export interface ImapLog {
  info(line: string): void;
  warn(line: string): void;
  debug(line: string): void;
}

const SKIP_SPECIAL_USE = new Set(['\\Sent', '\\Drafts', '\\Trash', '\\All', '\\Flagged']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', 'NoConnection', 'ETIMEOUT', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT']);

/** Maps an imapflow / socket / TLS error to a MailopsError with the exit code and the thing to do. */
export function imapError(err: unknown, where: string): MailopsError {
  if (err instanceof MailopsError) return err;
  const e = err as { message?: string; code?: string; authenticationFailed?: boolean; serverResponseCode?: string; responseText?: string };
  const msg = e.responseText || e.message || String(err);
  if (e.authenticationFailed || e.serverResponseCode === 'AUTHENTICATIONFAILED') {
    return new MailopsError('imap-auth', `IMAP login to ${where} failed: ${msg}`, { exitCode: ExitCode.auth, hint: 'Check IMAP_USER and IMAP_PASS in .env (the mailbox user, not the admin).', cause: err });
  }
  const code = e.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME/i.test(code) || /certificate|self.signed|wrong version number|SSL routines|tls/i.test(msg)) {
    const plainOnTls = /wrong version number|packet length too long/i.test(msg);
    return new MailopsError('imap-tls', `TLS with the IMAP server ${where} failed: ${msg}`, {
      exitCode: ExitCode.unavailable,
      hint: plainOnTls
        ? 'IMAP_SSL=true expects implicit TLS (usually port 993); for port 143 set IMAP_SSL=false (STARTTLS is used when offered).'
        : 'Install a certificate the machine trusts, or for a server you control set IMAP_TLS_INSECURE=true.',
      cause: err,
    });
  }
  if (NETWORK_CODES.has(code) || /timed? ?out|connect|socket|closed/i.test(msg)) {
    return new MailopsError('imap-unavailable', `cannot reach the IMAP server ${where}: ${msg}`, {
      exitCode: ExitCode.unavailable,
      hint: 'Is the mail server up (`mailops status`)? Check IMAP_HOST and IMAP_PORT.',
      cause: err,
    });
  }
  return new MailopsError('imap', `IMAP error at ${where}: ${msg}`, { exitCode: ExitCode.failure, cause: err });
}

interface PendingUid {
  uid: number;
  acked: boolean;
}

export class ImapSource implements AsyncIterable<RawMessage> {
  private client: ImapFlow | undefined;
  private readonly account: string;
  private readonly pending = new Map<string, PendingUid[]>();
  private readonly toTag = new Map<string, number[]>();
  private uidValidity = new Map<string, string>();
  fetched = 0;

  constructor(
    private readonly opts: ImapSourceOptions,
    private readonly store: StateStore,
    private readonly log: ImapLog,
    private readonly signal?: AbortSignal,
  ) {
    this.account = `${opts.user}@${opts.host}:${opts.port}`;
  }

  get where(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }

  private newClient(): ImapFlow {
    return new ImapFlow({
      host: this.opts.host,
      port: this.opts.port,
      secure: this.opts.secure,
      auth: { user: this.opts.user, pass: this.opts.pass },
      tls: { rejectUnauthorized: !this.opts.tlsInsecure },
      logger: false,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 5 * 60_000,
      disableAutoIdle: true,
    });
  }

  /** Connects and logs in; on any failure the socket is closed before the error is raised. */
  async connect(): Promise<void> {
    const client = this.newClient();
    client.on('error', (err: Error) => this.log.debug(`imap: ${err.message}`));
    try {
      await client.connect();
    } catch (err) {
      client.close();
      throw imapError(err, this.where);
    }
    this.client = client;
  }

  /** The mailboxes to read: the configured list (checked to exist), or every selectable one. */
  async resolveMailboxes(): Promise<string[]> {
    const client = this.requireClient();
    let list: ListResponse[];
    try {
      list = await client.list();
    } catch (err) {
      throw imapError(err, this.where);
    }
    const selectable = list.filter((m) => !m.flags.has('\\Noselect') && !m.flags.has('\\NonExistent'));
    if (this.opts.allMailboxes) {
      return selectable.filter((m) => !(m.specialUse && SKIP_SPECIAL_USE.has(m.specialUse)) && (!this.opts.moveTo || m.path !== this.opts.moveTo)).map((m) => m.path);
    }
    const byName = new Map(selectable.map((m) => [m.path.toLowerCase(), m.path]));
    const out: string[] = [];
    for (const want of this.opts.mailboxes) {
      const found = byName.get(want.toLowerCase());
      if (!found) {
        throw new MailopsError('imap-mailbox', `mailbox "${want}" does not exist on ${this.where}`, {
          exitCode: ExitCode.usage,
          hint: `Mailboxes there: ${selectable.map((m) => m.path).join(', ')}. Set IMAP_MAILBOXES or use --all-mailboxes.`,
        });
      }
      out.push(found);
    }
    if (this.opts.moveTo && !byName.has(this.opts.moveTo.toLowerCase())) {
      throw new MailopsError('imap-mailbox', `--move-to mailbox "${this.opts.moveTo}" does not exist on ${this.where}`, {
        exitCode: ExitCode.usage,
        hint: `Create it in webmail first. Mailboxes there: ${selectable.map((m) => m.path).join(', ')}.`,
      });
    }
    return out;
  }

  private requireClient(): ImapFlow {
    if (!this.client) throw new MailopsError('imap', 'IMAP client is not connected');
    return this.client;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RawMessage> {
    let mailboxes = await this.resolveMailboxes();
    if (!this.opts.watch) {
      for (const mailbox of mailboxes) {
        if (this.signal?.aborted) return;
        yield* this.readMailbox(mailbox);
      }
      return;
    }
    // Watch: read everything new, tag it, IDLE until the server says something arrived; repeat.
    let failures = 0;
    let lastBeat = Date.now();
    this.log.info(`watching ${mailboxes.join(', ')} on ${this.where}`);
    while (!this.signal?.aborted) {
      try {
        if (!this.client?.usable) {
          await this.reconnect();
          mailboxes = await this.resolveMailboxes();
          this.log.info(`reconnected to ${this.where}`);
        }
        for (const mailbox of mailboxes) {
          if (this.signal?.aborted) return;
          yield* this.readMailbox(mailbox);
          await this.applyAcks(mailbox);
        }
        failures = 0;
        const beat = (this.opts.heartbeatSeconds ?? 0) * 1000;
        if (beat > 0 && Date.now() - lastBeat >= beat) {
          lastBeat = Date.now();
          this.log.info(`${new Date().toISOString()} heartbeat: watching ${mailboxes.length} mailbox(es) on ${this.where}, ${this.fetched} message(s) read so far`);
        }
        await this.waitForChange(mailboxes[0]!, Math.min((this.opts.pollSeconds ?? 30) * 1000, beat > 0 ? beat : Infinity));
      } catch (err) {
        if (this.signal?.aborted) return;
        const e = imapError(err, this.where);
        if (e.code === 'imap-mailbox') throw e;
        failures++;
        // Exponential backoff with jitter: 1 s, 2 s, 4 s … up to 5 min.
        const delay = Math.min(300_000, 1000 * 2 ** Math.min(failures - 1, 9)) * (0.5 + Math.random() / 2);
        this.log.warn(`${e.message}; retrying in ${Math.round(delay / 1000)} s`);
        await this.dropConnection();
        await sleep(delay, this.signal);
      }
    }
  }

  private async reconnect(): Promise<void> {
    await this.dropConnection();
    await this.connect();
  }

  /** Forgets the connection; messages yielded but not acknowledged are simply read again later. */
  private async dropConnection(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.pending.clear();
    if (client) {
      try {
        client.close();
      } catch {
        /* already closed */
      }
    }
  }

  /** IDLE on one mailbox until it reports new mail, the poll interval passes, or we are stopped. */
  private async waitForChange(mailbox: string, timeoutMs: number): Promise<void> {
    const client = this.requireClient();
    if (!client.mailbox || client.mailbox.path !== mailbox) await client.mailboxOpen(mailbox, { readOnly: this.opts.readOnly });
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.off('exists', onExists);
        client.off('close', onClose);
        this.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const onExists = () => settle();
      const onClose = () => settle(Object.assign(new Error('the IMAP connection closed'), { code: 'NoConnection' }));
      const onAbort = () => settle();
      const timer = setTimeout(() => settle(), Number.isFinite(timeoutMs) ? timeoutMs : 30_000);
      client.on('exists', onExists);
      client.on('close', onClose);
      this.signal?.addEventListener('abort', onAbort);
      client.idle().catch((err: unknown) => settle(err));
    });
  }

  /** New messages of one mailbox since the stored high-water mark. */
  async *readMailbox(mailbox: string): AsyncGenerator<RawMessage> {
    const client = this.requireClient();
    let mb;
    try {
      mb = await client.mailboxOpen(mailbox, { readOnly: this.opts.readOnly });
    } catch (err) {
      throw imapError(err, `${this.where}/${mailbox}`);
    }
    const validity = String(mb.uidValidity);
    this.uidValidity.set(mailbox, validity);
    const state = this.store.getImapState(this.account, mailbox);
    let last = state?.last_uid ?? 0;
    if (state && state.uidvalidity !== validity) {
      this.log.warn(`${mailbox}: UIDVALIDITY changed (${state.uidvalidity} → ${validity}); the mailbox was recreated, re-reading it (already ingested messages are recognised by Message-ID)`);
      last = 0;
      this.store.setImapState(this.account, mailbox, validity, 0);
    } else if (!state) {
      this.store.setImapState(this.account, mailbox, validity, 0);
    }
    const uidNext = Number(mb.uidNext ?? 0);
    if (mb.exists === 0 || (uidNext > 0 && uidNext - 1 <= last)) {
      this.log.debug(`${mailbox}: nothing new (last UID ${last})`);
      return;
    }
    let uids: number[];
    try {
      const found = await client.search({ uid: `${last + 1}:*` }, { uid: true });
      uids = (Array.isArray(found) ? found : []).filter((u) => u > last).sort((a, b) => a - b);
    } catch (err) {
      throw imapError(err, `${this.where}/${mailbox}`);
    }
    this.log.debug(`${mailbox}: ${uids.length} new message(s) after UID ${last}`);
    const chunk = Math.max(1, this.opts.chunkSize ?? 50);
    for (let i = 0; i < uids.length; i += chunk) {
      if (this.signal?.aborted) return;
      await this.applyAcks(mailbox);
      const part = uids.slice(i, i + chunk);
      const messages = await this.fetchChunk(mailbox, part);
      for (const m of messages) yield m;
    }
  }

  private async fetchChunk(mailbox: string, uids: number[]): Promise<RawMessage[]> {
    const client = this.requireClient();
    const range = uids.join(',');
    const info = new Map<number, { size: number; internalDate: Date | undefined }>();
    try {
      for await (const m of client.fetch(range, { uid: true, size: true, internalDate: true }, { uid: true })) {
        info.set(m.uid, { size: m.size ?? 0, internalDate: m.internalDate ? new Date(m.internalDate) : undefined });
      }
      const small = uids.filter((u) => (info.get(u)?.size ?? 0) <= this.opts.maxMessageBytes && info.has(u));
      const sources = new Map<number, Buffer>();
      if (small.length) {
        for await (const m of client.fetch(small.join(','), { uid: true, source: true }, { uid: true })) {
          if (m.source) sources.set(m.uid, m.source);
        }
      }
      const out: RawMessage[] = [];
      const pending = this.pending.get(mailbox) ?? [];
      this.pending.set(mailbox, pending);
      for (const uid of uids) {
        const meta = info.get(uid);
        if (!meta) continue; // expunged meanwhile
        const entry: PendingUid = { uid, acked: false };
        pending.push(entry);
        const ack = () => {
          entry.acked = true;
          this.advance(mailbox);
        };
        const ref = `imap:${mailbox}/${uid}`;
        const bytes = sources.get(uid);
        this.fetched++;
        if (bytes) out.push({ ref, bytes, receivedAt: meta.internalDate, ack });
        else out.push({ ref, bytes: undefined, receivedAt: meta.internalDate, ack, problem: { reason: 'too-large', detail: `${meta.size} bytes is more than MAX_MESSAGE_BYTES (${this.opts.maxMessageBytes}); left on the server` } });
      }
      return out;
    } catch (err) {
      throw imapError(err, `${this.where}/${mailbox}`);
    }
  }

  /** Moves the high-water mark over every acknowledged UID that has no unacknowledged one before it. */
  private advance(mailbox: string): void {
    const pending = this.pending.get(mailbox);
    if (!pending) return;
    let moved = false;
    let last = 0;
    while (pending.length && pending[0]!.acked) {
      const e = pending.shift()!;
      last = e.uid;
      moved = true;
      const list = this.toTag.get(mailbox) ?? [];
      list.push(e.uid);
      this.toTag.set(mailbox, list);
    }
    if (moved) this.store.setImapState(this.account, mailbox, this.uidValidity.get(mailbox) ?? '0', last);
  }

  /** Tags (or moves) processed messages; skipped in read-only mode. */
  private async applyAcks(mailbox: string): Promise<void> {
    const uids = this.toTag.get(mailbox);
    if (!uids?.length) return;
    this.toTag.set(mailbox, []);
    if (this.opts.readOnly || !this.client) return;
    const client = this.client;
    try {
      if (client.mailbox === false || (client.mailbox && client.mailbox.path !== mailbox)) await client.mailboxOpen(mailbox);
      const set = uids.join(',');
      if (this.opts.moveTo) {
        await client.messageFlagsAdd(set, [this.opts.keyword], { uid: true }).catch(() => undefined);
        await client.messageMove(set, this.opts.moveTo, { uid: true });
      } else {
        await client.messageFlagsAdd(set, [this.opts.keyword], { uid: true });
      }
    } catch (err) {
      // Tagging is for people reading webmail; the ledger already has the message. Report, continue.
      this.log.warn(`${mailbox}: could not ${this.opts.moveTo ? 'move' : 'tag'} ${uids.length} processed message(s): ${(err as Error).message}`);
    }
  }

  /** After the pipeline committed everything: tag/move what is left, then log out. */
  async finish(): Promise<void> {
    for (const mailbox of this.toTag.keys()) await this.applyAcks(mailbox);
    await this.close();
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    try {
      if (client.usable) await client.logout();
      else client.close();
    } catch {
      client.close();
    }
  }
}
