/** `mailops inspect`: the analysis of one message, without touching state or the CSV. */
import { readFile } from 'node:fs/promises';
import type { CountryCode } from 'libphonenumber-js';
import { analyzeMessage, type Analysis } from '../../ingest/analyze.js';
import { LlmRefiner, type LlmSettings } from '../../llm/refine.js';

export interface InspectOptions {
  file: string;
  ownDomains: string[];
  replyLocalpart: string;
  defaultRegion: CountryCode;
  llm?: LlmSettings;
}

export async function runInspect(opts: InspectOptions, deps: { stdin?: NodeJS.ReadableStream } = {}): Promise<Analysis> {
  let raw: Buffer;
  if (opts.file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of (deps.stdin ?? process.stdin) as AsyncIterable<Buffer | string>) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
    raw = Buffer.concat(chunks);
  } else {
    raw = await readFile(opts.file);
  }
  const a = await analyzeMessage(raw, undefined, { ownDomains: opts.ownDomains, replyLocalpart: opts.replyLocalpart, defaultRegion: opts.defaultRegion });
  if (opts.llm) await new LlmRefiner(opts.llm, undefined, { ownDomains: opts.ownDomains, defaultRegion: opts.defaultRegion }).refine(a);
  return a;
}
