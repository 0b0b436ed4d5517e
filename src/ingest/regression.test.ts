/**
 * fixtures/regression: 75 further replies (two other sender domains, harder layouts) with their
 * expected contacts. Each message must yield exactly the expected people and fields.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzeMessage } from './analyze.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/regression');
const FIELDS = ['contact_name', 'contact_title', 'contact_company', 'contact_email', 'contact_phone_e164', 'is_ooo', 'campaign_id', 'recipient_id'] as const;
type Row = Record<(typeof FIELDS)[number], string>;
const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { files: Record<string, { kind: string; rows: Row[] }> };
const pick = (r: Row) => Object.fromEntries(FIELDS.map((f) => [f, r[f]])) as Row;

describe('fixtures/regression', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
  it('has an expectation for every message', () => {
    expect(files.length).toBeGreaterThanOrEqual(75);
    for (const f of files) expect(expected.files[f], f).toBeDefined();
  });
  it.each(files)('%s', async (file) => {
    const a = await analyzeMessage(readFileSync(path.join(dir, file)), undefined, { ownDomains: [], replyLocalpart: 'campaign', defaultRegion: 'US' });
    const want = expected.files[file]!;
    expect(a.kind).toBe(want.kind);
    const byKey = (r: Row) => `${r.contact_email}|${r.contact_name}`;
    expect(a.rows.map((r) => pick(r as unknown as Row)).sort((x, y) => byKey(x).localeCompare(byKey(y)))).toEqual(
      want.rows.map(pick).sort((x, y) => byKey(x).localeCompare(byKey(y))),
    );
  });
});
