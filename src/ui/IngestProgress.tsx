/** A one-line live view of an ingest run. Pure: state comes in as props. */
import { Box, Text } from 'ink';

export interface IngestProgressProps {
  messages: number;
  rowsWritten: number;
  quarantined: number;
  current: string;
  elapsedMs: number;
}

export function IngestProgressView(p: IngestProgressProps) {
  const rate = p.elapsedMs > 0 ? Math.round((p.messages * 1000) / p.elapsedMs) : 0;
  const current = p.current.length > 36 ? `…${p.current.slice(-35)}` : p.current;
  return (
    <Box gap={1}>
      <Text color="cyan">ingest</Text>
      <Text>
        {p.messages} messages · {p.rowsWritten} rows · {p.quarantined} quarantined · {rate}/s
      </Text>
      <Text dimColor>{current}</Text>
    </Box>
  );
}
