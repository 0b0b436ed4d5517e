import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { IngestProgressView } from './IngestProgress.js';

describe('IngestProgressView', () => {
  it('shows counts, rate and the current source (last frame)', () => {
    const { lastFrame } = render(
      <IngestProgressView messages={1200} rowsWritten={1350} quarantined={2} current={`/var/mail/replies/${'x'.repeat(80)}.eml`} elapsedMs={2000} />,
    );
    const frame = lastFrame() ?? '';
    expect(frame).toContain('1200 messages · 1350 rows · 2 quarantined · 600/s');
    expect(frame).toContain('…');
    expect(frame).not.toContain('/var/mail');
  });
});
