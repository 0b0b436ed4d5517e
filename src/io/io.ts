/**
 * The IO object: the only place that knows whether a stream is a terminal, whether colour is on,
 * whether prompting is possible and whether output is JSON. stdout carries only results;
 * progress, logs, warnings and errors go to stderr.
 */
import { createRedactor, type Redactor } from './redact.js';

export type Verbosity = 'quiet' | 'normal' | 'verbose';

export interface WritableLike {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface IO {
  readonly stdout: WritableLike;
  readonly stderr: WritableLike;
  readonly json: boolean;
  readonly verbosity: Verbosity;
  readonly color: boolean;
  /** stderr is a terminal and we may draw live progress there. */
  readonly interactiveProgress: boolean;
  /** A human can answer a prompt (stdin is a TTY and CI is not set). */
  readonly canPrompt: boolean;
  out(text: string): void;
  outJson(value: unknown): void;
  info(text: string): void;
  warn(text: string): void;
  error(text: string): void;
  debug(text: string): void;
  paint(style: Style, text: string): string;
  /** Secrets registered here are masked in every line written to stderr. */
  readonly secrets: Redactor;
}

export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';
const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

export interface IOOptions {
  json?: boolean;
  verbosity?: Verbosity;
  noColor?: boolean;
  env?: NodeJS.ProcessEnv;
  stdout?: WritableLike;
  stderr?: WritableLike;
  stdinIsTTY?: boolean;
}

export function isCI(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

export function colorEnabled(stream: WritableLike, env: NodeJS.ProcessEnv, noColor: boolean): boolean {
  if (noColor) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export function createIO(opts: IOOptions = {}): IO {
  const env = opts.env ?? process.env;
  const stdout: WritableLike = opts.stdout ?? process.stdout;
  const stderr: WritableLike = opts.stderr ?? process.stderr;
  const json = opts.json ?? false;
  const verbosity = opts.verbosity ?? 'normal';
  const color = colorEnabled(stderr, env, opts.noColor ?? false);
  const stdinTTY = opts.stdinIsTTY ?? process.stdin.isTTY === true;
  const interactiveProgress = stderr.isTTY === true && verbosity !== 'quiet' && env.TERM !== 'dumb';
  const canPrompt = stdinTTY && stderr.isTTY === true && !isCI(env);
  const paint = (style: Style, text: string): string => {
    if (!color) return text;
    const [open, close] = CODES[style];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  };
  const secrets = createRedactor();
  const redact = (t: string) => secrets.redact(t);
  const line = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
  return {
    stdout,
    stderr,
    json,
    verbosity,
    color,
    interactiveProgress,
    canPrompt,
    paint,
    secrets,
    out: (text) => void stdout.write(line(text)),
    outJson: (value) => void stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    info: (text) => {
      if (verbosity !== 'quiet') stderr.write(line(redact(text)));
    },
    warn: (text) => {
      if (verbosity !== 'quiet') stderr.write(line(`${paint('yellow', 'warning:')} ${redact(text)}`));
    },
    error: (text) => void stderr.write(line(`${paint('red', 'error:')} ${redact(text)}`)),
    debug: (text) => {
      if (verbosity === 'verbose') stderr.write(line(paint('dim', redact(text))));
    },
  };
}

/** A string-backed IO for tests. */
export function createMemoryIO(opts: Omit<IOOptions, 'stdout' | 'stderr'> & { tty?: boolean } = {}): IO & {
  stdoutText(): string;
  stderrText(): string;
} {
  let out = '';
  let err = '';
  const stdout: WritableLike = { write: (c: string) => (out += c), isTTY: opts.tty ?? false };
  const stderr: WritableLike = { write: (c: string) => (err += c), isTTY: opts.tty ?? false };
  const io = createIO({ ...opts, env: opts.env ?? {}, stdout, stderr, stdinIsTTY: opts.tty ?? false });
  return Object.assign(io, { stdoutText: () => out, stderrText: () => err });
}
