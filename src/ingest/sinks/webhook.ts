/**
 * Pushes new contact rows to WEBHOOK_URL (e.g. an N8N flow that appends to Google Sheets): POST
 * {"rows": [...]} in batches, oldest first, with an HMAC-SHA256 signature of the body
 * (X-Mailops-Signature: sha256=<hex>) when WEBHOOK_SECRET is set. Retries with backoff; what cannot
 * be delivered stays queued in the state store for the next run, so every row arrives once, in order.
 */
import { createHmac } from 'node:crypto';
import type { StateStore } from '../../store/store.js';

export interface WebhookOptions {
  url: string;
  secret: string | undefined;
  batchSize: number;
  retries: number;
}

export interface WebhookResult {
  delivered: number;
  pending: number;
  error: string | undefined;
}

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export async function deliverWebhook(store: StateStore, o: WebhookOptions, deps: { sleep?: (ms: number) => Promise<void> } = {}): Promise<WebhookResult> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let delivered = 0;
  for (;;) {
    const batch = store.webhookBatch(o.batchSize);
    if (!batch.length) break;
    const body = JSON.stringify({ rows: batch.map((b) => JSON.parse(b.row) as unknown) });
    let lastError = '';
    let ok = false;
    for (let attempt = 0; attempt <= o.retries && !ok; attempt++) {
      if (attempt > 0) await sleep(Math.min(30_000, 1000 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
      try {
        const res = await fetch(o.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'X-Mailops-Delivery': `${batch[0]!.id}-${batch[batch.length - 1]!.id}`,
            ...(o.secret ? { 'X-Mailops-Signature': signBody(o.secret, body) } : {}),
          },
          body,
          signal: AbortSignal.timeout(15_000),
        });
        if (res.ok) ok = true;
        else lastError = `HTTP ${res.status}`;
      } catch (err) {
        lastError = (err as Error).message;
      }
    }
    if (!ok) return { delivered, pending: store.webhookPending(), error: `${o.url}: ${lastError}; ${store.webhookPending()} row(s) stay queued for the next run` };
    store.webhookDelivered(batch[batch.length - 1]!.id);
    delivered += batch.length;
  }
  return { delivered, pending: 0, error: undefined };
}
