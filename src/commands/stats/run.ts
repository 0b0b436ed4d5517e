/** `mailops stats`: the numbers of an installation, from the state store. */
import { StateStore, stateExists } from '../../store/store.js';

export interface CampaignStats {
  campaign: string;
  sent: number;
  replies: number;
  autoReplies: number;
  bounces: number;
  replyRate: number;
}

export interface StatsResult {
  since: string | null;
  messages: Record<string, number>;
  quarantined: number;
  bounces: { hard: number; soft: number };
  complaints: number;
  rows: number;
  uniqueContacts: number;
  oooRatio: number;
  sends: Record<string, number>;
  suppressions: Record<string, number>;
  campaigns: CampaignStats[];
  lastIngest: string | null;
  lastSend: string | null;
  /** Per day, oldest first, for the last `days` days (UTC dates). */
  daily: Array<{ day: string; replies: number; bounces: number }>;
}

export function runStats(dataDir: string, opts: { since?: Date; campaign?: string; days?: number; now?: Date } = {}): StatsResult {
  const now = opts.now ?? new Date();
  const days = opts.days ?? 14;
  const empty: StatsResult = { since: opts.since?.toISOString() ?? null, messages: {}, quarantined: 0, bounces: { hard: 0, soft: 0 }, complaints: 0, rows: 0, uniqueContacts: 0, oooRatio: 0, sends: {}, suppressions: {}, campaigns: [], lastIngest: null, lastSend: null, daily: [] };
  if (!stateExists(dataDir)) return { ...empty, daily: dailySeries(now, days, []) };
  const store = StateStore.open(dataDir);
  try {
    const since = (opts.since ?? new Date(0)).toISOString();
    const camp = opts.campaign;
    const q = <T>(sql: string, ...args: unknown[]) => store.db.prepare(sql).all(...args) as T[];
    const one = <T>(sql: string, ...args: unknown[]) => store.db.prepare(sql).get(...args) as T;
    const cf = camp ? ' AND campaign_id = ?' : '';
    const ca = camp ? [camp] : [];
    const messages = Object.fromEntries(q<{ kind: string; n: number }>(`SELECT kind, COUNT(*) AS n FROM messages WHERE status = 'done' AND processed_at >= ?${cf} GROUP BY kind`, since, ...ca).map((r) => [r.kind, r.n]));
    const human = messages.human ?? 0;
    const auto = messages['auto-reply'] ?? 0;
    const bounceRows = q<{ hard: number; n: number }>('SELECT hard, COUNT(*) AS n FROM bounces WHERE occurred_at >= ? GROUP BY hard', since);
    const sends = Object.fromEntries(q<{ status: string; n: number }>(`SELECT status, COUNT(*) AS n FROM sends WHERE created_at >= ?${cf} GROUP BY status`, since, ...ca).map((r) => [r.status, r.n]));
    const campaigns = q<{ campaign: string; sent: number }>("SELECT campaign_id AS campaign, SUM(status = 'sent') AS sent FROM sends GROUP BY campaign_id").map((c) => ({ campaign: c.campaign, sent: c.sent }));
    const replyCounts = q<{ campaign: string; kind: string; n: number }>("SELECT campaign_id AS campaign, kind, COUNT(*) AS n FROM messages WHERE status = 'done' AND campaign_id IS NOT NULL AND processed_at >= ? GROUP BY campaign_id, kind", since);
    const names = new Set([...campaigns.map((c) => c.campaign), ...replyCounts.map((r) => r.campaign)]);
    const campaignStats: CampaignStats[] = [...names]
      .filter((n) => !camp || n === camp)
      .sort()
      .map((name) => {
        const k = (kind: string) => replyCounts.find((r) => r.campaign === name && r.kind === kind)?.n ?? 0;
        const sent = campaigns.find((c) => c.campaign === name)?.sent ?? 0;
        return { campaign: name, sent, replies: k('human'), autoReplies: k('auto-reply'), bounces: k('bounce'), replyRate: sent ? k('human') / sent : 0 };
      });
    const perDay = q<{ day: string; kind: string; n: number }>(`SELECT substr(COALESCE(received_at, processed_at), 1, 10) AS day, kind, COUNT(*) AS n FROM messages WHERE status = 'done'${cf} GROUP BY day, kind`, ...ca);
    return {
      since: opts.since?.toISOString() ?? null,
      messages,
      quarantined: one<{ n: number }>("SELECT COUNT(*) AS n FROM messages WHERE status = 'quarantined' AND processed_at >= ?", since).n,
      bounces: { hard: bounceRows.find((r) => r.hard)?.n ?? 0, soft: bounceRows.find((r) => !r.hard)?.n ?? 0 },
      complaints: messages.complaint ?? 0,
      rows: one<{ n: number | null }>(`SELECT SUM(rows_written) AS n FROM messages WHERE status = 'done' AND processed_at >= ?${cf}`, since, ...ca).n ?? 0,
      uniqueContacts: one<{ n: number }>('SELECT COUNT(*) AS n FROM contact_emails WHERE first_seen >= ?', since).n,
      oooRatio: human + auto ? auto / (human + auto) : 0,
      sends,
      suppressions: Object.fromEntries(q<{ reason: string; n: number }>('SELECT reason, COUNT(*) AS n FROM suppressions WHERE created_at >= ? GROUP BY reason', since).map((r) => [r.reason, r.n])),
      campaigns: campaignStats,
      lastIngest: one<{ at: string | null }>("SELECT MAX(processed_at) AS at FROM messages WHERE status = 'done'").at,
      lastSend: one<{ at: string | null }>("SELECT MAX(sent_at) AS at FROM sends WHERE status = 'sent'").at,
      daily: dailySeries(now, days, perDay),
    };
  } finally {
    store.close();
  }
}

function dailySeries(now: Date, days: number, rows: Array<{ day: string; kind: string; n: number }>): StatsResult['daily'] {
  const out: StatsResult['daily'] = [];
  for (let i = days - 1; i >= 0; i--) {
    const day = new Date(now.getTime() - i * 86_400_000).toISOString().slice(0, 10);
    const n = (kind: string) => rows.find((r) => r.day === day && r.kind === kind)?.n ?? 0;
    out.push({ day, replies: n('human') + n('auto-reply'), bounces: n('bounce') });
  }
  return out;
}

/** ▁▂▃▄▅▆▇█ for a series. */
export function sparkline(values: number[]): string {
  const bars = '▁▂▃▄▅▆▇█';
  const max = Math.max(...values, 0);
  return values.map((v) => (max === 0 ? bars[0] : bars[Math.min(7, Math.floor((v / max) * 7))])).join('');
}
