/** Flags → options for `mailops reputation`; exit 3 when a threshold is crossed, so cron can alert. */
import { buildContext, type GlobalFlags } from '../../cli/context.js';
import { ExitCode, usageError } from '../../errors.js';
import { parseSince } from '../rotate/run.js';
import { runReputation, type Figures } from './run.js';

const pct = (x: number, d = 2) => `${(x * 100).toFixed(d)}%`;
const row = (label: string, x: Figures) => `${label.padEnd(20)} ${String(x.sent).padStart(5)} ${pct(x.bounceRate).padStart(7)} ${pct(x.complaintRate, 3).padStart(10)} ${pct(x.deliveryRate).padStart(10)}`;

export async function reputationCommand(flags: { since?: string; ip?: string[]; resolver?: string }, globals: GlobalFlags): Promise<number> {
  const { io, loaded } = buildContext(globals);
  const c = loaded.config;
  let since: Date | undefined;
  try {
    since = parseSince(flags.since ?? '30d');
  } catch (err) {
    throw usageError((err as Error).message);
  }
  const r = await runReputation(loaded.dataDir, {
    ...(since ? { since } : {}),
    thresholds: { maxBounceRate: c.REPUTATION_MAX_BOUNCE_RATE, maxComplaintRate: c.REPUTATION_MAX_COMPLAINT_RATE, minDeliveryRate: c.REPUTATION_MIN_DELIVERY_RATE },
    ips: flags.ip ?? c.SENDING_IPS,
    ...((flags.resolver ?? c.DNS_RESOLVER) ? { resolver: flags.resolver ?? c.DNS_RESOLVER } : {}),
  });
  if (io.json) io.outJson(r);
  else {
    io.out(
      [
        `sender score ${r.score}/100   sent ${r.sent}, bounced ${r.bounced} (${pct(r.bounceRate)}), complaints ${r.complaints} (${pct(r.complaintRate, 3)}), delivered ${pct(r.deliveryRate)}`,
        `  ${r.formula}`,
        ...r.blocklists.map((b) => `  ${b.verdict === 'listed' ? '✗' : b.verdict === 'unknown' ? '?' : '✓'} ${b.list}: ${b.subject} ${b.detail}`),
        ...(r.campaigns.length ? ['', 'CAMPAIGN              SENT  BOUNCE  COMPLAINT  DELIVERED', ...r.campaigns.map((x) => row(x.campaign, x))] : []),
        ...(r.daily.length ? ['', 'DAY                   SENT  BOUNCE  COMPLAINT  DELIVERED', ...r.daily.map((x) => row(x.day, x))] : []),
      ].join('\n'),
    );
    for (const x of r.crossed) io.error(`threshold crossed: ${x}`);
  }
  return r.crossed.length ? ExitCode.incomplete : ExitCode.ok;
}
