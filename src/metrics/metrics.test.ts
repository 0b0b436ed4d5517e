/**
 * The metrics endpoint over real HTTP, after a real ingest of the sample replies: the exposition
 * text is parsed, the totals match the state store, and every metric the Grafana dashboard queries
 * exists.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runIngestCommand } from '../commands/ingest/run.js';
import { StateStore } from '../store/store.js';
import { createMetrics, serveMetrics } from './registry.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** name{labels} value → a map keyed by "name{labels}". */
function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (m) out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

describe('mailops metrics', () => {
  it('serves the totals of the state store and every metric the dashboard uses', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mailops-metrics-'));
    await runIngestCommand({
      paths: [path.join(root, 'fixtures', 'replies')], dataDir, csvPath: path.join(dataDir, 'c.csv'), ownDomains: [], replyLocalpart: 'campaign', defaultRegion: 'US',
      maxMessageBytes: 1 << 24, softBounceLimit: 3, softBounceWindowDays: 30, reprocess: false, dryRun: false,
    });
    const m = createMetrics(() => StateStore.open(dataDir));
    m.observeProcessing(0.004);
    const srv = await serveMetrics(m, '127.0.0.1', 0);
    try {
      const res = await fetch(`http://127.0.0.1:${srv.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      const v = parseExposition(await res.text());
      expect(v.get('mailops_messages_total{kind="human"}')).toBe(33);
      expect(v.get('mailops_messages_total{kind="auto-reply"}')).toBe(9);
      expect(v.get('mailops_messages_total{kind="bounce"}')).toBe(5);
      expect(v.get('mailops_rows_written_total')).toBe(48);
      expect(v.get('mailops_suppressions_total{reason="complaint"}')).toBe(1);
      expect(v.get('mailops_suppressions_total{reason="hard-bounce"}')).toBe(3);
      expect(v.get('mailops_bounces_total{type="soft"}')).toBe(2);
      const rows = readFileSync(path.join(dataDir, 'c.csv'), 'utf8').trim().split('\n').slice(1);
      expect(v.get('mailops_unique_contacts')).toBeGreaterThanOrEqual(40);
      expect(v.get('mailops_unique_contacts')).toBeLessThanOrEqual(rows.length);
      expect(v.get('mailops_last_ingest_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 600);
      expect(v.get('mailops_message_processing_seconds_count')).toBe(1);

      const dash = JSON.parse(readFileSync(path.join(root, 'compose', 'grafana', 'dashboards', 'mailops.json'), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
      const names = new Set([...v.keys()].map((k) => k.replace(/\{.*$/, '')));
      for (const expr of dash.panels.flatMap((p) => p.targets.map((t) => t.expr))) {
        for (const metric of expr.match(/mailops_[a-z_]+/g) ?? []) expect(names, `${metric} (used by the dashboard) is served`).toContain(metric);
      }
    } finally {
      await srv.close();
    }
  });
});
