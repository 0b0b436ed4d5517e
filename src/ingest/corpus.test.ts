/**
 * Accuracy on the labelled public corpus in ../shared/corpus (sisimai bounces/auto-replies/ARF,
 * talon / reply-parser / reply-trimmer quote splitting). Skips with a visible note when the corpus
 * is not beside the checkout (a user's fresh clone).
 */
import { describe, expect, it } from 'vitest';
import { corpusDir, scoreQuoteSplit, scoreSisimai } from '../testing/corpus.js';

const dir = corpusDir();
if (!dir) console.warn('NOTE: ../shared/corpus not found; corpus accuracy tests are skipped (set MAILOPS_CORPUS_DIR to run them).');

describe.skipIf(!dir)('public corpus accuracy', () => {
  it('classifies sisimai samples: ≥ 95% kind agreement, ≥ 90% hard/soft agreement', async () => {
    const s = await scoreSisimai(dir!);
    const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
    console.log(
      `sisimai: kind ${s.kindAgree}/${s.total} (${pct(s.kindAgree, s.total)}), hard/soft ${s.hardAgree}/${s.bounces} (${pct(s.hardAgree, s.bounces)}), failed recipient ${s.recipientAgree}/${s.bounces} (${pct(s.recipientAgree, s.bounces)})`,
    );
    expect(s.kindAgree / s.total).toBeGreaterThanOrEqual(0.95);
    expect(s.hardAgree / s.bounces).toBeGreaterThanOrEqual(0.9);
    expect(s.recipientAgree / s.bounces).toBeGreaterThanOrEqual(0.9);
  }, 60_000);

  it('splits quotes at least as well as the JS reply parsers measured on the same sets', async () => {
    const scores = await scoreQuoteSplit(dir!);
    for (const s of scores) console.log(`quote split — ${s.name}: ${s.agree}/${s.total} (${((s.agree / s.total) * 100).toFixed(1)}%)`);
    const by = Object.fromEntries(scores.map((s) => [s.name.split(' ')[0] + (s.name.includes('multilingual') ? '-ml' : s.name.includes('visible') ? '-vis' : ''), s.agree / s.total]));
    // Floors: email-reply-parser / planer scored 29–49 of 56, 10 of 14, 37–43 of 42, 30–31 of 64 here.
    expect(by['talon']).toBeGreaterThanOrEqual(0.8);
    expect(by['reply-parser-vis']).toBeGreaterThanOrEqual(0.8);
    expect(by['reply-parser-ml']).toBeGreaterThanOrEqual(0.85);
    expect(by['reply-trimmer']).toBeGreaterThanOrEqual(0.6);
  }, 60_000);
});
