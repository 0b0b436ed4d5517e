/**
 * The Prometheus metrics of mailops (prom-client). Totals are read from the state store at scrape
 * time, so `mailops metrics` and the metrics endpoint of `ingest --imap --watch` report the same
 * numbers however many processes did the work; the processing-time histogram is observed live.
 * compose/grafana/dashboards/mailops.json queries exactly these names (a test checks it).
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StateStore } from '../store/store.js';

export interface MetricsHandle {
  registry: Registry;
  observeProcessing(seconds: number): void;
}

export function createMetrics(openStore: () => StateStore | undefined): MetricsHandle {
  const registry = new Registry();
  const read = <T>(fn: (s: StateStore) => T, fallback: T): T => {
    const store = openStore();
    if (!store) return fallback;
    try {
      return fn(store);
    } finally {
      store.close();
    }
  };
  // Counters whose value is the store's total: reset, then add the total, on every scrape.
  // Every known label value is exported from the start (at 0), so dashboards show 0, not "no data".
  const totalCounter = (name: string, help: string, labels: string[], rows: (s: StateStore) => Array<{ labels: Record<string, string>; value: number }>, known: string[] = []) =>
    new Counter({
      name,
      help,
      labelNames: labels,
      registers: [registry],
      collect() {
        this.reset();
        if (labels.length === 1) for (const k of known) this.inc({ [labels[0]!]: k }, 0);
        else if (!labels.length) this.inc(0);
        for (const r of read(rows, [])) this.inc(r.labels, r.value);
      },
    });
  totalCounter('mailops_messages_total', 'Messages ingested, by kind', ['kind'], (s) =>
    s.db.prepare<[], { kind: string; n: number }>("SELECT kind, COUNT(*) AS n FROM messages WHERE status = 'done' GROUP BY kind").all().map((r) => ({ labels: { kind: r.kind }, value: r.n })),
    ['human', 'auto-reply', 'bounce', 'complaint', 'unsubscribe', 'delivery-report'],
  );
  totalCounter('mailops_rows_written_total', 'Contact rows written to contacts.csv', [], (s) => [{ labels: {}, value: s.db.prepare<[], { n: number | null }>("SELECT SUM(rows_written) AS n FROM messages WHERE status = 'done'").get()?.n ?? 0 }]);
  totalCounter('mailops_suppressions_total', 'Suppressed addresses, by reason', ['reason'], (s) =>
    s.db.prepare<[], { reason: string; n: number }>('SELECT reason, COUNT(*) AS n FROM suppressions GROUP BY reason').all().map((r) => ({ labels: { reason: r.reason }, value: r.n })),
    ['hard-bounce', 'soft-bounce', 'complaint', 'unsubscribe', 'request', 'manual'],
  );
  totalCounter('mailops_sends_total', 'Sends, by status', ['status'], (s) =>
    s.db.prepare<[], { status: string; n: number }>('SELECT status, COUNT(*) AS n FROM sends GROUP BY status').all().map((r) => ({ labels: { status: r.status }, value: r.n })),
    ['sent', 'failed', 'deferred', 'in-doubt'],
  );
  totalCounter('mailops_bounces_total', 'Bounces, by type', ['type'], (s) =>
    s.db.prepare<[], { hard: number; n: number }>('SELECT hard, COUNT(*) AS n FROM bounces GROUP BY hard').all().map((r) => ({ labels: { type: r.hard ? 'hard' : 'soft' }, value: r.n })),
    ['hard', 'soft'],
  );
  totalCounter('mailops_ingest_errors_total', 'Messages quarantined by ingest', [], (s) => [{ labels: {}, value: s.db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM messages WHERE status = 'quarantined'").get()?.n ?? 0 }]);
  new Gauge({
    name: 'mailops_unique_contacts',
    help: 'Distinct contact email addresses ever written',
    registers: [registry],
    collect() {
      this.set(read((s) => s.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM contact_emails').get()?.n ?? 0, 0));
    },
  });
  new Gauge({
    name: 'mailops_last_ingest_timestamp_seconds',
    help: 'When a message was last ingested successfully (Unix time)',
    registers: [registry],
    collect() {
      const at = read((s) => s.db.prepare<[], { at: string | null }>("SELECT MAX(processed_at) AS at FROM messages WHERE status = 'done'").get()?.at ?? null, null);
      this.set(at ? Date.parse(at) / 1000 : 0);
    },
  });
  const sent = (s: StateStore) => Math.max(1, s.db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM sends WHERE status = 'sent'").get()?.n ?? 0);
  new Gauge({
    name: 'mailops_bounce_rate',
    help: 'Bounced recipients per message sent',
    registers: [registry],
    collect() {
      this.set(read((s) => (s.db.prepare<[], { n: number }>('SELECT COUNT(DISTINCT email) AS n FROM bounces').get()?.n ?? 0) / sent(s), 0));
    },
  });
  new Gauge({
    name: 'mailops_complaint_rate',
    help: 'Complaints per message sent',
    registers: [registry],
    collect() {
      this.set(read((s) => (s.db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM suppressions WHERE reason = 'complaint'").get()?.n ?? 0) / sent(s), 0));
    },
  });
  const histogram = new Histogram({
    name: 'mailops_message_processing_seconds',
    help: 'Time to turn one message into rows (parse, classify, extract)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return { registry, observeProcessing: (s) => histogram.observe(s) };
}

/** Serves GET /metrics (and /healthz) on host:port; resolves once listening. */
export async function serveMetrics(m: MetricsHandle, host: string, port: number): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      m.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'Content-Type': m.registry.contentType });
          res.end(text);
        })
        .catch((err: Error) => {
          res.writeHead(500);
          res.end(err.message);
        });
      return;
    }
    if (req.url === '/healthz') {
      res.writeHead(200);
      res.end('ok');
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as { port: number }).port;
  return { server, port: actual, close: () => new Promise<void>((r) => server.close(() => r())) };
}
