/**
 * `mailops reputation`: the sending record from the state store — sends, bounces, complaints —
 * with the project plan's sender score: 100, minus up to 50 for a bounce rate above 5%, up to 30
 * for a complaint rate above 0.1%, up to 20 for a delivery rate below 95%, and 50 if a blocklist
 * lists the sending IP.
 */
import { StateStore, stateExists } from '../../store/store.js';
import { checkBlocklists, type BlocklistAnswer } from '../../dns/blocklists.js';
import { createDnsClient } from '../../dns/resolver.js';

export interface Thresholds {
  maxBounceRate: number;
  maxComplaintRate: number;
  minDeliveryRate: number;
}

export interface Figures {
  sent: number;
  bounced: number;
  complaints: number;
  bounceRate: number;
  complaintRate: number;
  deliveryRate: number;
}

export interface ReputationResult extends Figures {
  since: string | null;
  score: number;
  formula: string;
  penalties: { bounces: number; complaints: number; delivery: number; blocklist: number };
  blocklists: BlocklistAnswer[];
  crossed: string[];
  campaigns: Array<{ campaign: string } & Figures>;
  daily: Array<{ day: string } & Figures>;
}

const rates = (sent: number, bounced: number, complaints: number): Figures => ({
  sent,
  bounced,
  complaints,
  bounceRate: sent ? bounced / sent : 0,
  complaintRate: sent ? complaints / sent : 0,
  deliveryRate: sent ? (sent - bounced) / sent : 1,
});

export function senderScore(f: Figures, listed: boolean): { score: number; penalties: ReputationResult['penalties']; formula: string } {
  // Each penalty grows linearly from its threshold to the point where it is at its maximum.
  const bounces = Math.min(50, Math.max(0, ((f.bounceRate - 0.05) / 0.05) * 50));
  const complaints = Math.min(30, Math.max(0, ((f.complaintRate - 0.001) / 0.001) * 30));
  const delivery = Math.min(20, Math.max(0, ((0.95 - f.deliveryRate) / 0.05) * 20));
  const blocklist = listed ? 50 : 0;
  const score = Math.max(0, Math.round(100 - bounces - complaints - delivery - blocklist));
  const formula =
    `100 − bounces ${bounces.toFixed(1)} (rate ${(f.bounceRate * 100).toFixed(2)}%: 0 at 5%, 50 at 10%)` +
    ` − complaints ${complaints.toFixed(1)} (rate ${(f.complaintRate * 100).toFixed(3)}%: 0 at 0.1%, 30 at 0.2%)` +
    ` − delivery ${delivery.toFixed(1)} (rate ${(f.deliveryRate * 100).toFixed(2)}%: 0 at 95%, 20 at 90%)` +
    ` − blocklist ${blocklist} = ${score}`;
  return { score, penalties: { bounces, complaints, delivery, blocklist }, formula };
}

export async function runReputation(dataDir: string, o: { since?: Date; thresholds: Thresholds; ips: string[]; resolver?: string }): Promise<ReputationResult> {
  const since = (o.since ?? new Date(0)).toISOString();
  let total = rates(0, 0, 0);
  let campaigns: ReputationResult['campaigns'] = [];
  let daily: ReputationResult['daily'] = [];
  if (stateExists(dataDir)) {
    const store = StateStore.open(dataDir);
    try {
      const q = <T>(sql: string, ...a: unknown[]) => store.db.prepare(sql).all(...a) as T[];
      // Each bounce and each complaint counts against one send: the latest one to that address
      // before it arrived. An address mailed in three campaigns that bounces once is one bounce.
      const rows = q<{ campaign: string; day: string; sent: number; bounced: number; complained: number }>(
        `WITH delivered AS (SELECT id, email, campaign_id, sent_at FROM sends WHERE status = 'sent'),
              bounced AS (SELECT DISTINCT (SELECT d.id FROM delivered d WHERE d.email = b.email AND d.sent_at <= b.occurred_at ORDER BY d.sent_at DESC LIMIT 1) AS send_id FROM bounces b),
              complained AS (SELECT (SELECT d.id FROM delivered d WHERE d.email = p.email AND d.sent_at <= p.created_at ORDER BY d.sent_at DESC LIMIT 1) AS send_id FROM suppressions p WHERE p.reason = 'complaint')
         SELECT d.campaign_id AS campaign, substr(d.sent_at, 1, 10) AS day, COUNT(*) AS sent,
                SUM(d.id IN (SELECT send_id FROM bounced WHERE send_id IS NOT NULL)) AS bounced,
                SUM(d.id IN (SELECT send_id FROM complained WHERE send_id IS NOT NULL)) AS complained
         FROM delivered d WHERE d.sent_at >= ? GROUP BY d.campaign_id, day`,
        since,
      );
      const sum = (list: typeof rows) => rates(list.reduce((a, r) => a + r.sent, 0), list.reduce((a, r) => a + r.bounced, 0), list.reduce((a, r) => a + r.complained, 0));
      total = sum(rows);
      campaigns = [...new Set(rows.map((r) => r.campaign))].sort().map((c) => ({ campaign: c, ...sum(rows.filter((r) => r.campaign === c)) }));
      daily = [...new Set(rows.map((r) => r.day))].sort().map((d) => ({ day: d, ...sum(rows.filter((r) => r.day === d)) }));
    } finally {
      store.close();
    }
  }
  const blocklists = o.ips.length ? await checkBlocklists(o.ips, undefined, createDnsClient({ server: o.resolver })) : [];
  // Informational entries (UCEPROTECT level 1, a neutral Mailspike score) do not cost the 50 points.
  const listed = blocklists.filter((b) => b.verdict === 'listed' && (b.severity === 'error' || b.severity === 'warning'));
  const { score, penalties, formula } = senderScore(total, listed.length > 0);
  const crossed: string[] = [];
  if (total.sent && total.bounceRate > o.thresholds.maxBounceRate) crossed.push(`bounce rate ${(total.bounceRate * 100).toFixed(2)}% > ${(o.thresholds.maxBounceRate * 100).toFixed(2)}%`);
  if (total.sent && total.complaintRate > o.thresholds.maxComplaintRate) crossed.push(`complaint rate ${(total.complaintRate * 100).toFixed(3)}% > ${(o.thresholds.maxComplaintRate * 100).toFixed(3)}%`);
  if (total.sent && total.deliveryRate < o.thresholds.minDeliveryRate) crossed.push(`delivery rate ${(total.deliveryRate * 100).toFixed(2)}% < ${(o.thresholds.minDeliveryRate * 100).toFixed(2)}%`);
  for (const b of listed) crossed.push(`${b.list}: ${b.subject} ${b.detail}`);
  return { since: o.since?.toISOString() ?? null, ...total, score, formula, penalties, blocklists, crossed, campaigns, daily };
}
