import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, CSV_HEADER, CsvSink, neutralizeFormula, type ContactRow } from './csv.js';

const row = (over: Partial<ContactRow> = {}): ContactRow => ({
  message_id: '<m1@acme.com>',
  received_at_iso: '2026-11-03T09:15:00.000Z',
  from_email: 'jane@acme.com',
  from_name: 'Jane Roe',
  contact_name: 'Jane Roe',
  contact_title: 'CFO',
  contact_company: 'Acme',
  contact_email: 'jane@acme.com',
  contact_phone_e164: '+14155550142',
  is_ooo: 'false',
  campaign_id: 'q4',
  recipient_id: 'r1',
  raw_excerpt: 'Yes please',
  ...over,
});

describe('contacts.csv', () => {
  it('has exactly the 13 columns of the schema, in order', () => {
    // A change here is a breaking change for every sheet that reads the file.
    expect(CSV_COLUMNS).toEqual([
      'message_id', 'received_at_iso', 'from_email', 'from_name', 'contact_name', 'contact_title', 'contact_company',
      'contact_email', 'contact_phone_e164', 'is_ooo', 'campaign_id', 'recipient_id', 'raw_excerpt',
    ]);
    expect(CSV_HEADER.trim().split(',')).toHaveLength(13);
  });

  it('neutralizes every free-text cell that would start a formula', () => {
    for (const lead of ['=', '+', '-', '@', '\t', '\r']) expect(neutralizeFormula(`${lead}SUM(A1)`)).toBe(`'${lead}SUM(A1)`);
    expect(neutralizeFormula('Jane')).toBe('Jane');
    const dir = mkdtempSync(path.join(tmpdir(), 'mailops-csv-'));
    const sink = new CsvSink(path.join(dir, 'c.csv'));
    sink.open();
    sink.append([row({ contact_name: '=HYPERLINK("http://x")', contact_title: '+1 idea', raw_excerpt: '@cmd' })]);
    sink.close();
    const text = readFileSync(path.join(dir, 'c.csv'), 'utf8');
    expect(text).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(text).toContain("'+1 idea");
    expect(text).toContain("'@cmd");
  });

  it('refuses a malformed structured value instead of writing it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mailops-csv-'));
    const sink = new CsvSink(path.join(dir, 'c.csv'));
    sink.open();
    expect(() => sink.append([row({ contact_phone_e164: '=1+2' })])).toThrow(/contact_phone_e164/);
    expect(() => sink.append([row({ is_ooo: 'maybe' })])).toThrow(/is_ooo/);
    sink.close();
  });

  it('writes the header once and drops a torn last line left by a crash', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'mailops-csv-')), 'c.csv');
    const s1 = new CsvSink(file);
    s1.open();
    s1.append([row()]);
    s1.close();
    writeFileSync(file, `${readFileSync(file, 'utf8')}"<torn@x>",2026-11-0`);
    const s2 = new CsvSink(file);
    s2.open();
    s2.append([row({ message_id: '<m2@acme.com>' })]);
    s2.close();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(CSV_HEADER.trim());
    expect(lines.join('\n')).not.toContain('torn');
  });

  it('refuses to append to a file with a different header', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'mailops-csv-')), 'c.csv');
    writeFileSync(file, 'email,name\n');
    expect(() => new CsvSink(file).open()).toThrow(/header/);
  });
});
