/** Live view of a send run. Pure: state comes in as props. */
import { Box, Text } from 'ink';

export interface SendProgressProps {
  sent: number;
  failed: number;
  inDoubt: number;
  skipped: number;
  remaining: number;
  perMinute: number;
  etaSeconds: number | undefined;
  waitingFor: string | undefined;
  waitSeconds: number;
}

function duration(s: number): string {
  if (s < 90) return `${Math.ceil(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function SendProgressView(p: SendProgressProps) {
  return (
    <Box flexDirection="column">
      <Box gap={1}>
        <Text color="cyan">send</Text>
        <Text color="green">{p.sent} sent</Text>
        <Text>· {p.skipped} skipped</Text>
        <Text color={p.failed ? 'red' : undefined}>· {p.failed} failed</Text>
        <Text color={p.inDoubt ? 'yellow' : undefined}>· {p.inDoubt} in doubt</Text>
        <Text>· {p.remaining} to go</Text>
      </Box>
      <Box gap={1}>
        <Text dimColor>{p.perMinute}/min</Text>
        <Text dimColor>{p.etaSeconds === undefined ? '' : `· done in about ${duration(p.etaSeconds)}`}</Text>
        {p.waitingFor ? <Text color="yellow">· waiting {Math.ceil(p.waitSeconds)} s for the per-{p.waitingFor} limit</Text> : null}
      </Box>
    </Box>
  );
}
