/**
 * The LLM pass against HTTP doubles of the OpenAI, Anthropic and Gemini APIs (src/testing/
 * llm-double.ts; no model can be called here), with the real clients, real SQLite cache and the
 * real extraction around it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { analyzeMessage } from '../ingest/analyze.js';
import { StateStore } from '../store/store.js';
import { startLlmDouble, type LlmDouble } from '../testing/llm-double.js';
import { LlmRefiner, type LlmSettings } from './refine.js';

const REPLY = Buffer.from(
  [
    'From: Jane Roe <jane.roe@acme.co.uk>',
    'To: campaign+r1@sourceww.com',
    'Subject: Re: Partnership',
    'Message-ID: <llm-1@acme.co.uk>',
    'Date: Tue, 03 Nov 2026 09:15:00 +0000',
    '',
    'Happy to chat next week.',
    '',
    'Jane Roe',
    'Talent Scout',
    'Acme Ltd',
    '020 7946 0958',
    '',
    'On Mon, 2 Nov 2026, Dana Whitfield <dana@sourceww.com> wrote:',
    '> Our platform cuts reconciliation time in half.',
    '> Dana Whitfield | +1 (415) 555-0142 | dana@sourceww.com',
    '',
  ].join('\r\n'),
);

const GOOD = JSON.stringify({
  contacts: [
    { name: 'Jane Roe', title: 'Talent Scout', company: 'Acme Ltd', email: 'jane.roe@acme.co.uk', phone: '+44 20 7946 0000' },
    { name: 'Dana Whitfield', title: null, company: null, email: 'dana@sourceww.com', phone: '+1 (415) 555-0142' },
  ],
});

let llm: LlmDouble;
beforeEach(async () => {
  llm = await startLlmDouble();
});
afterEach(async () => llm.close());

const settings = (over: Partial<LlmSettings> = {}): LlmSettings => ({
  provider: 'openai',
  model: 'gpt-test',
  apiKey: 'sk-test',
  endpoint: llm.url,
  mode: 'always',
  runMode: 'prod',
  maxCalls: 10,
  maxInputTokens: 2000,
  maxOutputTokens: 300,
  timeoutMs: 2000,
  ...over,
});
const ctx = { ownDomains: [], defaultRegion: 'US' as const };
const analyse = () => analyzeMessage(REPLY, undefined, { ownDomains: [], replyLocalpart: 'campaign', defaultRegion: 'US' });

describe('LLM pass (against API doubles)', () => {
  it('merges what is found in the text, drops a hallucinated phone and quoted people; sends no quoted history', async () => {
    llm.answers = [GOOD];
    const a = await analyse();
    expect(a.rows[0]!.contact_title).toBe(''); // the rules do not know "Talent Scout"
    const r = await new LlmRefiner(settings(), undefined, ctx).refine(a);
    expect(r).toMatchObject({ calls: 1, cached: false });
    expect(a.rows).toHaveLength(1);
    expect(a.rows[0]).toMatchObject({ contact_title: 'Talent Scout', contact_phone_e164: '+442079460958' }); // the rules' phone stays
    expect(r!.dropped).toEqual(
      expect.arrayContaining([
        { field: 'phone', value: '+44 20 7946 0000', why: 'not in the message text (or only as a fax)' },
        { field: 'email', value: 'dana@sourceww.com', why: 'not in the message text' },
      ]),
    );
    const req = llm.requests[0]!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.body).toMatchObject({ model: 'gpt-test', max_tokens: 300, temperature: 0, response_format: { type: 'json_schema', json_schema: { name: 'contacts', strict: true } } });
    const sent = JSON.stringify(req.body.messages);
    expect(sent).toContain('Talent Scout');
    expect(sent).not.toContain('reconciliation');
    expect(sent).not.toContain('555-0142');
  });

  it('speaks the Anthropic messages and Gemini generateContent shapes', async () => {
    llm.answers = [GOOD];
    const a1 = await analyse();
    await new LlmRefiner(settings({ provider: 'anthropic', model: 'claude-test' }), undefined, ctx).refine(a1);
    const anth = llm.requests[0]!;
    expect(anth.path).toBe('/v1/messages');
    expect(anth.headers['x-api-key']).toBe('sk-test');
    expect(anth.headers['anthropic-version']).toBe('2023-06-01');
    expect(anth.body).toMatchObject({ model: 'claude-test', max_tokens: 300 });
    expect(String(anth.body.system)).toMatch(/JSON schema/);
    expect(JSON.stringify(anth.body.messages)).not.toContain('reconciliation');
    expect(a1.rows[0]!.contact_title).toBe('Talent Scout');

    const a2 = await analyse();
    await new LlmRefiner(settings({ provider: 'gemini', model: 'gemini-test' }), undefined, ctx).refine(a2);
    const gem = llm.requests[1]!;
    expect(gem.path).toBe('/v1/models/gemini-test:generateContent');
    expect(gem.headers['x-goog-api-key']).toBe('sk-test');
    expect(gem.body).toMatchObject({ generationConfig: { responseMimeType: 'application/json', maxOutputTokens: 300 } });
    expect((gem.body.generationConfig as Record<string, unknown>).responseSchema).toBeDefined();
    expect(a2.rows[0]!.contact_title).toBe('Talent Scout');
  });

  it('retries malformed JSON once, then the rules stand', async () => {
    llm.answers = ['Sure! Here are the contacts:', '{"people": []}'];
    const a = await analyse();
    const before = JSON.stringify(a.rows);
    const r = await new LlmRefiner(settings(), undefined, ctx).refine(a);
    expect(r).toMatchObject({ calls: 2, error: 'the answer did not match the schema' });
    expect(JSON.stringify(a.rows)).toBe(before);
  });

  it('a timeout falls back to the rules', async () => {
    llm.delayMs = 1500;
    const a = await analyse();
    const before = JSON.stringify(a.rows);
    const r = await new LlmRefiner(settings({ timeoutMs: 200 }), undefined, ctx).refine(a);
    expect(r!.error).toMatch(/the model call failed/);
    expect(JSON.stringify(a.rows)).toBe(before);
  });

  it('a cache hit makes no call; the call budget is respected; test mode and no key never call', async () => {
    llm.answers = [GOOD];
    const store = StateStore.open(mkdtempSync(path.join(tmpdir(), 'mailops-llm-')));
    const first = new LlmRefiner(settings(), store, ctx);
    await first.refine(await analyse());
    const again = new LlmRefiner(settings(), store, ctx);
    const r = await again.refine(await analyse());
    expect(r).toMatchObject({ cached: true, calls: 0 });
    expect(llm.requests).toHaveLength(1);
    store.close();

    const budget = new LlmRefiner(settings({ maxCalls: 1 }), undefined, ctx);
    await budget.refine(await analyse());
    const second = await budget.refine(await analyzeMessage(Buffer.from(REPLY.toString().replace('llm-1', 'llm-2').replace('Happy', 'Glad')), undefined, { ownDomains: [], replyLocalpart: 'campaign', defaultRegion: 'US' }));
    expect(second!.error).toMatch(/LLM_MAX_CALLS_PER_RUN \(1\) reached/);
    expect(llm.requests).toHaveLength(2);

    for (const s of [settings({ runMode: 'test' }), settings({ apiKey: undefined }), settings({ provider: 'none' })]) {
      const off = new LlmRefiner(s, undefined, ctx);
      expect(off.enabled).toBe(false);
      expect(await off.refine(await analyse())).toBeUndefined();
    }
    expect(llm.requests).toHaveLength(2);
  });

  it('fallback mode asks only when the rules are unsure', async () => {
    const clear = await analyzeMessage(
      Buffer.from('From: Tom Becker <tom@acme.de>\nTo: campaign+r2@sourceww.com\nSubject: Re: x\nMessage-ID: <c1@acme.de>\n\nYes.\n\nBest regards,\nTom Becker\nCTO, Acme GmbH\nTel. 030 901820 11\n'),
      undefined,
      { ownDomains: [], replyLocalpart: 'campaign', defaultRegion: 'US' },
    );
    expect(await new LlmRefiner(settings({ mode: 'fallback' }), undefined, ctx).refine(clear)).toBeUndefined();
    const bare = await analyzeMessage(Buffer.from('From: Tom <tom@acme.de>\nTo: campaign+r2@sourceww.com\nSubject: Re: x\nMessage-ID: <c2@acme.de>\n\nPlease talk to my colleague Mia instead, she is at mia@acme.de.\n'), undefined, { ownDomains: [], replyLocalpart: 'campaign', defaultRegion: 'US' });
    const r = await new LlmRefiner(settings({ mode: 'fallback' }), undefined, ctx).refine(bare);
    expect(r!.reason).toBe('no signature found');
    expect(llm.requests).toHaveLength(1);
  });
});
