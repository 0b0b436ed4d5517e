/** What every message source yields: one raw message, or the reason it could not be read. */
export interface RawMessage {
  /** Where it came from: a path, `path#3` for the third message of an mbox, `-` for stdin, `imap:…`. */
  ref: string;
  bytes: Buffer | undefined;
  /** When the source received it (mbox From_ line, IMAP INTERNALDATE, file mtime). */
  receivedAt: Date | undefined;
  /** Set when the message cannot be processed; it goes to quarantine with this reason. */
  problem?: { reason: string; detail: string };
  /** The bytes to keep in quarantine when `bytes` is not set (e.g. a file too large to load). */
  quarantineFrom?: string;
  /** The bytes to keep in quarantine (e.g. the first part of an oversized message). */
  quarantineBytes?: Buffer;
  /**
   * Called once the message's outcome is committed (rows written, duplicate recognised or
   * quarantined). A source that keeps its own position (IMAP) advances it only then.
   */
  ack?: () => void;
}

export type MessageSource = AsyncIterable<RawMessage>;
