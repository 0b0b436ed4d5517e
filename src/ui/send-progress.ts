/** Mounts the send view on stderr; loaded lazily, only on a terminal. */
import { createElement } from 'react';
import { render } from 'ink';
import type { IO } from '../io/io.js';
import { SendProgressView, type SendProgressProps } from './SendProgress.js';

export function mountSendProgress(io: IO, initial: SendProgressProps): { update(p: SendProgressProps): void; stop(): void } {
  let state = initial;
  const instance = render(createElement(SendProgressView, state), { stdout: io.stderr as NodeJS.WriteStream, patchConsole: false, exitOnCtrlC: false });
  let stopped = false;
  return {
    update(p) {
      state = p;
      if (!stopped) instance.rerender(createElement(SendProgressView, state));
    },
    stop() {
      if (stopped) return;
      stopped = true;
      instance.clear();
      instance.unmount();
    },
  };
}
