/**
 * Scores mailops against the labelled public corpus in ../shared/corpus (classification on
 * sisimai, quote splitting on talon / reply-parser / reply-trimmer). Used by the corpus test and
 * printed in its output. Returns undefined when the corpus is not present (a user's fresh clone).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeMessage } from '../ingest/analyze.js';
import { parseMail } from '../ingest/parse.js';
import { splitQuote, splitSignature } from '../ingest/split.js';

export function corpusDir(): string | undefined {
  const fromEnv = process.env.MAILOPS_CORPUS_DIR;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [fromEnv, path.resolve(here, '../../../shared/corpus'), path.resolve(process.cwd(), '../shared/corpus')].filter(Boolean) as string[];
  return candidates.find((c) => existsSync(path.join(c, 'sisimai', 'labels.json')));
}

type Labels = Record<string, Record<string, unknown>>;
const labelsOf = (dir: string, set: string): Labels => JSON.parse(readFileSync(path.join(dir, set, 'labels.json'), 'utf8')) as Labels;

export interface ClassificationScore {
  total: number;
  kindAgree: number;
  bounces: number;
  hardAgree: number;
  recipientAgree: number;
  misses: string[];
}

const KIND_MAP: Record<string, string> = { bounce: 'bounce', complaint: 'complaint', 'auto-reply': 'auto-reply', 'delivery-report': 'delivery-report', 'not-bounce': 'human' };

export async function scoreSisimai(dir: string): Promise<ClassificationScore> {
  const labels = labelsOf(dir, 'sisimai');
  const s: ClassificationScore = { total: 0, kindAgree: 0, bounces: 0, hardAgree: 0, recipientAgree: 0, misses: [] };
  for (const [file, l] of Object.entries(labels)) {
    const raw = readFileSync(path.join(dir, 'sisimai', file));
    const a = await analyzeMessage(raw, undefined, { ownDomains: [], replyLocalpart: 'campaign', defaultRegion: 'US' });
    s.total++;
    const want = KIND_MAP[String(l.kind)];
    if (a.kind === want) s.kindAgree++;
    else s.misses.push(`${file}: kind ${want} → ${a.kind}`);
    if (l.kind === 'bounce') {
      s.bounces++;
      const r = a.classification.bounce?.recipients[0];
      if (r && r.hard === l.hard) s.hardAgree++;
      if (r && r.email === String(l.recipient ?? '').toLowerCase()) s.recipientAgree++;
    }
  }
  return s;
}

export interface SplitScore {
  name: string;
  total: number;
  agree: number;
}

const squash = (t: string) => t.replace(/\s+/g, ' ').trim();

export async function scoreQuoteSplit(dir: string): Promise<SplitScore[]> {
  const out: SplitScore[] = [];
  // talon: expected reply text (signature kept), exact after trimming.
  const talon = labelsOf(dir, 'talon');
  const t: SplitScore = { name: 'talon quotation (exact reply)', total: 0, agree: 0 };
  for (const [file, l] of Object.entries(talon)) {
    if (l.task !== 'quotation' || typeof l.expected_reply !== 'string') continue;
    const raw = readFileSync(path.join(dir, 'talon', file));
    const text = file.endsWith('.eml') ? (await parseMail(raw)).text : raw.toString('utf8');
    t.total++;
    if (squash(splitQuote(text).newText) === squash(l.expected_reply)) t.agree++;
  }
  out.push(t);
  // reply parsers: visible text exact, and "reply starts with the expected body, quote removed".
  const erp = labelsOf(dir, 'email_reply_parser');
  const v: SplitScore = { name: 'reply-parser visible text (exact)', total: 0, agree: 0 };
  const f: SplitScore = { name: 'reply-parser multilingual headers (body kept, quote gone)', total: 0, agree: 0 };
  for (const [file, l] of Object.entries(erp)) {
    const text = readFileSync(path.join(dir, 'email_reply_parser', file), 'utf8');
    const split = splitQuote(text);
    if (typeof l.visible_text === 'string') {
      v.total++;
      const body = splitSignature(split.newText).body;
      if (squash(split.newText) === squash(l.visible_text) || squash(body) === squash(l.visible_text)) v.agree++;
    }
    if (typeof l.first_fragment_trimmed === 'string') {
      f.total++;
      const want = squash(l.first_fragment_trimmed);
      const got = squash(split.newText);
      if (got.startsWith(want) && got.length <= want.length + 200) f.agree++;
    }
  }
  out.push(v, f);
  // Discourse trimmer: reply with quotes and signature removed, exact.
  const trim = labelsOf(dir, 'email_reply_trimmer');
  const d: SplitScore = { name: 'reply-trimmer (quote and signature removed, exact)', total: 0, agree: 0 };
  for (const [file, l] of Object.entries(trim)) {
    if (typeof l.expected_trimmed !== 'string') continue;
    const text = readFileSync(path.join(dir, 'email_reply_trimmer', file), 'utf8');
    const split = splitQuote(text);
    d.total++;
    const body = splitSignature(split.newText).body;
    if (squash(body) === squash(l.expected_trimmed) || squash(split.newText) === squash(l.expected_trimmed)) d.agree++;
  }
  out.push(d);
  return out;
}
