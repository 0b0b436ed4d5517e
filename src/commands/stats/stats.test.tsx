/**
 * mailops stats: numbers from a real ingest and send ledger; the ink view by its last frame; and a
 * smoke run in a real terminal under tmux (CI=false so ink renders frames).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { StateStore } from '../../store/store.js';
import { StatsView } from '../../ui/StatsView.js';
import { runIngestCommand } from '../ingest/run.js';
import { runStats, sparkline } from './run.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(root, 'bin', 'mailops');

async function installation() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mailops-stats-'));
  const store = StateStore.open(dataDir);
  const t = new Date();
  for (let i = 0; i < 40; i++) {
    const row = store.beginSend({ email: `l${i}@x.com`, campaignId: i < 30 ? 'q4-fintech' : 'eu-partners', recipientId: `r${i}`, messageId: `<c-x-r-${i}@s.com>`, transport: 'smtp' }, t);
    store.finishSend(row.id, 'sent', { response: '250 ok' }, t);
  }
  store.close();
  await runIngestCommand({
    paths: [path.join(root, 'fixtures', 'replies')], dataDir, csvPath: path.join(dataDir, 'out', 'contacts.csv'), ownDomains: [], replyLocalpart: 'campaign',
    defaultRegion: 'US', maxMessageBytes: 1 << 24, softBounceLimit: 3, softBounceWindowDays: 30, reprocess: false, dryRun: false,
  });
  return dataDir;
}

describe('mailops stats', () => {
  it('counts messages, contacts, bounces, sends and reply rates per campaign', async () => {
    const s = runStats(await installation());
    expect(s.messages).toMatchObject({ human: 33, 'auto-reply': 9, bounce: 5, complaint: 1 });
    expect(s.rows).toBe(48);
    expect(s.bounces).toEqual({ hard: 3, soft: 2 });
    expect(s.oooRatio).toBeCloseTo(9 / 42, 5);
    expect(s.sends).toEqual({ sent: 40 });
    const q4 = s.campaigns.find((c) => c.campaign === 'q4-fintech')!;
    expect(q4.sent).toBe(30);
    expect(q4.replyRate).toBeCloseTo(q4.replies / 30, 5);
    expect(s.daily).toHaveLength(14);
    expect(sparkline([0, 1, 2, 4, 8])).toBe('▁▁▂▄█'); // value / max × 7, rounded down
  });

  it('renders the dashboard (last frame)', async () => {
    const s = runStats(await installation());
    const frame = render(<StatsView s={s} />).lastFrame() ?? '';
    expect(frame).toContain('replies');
    expect(frame).toMatch(/33/);
    expect(frame).toContain('9 (21%)');
    expect(frame).toContain('3 hard / 2 soft');
    expect(frame).toMatch(/q4-fintech\s+30/);
  });

  it('prints a plain table in a pipe and one object with --json', async () => {
    const dataDir = await installation();
    const plain = spawnSync(process.execPath, [bin, 'stats', '--data-dir', dataDir], { encoding: 'utf8' });
    expect(plain.status).toBe(0);
    expect(plain.stdout).toMatch(/^messages .*\b33 human\b/m);
    const json = JSON.parse(spawnSync(process.execPath, [bin, 'stats', '--json', '--data-dir', dataDir], { encoding: 'utf8' }).stdout) as { rows: number };
    expect(json.rows).toBe(48);
  });

  const tmux = spawnSync('tmux', ['-V']).status === 0;
  it.skipIf(!tmux)('shows the ink dashboard in a real terminal (tmux)', async () => {
    const dataDir = await installation();
    const session = `mailops-stats-${process.pid}`;
    spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '20', '-e', 'CI=false', `${process.execPath} ${bin} stats --data-dir ${dataDir}; sleep 5`]);
    try {
      let screen = '';
      for (let i = 0; i < 40 && !/unique contacts/.test(screen); i++) {
        await new Promise((r) => setTimeout(r, 100));
        screen = spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout;
      }
      expect(screen).toMatch(/unique contacts/);
      expect(screen).toMatch(/╭/); // boxes drawn
      expect(screen).toMatch(/q4-fintech/);
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
    }
  }, 30_000);
});
