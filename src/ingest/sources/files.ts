/**
 * Messages from the file system: .eml files, directories (recursive, sorted), mbox files
 * (mboxrd/mboxo, streamed message by message) and `-` for one message on stdin. Memory stays bounded
 * by the size of one message; anything larger than the limit is quarantined, not loaded.
 */
import { createReadStream } from 'node:fs';
import { open, opendir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RawMessage } from './types.js';

export interface FileSourceOptions {
  maxMessageBytes: number;
  stdin?: NodeJS.ReadableStream;
}

const MAIL_EXT = /\.(eml|mbox|mbx|mail|msg|rfc822)$/i;
const MAILDIR_NAME = /^\d{6,}\.[^/]+$|:2,[A-Za-z]*$/;

/** In a directory, only files that are plausibly mail are read (README/expected files are skipped). */
export function isMailFileName(name: string): boolean {
  if (name.startsWith('.')) return false;
  return MAIL_EXT.test(name) || MAILDIR_NAME.test(name) || !/\.[A-Za-z0-9]{1,5}$/.test(name);
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries: Array<{ name: string; dir: boolean }> = [];
  const handle = await opendir(dir);
  for await (const e of handle) entries.push({ name: e.name, dir: e.isDirectory() });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.dir) {
      if (!e.name.startsWith('.')) yield* walk(full);
    } else if (isMailFileName(e.name)) {
      yield full;
    }
  }
}

async function startsWithFromLine(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(5);
    const { bytesRead } = await fh.read(buf, 0, 5, 0);
    return bytesRead === 5 && buf.toString('latin1') === 'From ';
  } finally {
    await fh.close();
  }
}

function problem(ref: string, reason: string, detail: string, extra: Partial<RawMessage> = {}): RawMessage {
  return { ref, bytes: undefined, receivedAt: undefined, problem: { reason, detail }, ...extra };
}

/** Parses the date of an mbox "From sender date" line. */
function fromLineDate(line: string): Date | undefined {
  const m = /^From \S+\s+(.+)$/.exec(line.trim());
  if (!m) return undefined;
  const d = new Date(m[1]!);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** mboxrd: one level of ">" is removed from ">From " lines. */
function unescapeMbox(buf: Buffer): Buffer {
  if (buf.indexOf('\n>From ') < 0 && buf.indexOf('\n>>From ') < 0) return buf;
  return Buffer.from(buf.toString('latin1').replace(/^>(>*From )/gm, '$1'), 'latin1');
}

/** Splits a byte stream into lines, each with its trailing "\n". */
async function* byteLines(stream: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let carry: Buffer | undefined;
  for await (const chunk of stream) {
    let buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = undefined;
    let pos = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0) break;
      yield buf.subarray(pos, nl + 1);
      pos = nl + 1;
    }
    if (pos < buf.length) carry = Buffer.from(buf.subarray(pos));
    buf = Buffer.alloc(0);
  }
  if (carry?.length) yield carry;
}

const FROM_ = Buffer.from('From ');

export async function* readMbox(file: string, opts: FileSourceOptions): AsyncGenerator<RawMessage> {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  let parts: Buffer[] = [];
  let size = 0;
  let index = 0;
  let receivedAt: Date | undefined;
  let truncated = false;
  let started = false;
  let prevBlank = true;

  const finish = (): RawMessage => {
    index++;
    const ref = `${file}#${index}`;
    let bytes = Buffer.concat(parts);
    // The blank line before the next From_ line belongs to the separator.
    if (bytes.length && bytes[bytes.length - 1] === 0x0a) bytes = bytes.subarray(0, bytes.length - (bytes[bytes.length - 2] === 0x0d ? 2 : 1));
    parts = [];
    size = 0;
    const wasTruncated = truncated;
    truncated = false;
    if (wasTruncated) {
      return problem(ref, 'too-large', `message is larger than ${opts.maxMessageBytes} bytes (MAX_MESSAGE_BYTES); its first bytes are kept`, {
        receivedAt,
        quarantineBytes: bytes,
      });
    }
    return { ref, bytes: unescapeMbox(bytes), receivedAt };
  };

  try {
    for await (const line of byteLines(stream as AsyncIterable<Buffer>)) {
      const isFromLine = line.length >= 5 && line.subarray(0, 5).equals(FROM_) && prevBlank;
      if (isFromLine) {
        if (started) yield finish();
        started = true;
        receivedAt = fromLineDate(line.toString('latin1'));
        prevBlank = false;
        continue;
      }
      if (!started) {
        stream.destroy();
        yield problem(file, 'not-a-message', 'mbox file does not start with a "From " line');
        return;
      }
      prevBlank = line.length <= 2 && (line[0] === 0x0a || (line[0] === 0x0d && line[1] === 0x0a));
      if (truncated) continue;
      if (size + line.length > opts.maxMessageBytes) {
        truncated = true;
        continue;
      }
      parts.push(line);
      size += line.length;
    }
  } finally {
    stream.destroy();
  }
  if (started) yield finish();
}

async function* readOne(file: string, opts: FileSourceOptions): AsyncGenerator<RawMessage> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    yield problem(file, 'unreadable', (err as Error).message);
    return;
  }
  try {
    if (/\.(mbox|mbx)$/i.test(file)) {
      yield* readMbox(file, opts);
      return;
    }
    if (info.size > opts.maxMessageBytes) {
      // Too large to load as one message; an mbox is streamed, anything else is quarantined as is.
      if (info.size >= 5 && (await startsWithFromLine(file))) yield* readMbox(file, opts);
      else yield problem(file, 'too-large', `${info.size} bytes is more than the limit of ${opts.maxMessageBytes} (MAX_MESSAGE_BYTES)`, { quarantineFrom: file });
      return;
    }
    const bytes = await readFile(file);
    if (bytes.length >= 5 && bytes.subarray(0, 5).toString('latin1') === 'From ') {
      // A file with an mbox From_ line may hold one or several messages.
      yield* readMbox(file, opts);
      return;
    }
    yield { ref: file, bytes, receivedAt: info.mtime };
  } catch (err) {
    yield problem(file, 'unreadable', (err as Error).message);
  }
}

async function readStdin(opts: FileSourceOptions): Promise<RawMessage> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of (opts.stdin ?? process.stdin) as AsyncIterable<Buffer | string>) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    size += b.length;
    if (size <= opts.maxMessageBytes) chunks.push(b);
  }
  if (size > opts.maxMessageBytes) return problem('-', 'too-large', `${size} bytes on stdin is more than the limit of ${opts.maxMessageBytes}`, { quarantineBytes: Buffer.concat(chunks) });
  return { ref: '-', bytes: Buffer.concat(chunks), receivedAt: new Date() };
}

/** Yields every message under the given paths, in order. Missing paths are reported as problems. */
export async function* fileSource(paths: string[], opts: FileSourceOptions): AsyncGenerator<RawMessage> {
  for (const p of paths) {
    if (p === '-') {
      yield await readStdin(opts);
      continue;
    }
    let info;
    try {
      info = await stat(p);
    } catch (err) {
      yield problem(p, 'unreadable', (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message);
      continue;
    }
    if (info.isDirectory()) {
      for await (const f of walk(p)) yield* readOne(f, opts);
    } else {
      yield* readOne(p, opts);
    }
  }
}
