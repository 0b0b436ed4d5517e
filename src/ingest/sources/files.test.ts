import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSource, readMbox } from './files.js';
import type { RawMessage } from './types.js';

async function all(it: AsyncIterable<RawMessage>): Promise<RawMessage[]> {
  const out: RawMessage[] = [];
  for await (const m of it) out.push(m);
  return out;
}

const msg = (n: number, body: string) => `From: a${n}@x.com\r\nSubject: m${n}\r\nMessage-ID: <m${n}@x>\r\n\r\n${body}\r\n`;

describe('mbox', () => {
  it('splits on From_ lines, unescapes >From, keeps CRLF and the From_ date', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mailops-mbox-'));
    const file = path.join(dir, 'x.mbox');
    writeFileSync(file, `From a1@x.com Tue Nov  3 09:15:00 2026\r\n${msg(1, '>From here on\r\nbye')}\r\nFrom a2@x.com Wed Nov  4 10:00:00 2026\r\n${msg(2, 'Hello,\r\nFrom the start is not a separator without a blank line')}`);
    const got = await all(readMbox(file, { maxMessageBytes: 1 << 20 }));
    expect(got.map((m) => m.ref)).toEqual([`${file}#1`, `${file}#2`]);
    expect(got[0]!.bytes!.toString()).toContain('\r\nFrom here on\r\n');
    expect(got[1]!.bytes!.toString()).toContain('From the start is not a separator');
    expect(got[0]!.receivedAt?.toISOString()).toMatch(/^2026-11-03/);
  });

  it('streams: an oversized message becomes a problem and the next one still arrives', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mailops-mbox-'));
    const file = path.join(dir, 'big.mbox');
    writeFileSync(file, `From a@x Tue Nov  3 09:15:00 2026\n${msg(1, 'x'.repeat(200_000))}\nFrom b@x Tue Nov  3 09:16:00 2026\n${msg(2, 'small')}`);
    const got = await all(readMbox(file, { maxMessageBytes: 10_000 }));
    expect(got[0]!.problem?.reason).toBe('too-large');
    expect(got[0]!.quarantineBytes!.length).toBeLessThanOrEqual(10_000);
    expect(got[1]!.bytes!.toString()).toContain('small');
  });
});

describe('fileSource', () => {
  it('walks directories in order, reads only mail files, and reports missing paths', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mailops-src-'));
    mkdirSync(path.join(dir, 'b'));
    writeFileSync(path.join(dir, 'b', '2.eml'), msg(2, 'two'));
    writeFileSync(path.join(dir, 'a.eml'), msg(1, 'one'));
    writeFileSync(path.join(dir, 'README.md'), '# not mail');
    writeFileSync(path.join(dir, 'expected.json'), '{}');
    const got = await all(fileSource([dir, path.join(dir, 'missing.eml')], { maxMessageBytes: 1 << 20 }));
    expect(got.map((m) => path.relative(dir, m.ref))).toEqual(['a.eml', path.join('b', '2.eml'), 'missing.eml']);
    expect(got[2]!.problem?.reason).toBe('unreadable');
  });
});
