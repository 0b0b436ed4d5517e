/** Flags → options for `mailops stats`: ink dashboard on a terminal, a plain table in a pipe, --json. */
import { createElement } from 'react';
import { buildContext, type GlobalFlags } from '../../cli/context.js';
import { usageError } from '../../errors.js';
import { parseSince } from '../rotate/run.js';
import { runStats, sparkline, type StatsResult } from './run.js';

function plain(s: StatsResult): string {
  const kinds = Object.entries(s.messages).map(([k, n]) => `${n} ${k}`).join(', ') || 'none';
  const lines = [
    `messages      ${kinds}; ${s.quarantined} quarantined`,
    `contacts      ${s.rows} rows, ${s.uniqueContacts} unique; out-of-office ratio ${(s.oooRatio * 100).toFixed(0)}%`,
    `bounces       ${s.bounces.hard} hard, ${s.bounces.soft} soft; complaints ${s.complaints}`,
    `sends         ${Object.entries(s.sends).map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}`,
    `suppressions  ${Object.entries(s.suppressions).map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}`,
    `replies/day   ${sparkline(s.daily.map((d) => d.replies))}   bounces/day ${sparkline(s.daily.map((d) => d.bounces))}`,
    `last ingest   ${s.lastIngest ?? 'never'}; last send ${s.lastSend ?? 'never'}`,
    '',
    'CAMPAIGN              SENT  REPLIES  OOO  BOUNCES  REPLY RATE',
    ...s.campaigns.map((c) => `${c.campaign.padEnd(20)} ${String(c.sent).padStart(5)} ${String(c.replies).padStart(8)} ${String(c.autoReplies).padStart(4)} ${String(c.bounces).padStart(8)} ${`${(c.replyRate * 100).toFixed(1)}%`.padStart(11)}`),
  ];
  return lines.join('\n');
}

export async function statsCommand(flags: { since?: string; campaign?: string; watch?: boolean }, globals: GlobalFlags): Promise<number> {
  const { io, loaded } = buildContext(globals);
  let since: Date | undefined;
  try {
    since = parseSince(flags.since);
  } catch (err) {
    throw usageError((err as Error).message);
  }
  const get = () => runStats(loaded.dataDir, { ...(since ? { since } : {}), ...(flags.campaign ? { campaign: flags.campaign } : {}) });
  if (io.json) {
    io.outJson(get());
    return 0;
  }
  if (!io.stdout.isTTY) {
    io.out(plain(get()));
    return 0;
  }
  const { render } = await import('ink');
  const { StatsView } = await import('../../ui/StatsView.js');
  const app = render(createElement(StatsView, { s: get(), watching: !!flags.watch }), { exitOnCtrlC: true, patchConsole: false });
  if (!flags.watch) {
    app.unmount();
    await app.waitUntilExit();
    return 0;
  }
  const timer = setInterval(() => app.rerender(createElement(StatsView, { s: get(), watching: true })), 3000);
  const stdin = process.stdin;
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', (d: Buffer) => {
      if (d.toString() === 'q' || d[0] === 3) app.unmount();
    });
  }
  await app.waitUntilExit();
  clearInterval(timer);
  if (stdin.isTTY) {
    stdin.setRawMode(false);
    stdin.pause();
  }
  return 0;
}
