/**
 * The SQLite state of mailops at <data-dir>/state/mailops.db. This module alone owns the schema and
 * its migrations: processed messages (the ingest ledger), suppressions, bounces and events.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

type DB = Database.Database;

const MIGRATIONS: string[] = [
  // 1: ingest ledger, suppressions, bounces, events
  `
  CREATE TABLE messages (
    message_key   TEXT PRIMARY KEY,
    message_id    TEXT,
    kind          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('writing', 'done', 'quarantined')),
    source        TEXT,
    received_at   TEXT,
    from_email    TEXT,
    campaign_id   TEXT,
    recipient_id  TEXT,
    rows_written  INTEGER NOT NULL DEFAULT 0,
    csv_path      TEXT,
    csv_offset    INTEGER,
    detail        TEXT,
    processed_at  TEXT NOT NULL
  );
  CREATE INDEX messages_status ON messages(status);
  CREATE INDEX messages_kind ON messages(kind, processed_at);
  CREATE TABLE suppressions (
    email          TEXT PRIMARY KEY,
    reason         TEXT NOT NULL,
    source_message TEXT,
    detail         TEXT,
    created_at     TEXT NOT NULL
  );
  CREATE TABLE bounces (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL,
    hard          INTEGER NOT NULL,
    status        TEXT,
    reason        TEXT,
    message_key   TEXT NOT NULL,
    occurred_at   TEXT NOT NULL,
    UNIQUE (email, message_key)
  );
  CREATE INDEX bounces_email ON bounces(email, occurred_at);
  CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    type         TEXT NOT NULL,
    email        TEXT,
    message_key  TEXT,
    detail       TEXT
  );
  CREATE INDEX events_type ON events(type, at);
  `,
  // 2: per IMAP mailbox, the UIDVALIDITY and the highest UID whose message is safely processed
  `
  CREATE TABLE imap_state (
    account      TEXT NOT NULL,
    mailbox      TEXT NOT NULL,
    uidvalidity  TEXT NOT NULL,
    last_uid     INTEGER NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (account, mailbox)
  );
  `,
  // 3: the send ledger — one row per (address, campaign); 'sending' is written before the SMTP
  // transaction starts, so a crash leaves evidence that becomes 'in-doubt', never a silent resend.
  `
  CREATE TABLE sends (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL,
    campaign_id    TEXT NOT NULL,
    recipient_id   TEXT NOT NULL,
    message_id     TEXT NOT NULL,
    transport      TEXT NOT NULL,
    transport_id   TEXT,
    status         TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'deferred', 'in-doubt', 'invalid')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_response  TEXT,
    started_at     TEXT,
    sent_at        TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (email, campaign_id)
  );
  CREATE INDEX sends_email ON sends(email, status);
  CREATE INDEX sends_started ON sends(started_at);
  CREATE INDEX sends_campaign ON sends(campaign_id, status);
  CREATE TABLE send_attempts (
    id          INTEGER PRIMARY KEY,
    send_id     INTEGER NOT NULL REFERENCES sends(id),
    started_at  TEXT NOT NULL
  );
  CREATE INDEX send_attempts_started ON send_attempts(started_at);
  `,
  // 4: replies may name the id a relay (SES) gave the message instead of ours
  `
  CREATE INDEX sends_transport_id ON sends(transport_id);
  `,
  // 5: LLM answers, keyed by the hash of what was sent and the model: re-ingesting never pays twice
  `
  CREATE TABLE llm_cache (
    key        TEXT PRIMARY KEY,
    model      TEXT NOT NULL,
    response   TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
  // 6: every contact address ever written, for the unique-contacts figure without reading the CSV
  `
  CREATE TABLE contact_emails (
    email      TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL
  );
  `,
  // 7: contact rows waiting to be pushed to WEBHOOK_URL, in order
  `
  CREATE TABLE webhook_queue (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    row        TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
];

export type SendStatus = 'sending' | 'sent' | 'failed' | 'deferred' | 'in-doubt' | 'invalid';

export interface SendRecord {
  id: number;
  email: string;
  campaign_id: string;
  recipient_id: string;
  message_id: string;
  transport: string;
  transport_id: string | null;
  status: SendStatus;
  attempts: number;
  last_response: string | null;
  started_at: string | null;
  sent_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ImapMailboxState {
  account: string;
  mailbox: string;
  uidvalidity: string;
  last_uid: number;
  updated_at: string;
}

export type MessageStatus = 'writing' | 'done' | 'quarantined';

export interface MessageRecord {
  message_key: string;
  message_id: string | null;
  kind: string;
  status: MessageStatus;
  source: string | null;
  received_at: string | null;
  from_email: string | null;
  campaign_id: string | null;
  recipient_id: string | null;
  rows_written: number;
  csv_path: string | null;
  csv_offset: number | null;
  detail: string | null;
  processed_at: string;
}

export type SuppressionReason = 'hard-bounce' | 'soft-bounce' | 'complaint' | 'unsubscribe' | 'request' | 'manual';
export const SUPPRESSION_REASONS: SuppressionReason[] = ['hard-bounce', 'soft-bounce', 'complaint', 'unsubscribe', 'request', 'manual'];

export interface Suppression {
  email: string;
  reason: SuppressionReason;
  source_message: string | null;
  detail: string | null;
  created_at: string;
}

export function stateDbPath(dataDir: string): string {
  return path.join(dataDir, 'state', 'mailops.db');
}

export function stateExists(dataDir: string): boolean {
  return existsSync(stateDbPath(dataDir));
}

export class StateStore {
  readonly db: DB;
  private readonly stmts;

  private readonly cache = new Map<string, Database.Statement>();

  /** A prepared statement, compiled once per store. */
  private stmt<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s as unknown as Database.Statement<P, R>;
  }

  private constructor(db: DB) {
    this.db = db;
    this.stmts = {
      getMessage: db.prepare<[string], MessageRecord>('SELECT * FROM messages WHERE message_key = ?'),
      pending: db.prepare<[], MessageRecord>("SELECT * FROM messages WHERE status = 'writing' ORDER BY csv_offset DESC"),
      begin: db.prepare(
        `INSERT INTO messages (message_key, message_id, kind, status, source, received_at, from_email, campaign_id, recipient_id, rows_written, csv_path, csv_offset, detail, processed_at)
         VALUES (@message_key, @message_id, @kind, @status, @source, @received_at, @from_email, @campaign_id, @recipient_id, @rows_written, @csv_path, @csv_offset, @detail, @processed_at)
         ON CONFLICT(message_key) DO UPDATE SET message_id=excluded.message_id, kind=excluded.kind, status=excluded.status, source=excluded.source,
           received_at=excluded.received_at, from_email=excluded.from_email, campaign_id=excluded.campaign_id, recipient_id=excluded.recipient_id,
           rows_written=excluded.rows_written, csv_path=excluded.csv_path, csv_offset=excluded.csv_offset, detail=excluded.detail, processed_at=excluded.processed_at`,
      ),
      finish: db.prepare("UPDATE messages SET status = 'done' WHERE message_key = ?"),
      drop: db.prepare('DELETE FROM messages WHERE message_key = ?'),
      getSuppression: db.prepare<[string], Suppression>('SELECT * FROM suppressions WHERE email = ?'),
      addSuppression: db.prepare(
        'INSERT INTO suppressions (email, reason, source_message, detail, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(email) DO NOTHING',
      ),
      removeSuppression: db.prepare('DELETE FROM suppressions WHERE email = ?'),
      listSuppressions: db.prepare<[], Suppression>('SELECT * FROM suppressions ORDER BY created_at, email'),
      addBounce: db.prepare(
        'INSERT INTO bounces (email, hard, status, reason, message_key, occurred_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(email, message_key) DO NOTHING',
      ),
      softCount: db.prepare<[string, string, string], { n: number }>(
        'SELECT COUNT(*) AS n FROM bounces WHERE email = ? AND hard = 0 AND occurred_at > ? AND occurred_at <= ?',
      ),
      addEvent: db.prepare('INSERT INTO events (at, type, email, message_key, detail) VALUES (?, ?, ?, ?, ?)'),
      getImap: db.prepare<[string, string], ImapMailboxState>('SELECT * FROM imap_state WHERE account = ? AND mailbox = ?'),
      setImap: db.prepare(
        `INSERT INTO imap_state (account, mailbox, uidvalidity, last_uid, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(account, mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, updated_at = excluded.updated_at`,
      ),
    };
  }

  static open(dataDir: string): StateStore {
    const file = stateDbPath(dataDir);
    mkdirSync(path.dirname(file), { recursive: true });
    return StateStore.fromDatabase(new Database(file));
  }

  /** A throwaway store (dry runs on a data directory that has no state yet). */
  static openInMemory(): StateStore {
    return StateStore.fromDatabase(new Database(':memory:'));
  }

  private static fromDatabase(db: DB): StateStore {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return new StateStore(db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  getMessage(key: string): MessageRecord | undefined {
    return this.stmts.getMessage.get(key);
  }

  /** Messages whose rows may be half written: a crash happened between decision and completion. */
  pendingWrites(): MessageRecord[] {
    return this.stmts.pending.all();
  }

  recordMessage(rec: Omit<MessageRecord, 'processed_at'> & { processed_at?: string }): void {
    this.stmts.begin.run({ ...rec, processed_at: rec.processed_at ?? new Date().toISOString() });
  }

  finishMessage(key: string): void {
    this.stmts.finish.run(key);
  }

  forgetMessage(key: string): void {
    this.stmts.drop.run(key);
  }

  getSuppression(email: string): Suppression | undefined {
    return this.stmts.getSuppression.get(email.toLowerCase());
  }

  /** Adds a suppression; returns false when the address was already suppressed. */
  suppress(email: string, reason: SuppressionReason, sourceMessage: string | null, detail: string | null, at = new Date()): boolean {
    const changed = this.stmts.addSuppression.run(email.toLowerCase(), reason, sourceMessage, detail, at.toISOString()).changes > 0;
    if (changed) this.event('suppressed', email.toLowerCase(), sourceMessage, `${reason}${detail ? `: ${detail}` : ''}`, at);
    return changed;
  }

  unsuppress(email: string): boolean {
    const changed = this.stmts.removeSuppression.run(email.toLowerCase()).changes > 0;
    if (changed) this.event('unsuppressed', email.toLowerCase(), null, null);
    return changed;
  }

  listSuppressions(): Suppression[] {
    return this.stmts.listSuppressions.all();
  }

  /** Records a bounce; returns the number of soft bounces for the address within the window ending at `at`. */
  recordBounce(email: string, hard: boolean, status: string | undefined, reason: string, messageKey: string, at: Date, windowDays: number): number {
    this.stmts.addBounce.run(email.toLowerCase(), hard ? 1 : 0, status ?? null, reason, messageKey, at.toISOString());
    if (hard) return 0;
    const since = new Date(at.getTime() - windowDays * 86_400_000).toISOString();
    return this.stmts.softCount.get(email.toLowerCase(), since, at.toISOString())?.n ?? 0;
  }

  // ---------------------------------------------------------------- send ledger

  /** Sends left 'sending' by a process that died: they become 'in-doubt' and are never resent automatically. */
  markInterruptedSendsInDoubt(at = new Date()): number {
    return this
      .stmt("UPDATE sends SET status = 'in-doubt', last_response = COALESCE(last_response, 'the sending process stopped during the SMTP transaction'), updated_at = ? WHERE status = 'sending'")
      .run(at.toISOString()).changes;
  }

  /** The ledger rows that stop `email` from being sent in `campaign` (scope 'ever': any campaign). */
  blockingSend(email: string, campaignId: string, scope: 'ever' | 'campaign'): SendRecord | undefined {
    const sql =
      scope === 'ever'
        ? "SELECT * FROM sends WHERE email = ? AND (status IN ('sending', 'sent', 'in-doubt') OR (status = 'failed' AND campaign_id = ?)) ORDER BY id LIMIT 1"
        : "SELECT * FROM sends WHERE email = ? AND campaign_id = ? AND status IN ('sending', 'sent', 'in-doubt', 'failed') LIMIT 1";
    return this.stmt<[string, string], SendRecord>(sql).get(email.toLowerCase(), campaignId);
  }

  getSend(email: string, campaignId: string): SendRecord | undefined {
    return this.stmt<[string, string], SendRecord>('SELECT * FROM sends WHERE email = ? AND campaign_id = ?').get(email.toLowerCase(), campaignId);
  }

  /** Records the start of an attempt ('sending') in the same transaction as the rate-limit check. */
  beginSend(rec: { email: string; campaignId: string; recipientId: string; messageId: string; transport: string }, at: Date): SendRecord {
    return this.db.transaction(() => this.beginSendInTx(rec, at))();
  }

  private beginSendInTx(rec: { email: string; campaignId: string; recipientId: string; messageId: string; transport: string }, at: Date): SendRecord {
    const now = at.toISOString();
    this
      .stmt(
        `INSERT INTO sends (email, campaign_id, recipient_id, message_id, transport, status, attempts, started_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'sending', 1, ?, ?, ?)
         ON CONFLICT(email, campaign_id) DO UPDATE SET status = 'sending', attempts = attempts + 1, started_at = excluded.started_at,
           message_id = excluded.message_id, recipient_id = excluded.recipient_id, transport = excluded.transport, updated_at = excluded.updated_at`,
      )
      .run(rec.email.toLowerCase(), rec.campaignId, rec.recipientId, rec.messageId, rec.transport, now, now, now);
    const row = this.getSend(rec.email, rec.campaignId)!;
    this.stmt('INSERT INTO send_attempts (send_id, started_at) VALUES (?, ?)').run(row.id, now);
    return row;
  }

  finishSend(id: number, status: Exclude<SendStatus, 'sending'>, fields: { transportId?: string | null; response?: string | null }, at: Date): void {
    this
      .stmt('UPDATE sends SET status = ?, transport_id = COALESCE(?, transport_id), last_response = ?, sent_at = CASE WHEN ? = \'sent\' THEN ? ELSE sent_at END, updated_at = ? WHERE id = ?')
      .run(status, fields.transportId ?? null, fields.response ?? null, status, at.toISOString(), at.toISOString(), id);
  }

  /** SMTP transactions started since `since` (every attempt counts against the rate limits). */
  attemptsSince(since: Date): number {
    return this.stmt<[string], { n: number }>('SELECT COUNT(*) AS n FROM send_attempts WHERE started_at > ?').get(since.toISOString())?.n ?? 0;
  }

  /** The start time of the `offset`-th oldest attempt since `since` (0 = oldest). */
  attemptTimeAt(since: Date, offset: number): Date | undefined {
    const row = this
      .stmt<[string, number], { started_at: string }>('SELECT started_at FROM send_attempts WHERE started_at > ? ORDER BY started_at LIMIT 1 OFFSET ?')
      .get(since.toISOString(), offset);
    return row ? new Date(row.started_at) : undefined;
  }

  /** Start times of attempts since `since`, oldest first (to know when a window frees up). */
  attemptTimesSince(since: Date): Date[] {
    return this
      .stmt<[string], { started_at: string }>('SELECT started_at FROM send_attempts WHERE started_at > ? ORDER BY started_at')
      .all(since.toISOString())
      .map((r) => new Date(r.started_at));
  }

  /** The send whose server-side id (e.g. SES's, which replaces our Message-ID) is `transportId`. */
  sendByTransportId(transportId: string): SendRecord | undefined {
    return this.stmt<[string], SendRecord>('SELECT * FROM sends WHERE transport_id = ? LIMIT 1').get(transportId);
  }

  listSends(status?: SendStatus, campaignId?: string): SendRecord[] {
    const where: string[] = [];
    const args: string[] = [];
    if (status) {
      where.push('status = ?');
      args.push(status);
    }
    if (campaignId) {
      where.push('campaign_id = ?');
      args.push(campaignId);
    }
    return this.stmt<string[], SendRecord>(`SELECT * FROM sends ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`).all(...args);
  }

  enqueueWebhookRows(rows: object[], at = new Date()): void {
    const st = this.stmt('INSERT INTO webhook_queue (row, created_at) VALUES (?, ?)');
    for (const r of rows) st.run(JSON.stringify(r), at.toISOString());
  }

  webhookBatch(limit: number): Array<{ id: number; row: string }> {
    return this.stmt<[number], { id: number; row: string }>('SELECT id, row FROM webhook_queue ORDER BY id LIMIT ?').all(limit);
  }

  webhookDelivered(upToId: number): void {
    this.stmt('DELETE FROM webhook_queue WHERE id <= ?').run(upToId);
  }

  webhookPending(): number {
    return this.stmt<[], { n: number }>('SELECT COUNT(*) AS n FROM webhook_queue').get()?.n ?? 0;
  }

  noteContactEmails(emails: string[], at = new Date()): void {
    const st = this.stmt('INSERT OR IGNORE INTO contact_emails (email, first_seen) VALUES (?, ?)');
    for (const e of emails) st.run(e, at.toISOString());
  }

  getLlmCache(key: string): string | undefined {
    return this.stmt<[string], { response: string }>('SELECT response FROM llm_cache WHERE key = ?').get(key)?.response;
  }

  setLlmCache(key: string, model: string, response: string): void {
    this.stmt('INSERT INTO llm_cache (key, model, response, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET response = excluded.response').run(key, model, response, new Date().toISOString());
  }

  getImapState(account: string, mailbox: string): ImapMailboxState | undefined {
    return this.stmts.getImap.get(account, mailbox);
  }

  setImapState(account: string, mailbox: string, uidvalidity: string, lastUid: number, at = new Date()): void {
    this.stmts.setImap.run(account, mailbox, uidvalidity, lastUid, at.toISOString());
  }

  event(type: string, email: string | null, messageKey: string | null, detail: string | null, at = new Date()): void {
    this.stmts.addEvent.run(at.toISOString(), type, email, messageKey, detail);
  }
}

function migrate(db: DB): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
