/** The stats dashboard: boxes with the headline counts, a per-campaign table, daily sparklines. Pure. */
import { Box, Text } from 'ink';
import { sparkline, type StatsResult } from '../commands/stats/run.js';

function Tile(p: { label: string; value: string; color?: string }) {
  return (
    <Box borderStyle="round" paddingX={1} flexDirection="column" minWidth={14}>
      <Text dimColor>{p.label}</Text>
      <Text bold {...(p.color ? { color: p.color } : {})}>
        {p.value}
      </Text>
    </Box>
  );
}

export function StatsView({ s, watching }: { s: StatsResult; watching?: boolean }) {
  const replies = (s.messages.human ?? 0) + (s.messages['auto-reply'] ?? 0);
  const sent = s.sends.sent ?? 0;
  return (
    <Box flexDirection="column">
      <Box>
        <Tile label="replies" value={String(s.messages.human ?? 0)} color="green" />
        <Tile label="out of office" value={`${s.messages['auto-reply'] ?? 0} (${Math.round(s.oooRatio * 100)}%)`} />
        <Tile label="unique contacts" value={String(s.uniqueContacts)} color="cyan" />
        <Tile label="bounces" value={`${s.bounces.hard} hard / ${s.bounces.soft} soft`} {...(s.bounces.hard ? { color: 'yellow' } : {})} />
        <Tile label="complaints" value={String(s.complaints)} {...(s.complaints ? { color: 'red' } : {})} />
        <Tile label="sent" value={String(sent)} />
      </Box>
      <Box flexDirection="column" marginTop={1}>
        <Text bold>{'campaign'.padEnd(20)} {'sent'.padStart(6)} {'replies'.padStart(8)} {'ooo'.padStart(5)} {'bounces'.padStart(8)} {'reply rate'.padStart(11)}</Text>
        {s.campaigns.length ? (
          s.campaigns.map((c) => (
            <Text key={c.campaign}>
              {c.campaign.slice(0, 20).padEnd(20)} {String(c.sent).padStart(6)} {String(c.replies).padStart(8)} {String(c.autoReplies).padStart(5)} {String(c.bounces).padStart(8)} {`${(c.replyRate * 100).toFixed(1)}%`.padStart(11)}
            </Text>
          ))
        ) : (
          <Text dimColor>no campaigns yet</Text>
        )}
      </Box>
      <Box flexDirection="column" marginTop={1}>
        <Text>
          replies {sparkline(s.daily.map((d) => d.replies))} <Text dimColor>({replies} total, {s.daily.length} days)</Text>
        </Text>
        <Text>
          bounces {sparkline(s.daily.map((d) => d.bounces))}
        </Text>
      </Box>
      <Text dimColor>
        last ingest {s.lastIngest ?? 'never'} · last send {s.lastSend ?? 'never'}
        {watching ? ' · q to quit' : ''}
      </Text>
    </Box>
  );
}
