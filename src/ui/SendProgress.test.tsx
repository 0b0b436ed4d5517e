import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { SendProgressView } from './SendProgress.js';

describe('SendProgressView', () => {
  it('shows the counts, the pace, an ETA and why it is waiting (last frame)', () => {
    const { lastFrame } = render(
      <SendProgressView sent={120} failed={2} inDoubt={1} skipped={7} remaining={380} perMinute={20} etaSeconds={1140} waitingFor="minute" waitSeconds={2.2} />,
    );
    const frame = lastFrame() ?? '';
    expect(frame).toContain('120 sent · 7 skipped · 2 failed · 1 in doubt · 380 to go');
    expect(frame).toContain('20/min · done in about 19 min');
    expect(frame).toContain('waiting 3 s for the per-minute limit');
  });
});
