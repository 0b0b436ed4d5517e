/** What a transport does with one composed message, and how it reports failure. */
import type { OutgoingMessage } from '../compose.js';

export interface SendResult {
  /** The id the server gave the message (e.g. the SES message id in "250 Ok <id>"). */
  transportId: string | undefined;
  response: string;
}

export type FailureKind = 'transient' | 'permanent' | 'in-doubt' | 'fatal';

/** A send that did not succeed: transient (retry), permanent (record), in-doubt (never resend), fatal (stop the run). */
export class SendFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly responseCode?: number,
    readonly enhancedStatus?: string,
  ) {
    super(message);
    this.name = 'SendFailure';
  }
}

export interface Transport {
  readonly name: 'smtp' | 'listmonk';
  send(m: OutgoingMessage): Promise<SendResult>;
  close(): Promise<void>;
}
