/** Mounts the ink progress view on stderr; loaded lazily, only on a terminal. */
import { createElement } from 'react';
import { render } from 'ink';
import type { IO } from '../io/io.js';
import type { IngestProgress } from '../ingest/pipeline.js';
import { IngestProgressView } from './IngestProgress.js';

export function mountProgress(io: IO): { update(p: IngestProgress): void; stop(): Promise<void> } {
  const started = Date.now();
  let state: IngestProgress = { messages: 0, rowsWritten: 0, quarantined: 0, current: '' };
  const view = () => createElement(IngestProgressView, { ...state, elapsedMs: Date.now() - started });
  const instance = render(view(), { stdout: io.stderr as NodeJS.WriteStream, patchConsole: false, exitOnCtrlC: false });
  let stopped = false;
  return {
    update(p) {
      state = p;
      if (!stopped) instance.rerender(view());
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      instance.clear();
      instance.unmount();
    },
  };
}
