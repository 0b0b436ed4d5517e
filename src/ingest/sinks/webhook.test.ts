/**
 * Webhook push against a local HTTP server that fails, then recovers: every row arrives exactly
 * once, in order, signed.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runIngestCommand, type IngestRunOptions } from '../../commands/ingest/run.js';
import { signBody } from './webhook.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const fixtures = path.join(root, 'fixtures', 'replies');

describe('webhook push', () => {
  it('queues rows, retries with backoff, keeps what failed for the next run, delivers each row once in order', async () => {
    const received: Array<{ rows: Array<{ message_id: string; contact_email: string }>; sig: string | undefined; body: string }> = [];
    let failuresLeft = 5;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (failuresLeft-- > 0) {
          res.writeHead(503).end();
          return;
        }
        received.push({ rows: (JSON.parse(body) as { rows: Array<{ message_id: string; contact_email: string }> }).rows, sig: req.headers['x-mailops-signature'] as string | undefined, body });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mailops-hook-'));
    const files = readdirSync(fixtures).filter((f) => f.endsWith('.eml')).sort();
    const opts = (paths: string[]): IngestRunOptions => ({
      paths, dataDir, csvPath: path.join(dataDir, 'c.csv'), ownDomains: [], replyLocalpart: 'campaign', defaultRegion: 'US', maxMessageBytes: 1 << 24,
      softBounceLimit: 3, softBounceWindowDays: 30, reprocess: false, dryRun: false, webhook: { url, secret: 'shh-secret', batchSize: 10, retries: 3 },
    });
    const noSleep = { webhookSleep: async () => undefined };
    try {
      // First run: the receiver fails 5 times; 4 tries per batch, so the first batch fails and everything stays queued.
      const first = await runIngestCommand(opts(files.slice(0, 20).map((f) => path.join(fixtures, f))), noSleep);
      expect(first.webhook!.delivered).toBe(0);
      expect(first.webhook!.pending).toBe(first.rowsWritten);
      expect(first.webhook!.error).toMatch(/HTTP 503/);
      // Second run: new rows are queued behind the old ones; the receiver has recovered.
      const second = await runIngestCommand(opts(files.slice(20).map((f) => path.join(fixtures, f))), noSleep);
      expect(second.webhook).toMatchObject({ pending: 0, error: undefined });
      const rows = received.flatMap((r) => r.rows);
      expect(rows).toHaveLength(first.rowsWritten + second.rowsWritten);
      const keys = rows.map((r) => `${r.message_id}|${r.contact_email}`);
      expect(new Set(keys).size).toBe(keys.length);
      // In order: exactly the CSV's rows, in the CSV's order.
      const csvKeys = (parse(readFileSync(path.join(dataDir, 'c.csv'), 'utf8'), { columns: true }) as Array<{ message_id: string; contact_email: string }>).map((r) => `${r.message_id}|${r.contact_email}`);
      expect(keys).toEqual(csvKeys);
      for (const r of received) expect(r.sig).toBe(signBody('shh-secret', r.body));
      // A third run with nothing new sends nothing.
      const third = await runIngestCommand(opts(files.slice(0, 5).map((f) => path.join(fixtures, f))), noSleep);
      expect(third.webhook).toMatchObject({ delivered: 0, pending: 0 });
      expect(received.flatMap((r) => r.rows)).toHaveLength(rows.length);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
