/**
 * The optional LLM pass. It runs only when it can help and cost nothing it should not: a provider
 * and a key are configured, the mode is prod, the call budget is not spent, and (in fallback mode)
 * the rules are unsure. The model sees the new text and signature only, never the quoted history,
 * and must answer JSON matching a schema (retried once). Nothing it says is trusted blindly: every
 * value must be found in the message text, emails are validated, phones are normalised exactly like
 * the rules do, our own domains and shared mailboxes are excluded. The merge only fills what the
 * rules left empty, or adds people the rules missed.
 */
import { createHash } from 'node:crypto';
import type { CountryCode } from 'libphonenumber-js';
import { z } from 'zod';
import { rowsFromContacts, type Analysis } from '../ingest/analyze.js';
import type { Contact } from '../ingest/extract.js';
import { findPhones, isOwnAddress, isRoleAddress, nameTokens, normalizeEmail, normalizePersonName, regionForEmail } from '../ingest/normalize.js';
import type { StateStore } from '../store/store.js';
import { createLlmClient, type LlmClient, type Provider } from './providers.js';

export interface LlmSettings {
  provider: 'none' | Provider;
  model: string | undefined;
  apiKey: string | undefined;
  endpoint: string | undefined;
  mode: 'fallback' | 'always';
  runMode: 'test' | 'prod';
  maxCalls: number;
  maxInputTokens: number;
  maxOutputTokens: number;
  timeoutMs: number;
}

export interface LlmReport {
  reason: string;
  cached: boolean;
  calls: number;
  proposed: unknown[];
  kept: Array<{ contact: string; field: string; value: string }>;
  dropped: Array<{ field: string; value: string; why: string }>;
  error?: string;
}

const answerSchema = z.object({
  contacts: z.array(
    z.object({
      name: z.string().nullable().optional(),
      title: z.string().nullable().optional(),
      company: z.string().nullable().optional(),
      email: z.string().nullable().optional(),
      phone: z.string().nullable().optional(),
    }),
  ),
});
type Proposed = z.infer<typeof answerSchema>['contacts'][number];

const SYSTEM = [
  'You extract business contacts from one email reply (quoted history already removed).',
  'List every person named with contact details: the sender (from the signature) and anyone the text refers to (colleagues, successors, backups).',
  'Copy values exactly as written in the text; use null when a field is not written. Never guess a company from a domain. Never invent values.',
  'Answer with JSON {"contacts":[{"name","title","company","email","phone"}]} and nothing else.',
].join('\n');

const REFERRAL = /\b(contact|reach|colleague|successor|replacement|replaces?|speak to|talk to|write to|get in touch|cc'?d?|copying|looping in|forward(?:ed)? (?:this|your)|in my absence|urgent|backup|handles?|responsible)\b/i;

const squash = (s: string) => s.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();

/** Whether the pass may run at all, and why not. */
export function llmAvailability(s: LlmSettings): { on: boolean; why: string } {
  if (s.provider === 'none') return { on: false, why: 'LLM_PROVIDER=none' };
  if (!s.apiKey) return { on: false, why: 'no LLM_API_KEY' };
  if (!s.model) return { on: false, why: 'no LLM_MODEL' };
  if (s.runMode === 'test') return { on: false, why: 'test mode never calls a model' };
  return { on: true, why: '' };
}

/** In fallback mode: the reason the rules are unsure, or undefined when they are not. */
export function unsureReason(a: Analysis): string | undefined {
  if (a.kind !== 'human' && a.kind !== 'auto-reply') return undefined;
  const referrals = a.contacts.filter((c) => c.role !== 'sender').length;
  if (!a.signature.signature) return 'no signature found';
  if (a.kind === 'auto-reply' && REFERRAL.test(a.signature.body) && referrals === 0) return 'an auto-reply with a referral sentence and no referral found';
  const sender = a.contacts.find((c) => c.role === 'sender');
  if (sender && !sender.title && !sender.company && !sender.phone) return 'a signature without title, company or phone';
  if (REFERRAL.test(a.signature.body) && /@|\+?\d[\d\s().-]{6,}/.test(a.signature.body) && referrals === 0) return 'a referral sentence with contact details and no referral found';
  return undefined;
}

export class LlmRefiner {
  calls = 0;
  private readonly client: LlmClient | undefined;

  constructor(
    private readonly s: LlmSettings,
    private readonly store: StateStore | undefined,
    private readonly ctx: { ownDomains: string[]; defaultRegion: CountryCode },
    client?: LlmClient,
  ) {
    const avail = llmAvailability(s);
    this.client = avail.on ? (client ?? createLlmClient(s.provider as Provider, s.model!, s.apiKey!, s.endpoint)) : undefined;
  }

  get enabled(): boolean {
    return this.client !== undefined;
  }

  /** Runs the pass on one analysed message when it should; updates its contacts and rows. */
  async refine(a: Analysis): Promise<LlmReport | undefined> {
    if (!this.client) return undefined;
    const reason = this.s.mode === 'always' ? (a.kind === 'human' || a.kind === 'auto-reply' ? 'LLM_MODE=always' : undefined) : unsureReason(a);
    if (!reason) return undefined;
    const text = a.quote.newText.slice(0, this.s.maxInputTokens * 4);
    const user = `From: ${a.from.name ? `${a.from.name} ` : ''}<${a.from.email}>\n\n${text}`;
    const key = createHash('sha256').update(`${this.client.provider}\n${this.client.model}\n${SYSTEM}\n${user}`).digest('hex');
    const report: LlmReport = { reason, cached: false, calls: 0, proposed: [], kept: [], dropped: [] };
    let answer: z.infer<typeof answerSchema> | undefined;
    const cached = this.store?.getLlmCache(key);
    if (cached) {
      answer = answerSchema.safeParse(JSON.parse(cached)).data;
      report.cached = answer !== undefined;
    }
    if (!answer) {
      for (let attempt = 0; attempt < 2 && !answer; attempt++) {
        if (this.calls >= this.s.maxCalls) {
          report.error = `LLM_MAX_CALLS_PER_RUN (${this.s.maxCalls}) reached; the rules' result stands`;
          break;
        }
        this.calls++;
        report.calls++;
        let raw: string;
        try {
          raw = await this.client.complete({ system: SYSTEM, user, maxOutputTokens: this.s.maxOutputTokens, timeoutMs: this.s.timeoutMs });
        } catch (err) {
          report.error = `the model call failed (${(err as Error).message}); the rules' result stands`;
          break;
        }
        try {
          const parsed = answerSchema.safeParse(JSON.parse(raw.replace(/^```(?:json)?\s*|\s*```$/g, '')));
          if (parsed.success) {
            answer = parsed.data;
            this.store?.setLlmCache(key, this.client.model, JSON.stringify(answer));
          } else {
            report.error = 'the answer did not match the schema';
          }
        } catch {
          report.error = 'the answer was not JSON';
        }
      }
      if (answer) delete report.error;
    }
    if (!answer) {
      a.llm = report;
      return report;
    }
    report.proposed = answer.contacts;
    this.merge(a, answer.contacts, text, report);
    a.rows = rowsFromContacts(a);
    a.llm = report;
    return report;
  }

  private merge(a: Analysis, proposed: Proposed[], text: string, report: LlmReport): void {
    const hay = squash(text);
    const own = new Set([...this.ctx.ownDomains, ...a.ownDomains]);
    const senderRegion = regionForEmail(a.from.email, this.ctx.defaultRegion);
    for (const p of proposed) {
      const verified: Partial<Record<'name' | 'title' | 'company' | 'email' | 'phone', string>> = {};
      const drop = (field: string, value: string, why: string) => report.dropped.push({ field, value, why });
      if (p.email) {
        const e = normalizeEmail(p.email);
        if (!e) drop('email', p.email, 'not a valid address');
        else if (!hay.includes(e)) drop('email', p.email, 'not in the message text');
        else if (isOwnAddress(e, own)) drop('email', p.email, 'our own domain');
        else if (isRoleAddress(e)) drop('email', p.email, 'a shared mailbox');
        else verified.email = e;
      }
      if (p.name) {
        const n = normalizePersonName(p.name);
        const inText = n && nameTokens(n).every((t) => hay.includes(t));
        if (!n) drop('name', p.name, 'not a person name');
        else if (!inText) drop('name', p.name, 'not in the message text');
        else verified.name = n;
      }
      for (const field of ['title', 'company'] as const) {
        const v = p[field]?.trim();
        if (!v) continue;
        if (hay.includes(squash(v))) verified[field] = v;
        else drop(field, v, 'not in the message text');
      }
      if (p.phone) {
        const region = regionForEmail(verified.email ?? a.from.email, senderRegion);
        const wanted = findPhones(p.phone, region)[0]?.e164 ?? findPhones(p.phone, this.ctx.defaultRegion)[0]?.e164;
        const inText = new Set([...findPhones(text, region), ...findPhones(text, senderRegion)].filter((x) => !x.isFax).map((x) => x.e164));
        if (!wanted) drop('phone', p.phone, 'not a valid phone number');
        else if (!inText.has(wanted)) drop('phone', p.phone, 'not in the message text (or only as a fax)');
        else verified.phone = wanted;
      }
      // Which contact does it describe? Same email, else same name; the sender when it is the From address.
      const match = a.contacts.find(
        (c) => (verified.email && c.email === verified.email) || (!verified.email && verified.name && c.name && squash(c.name) === squash(verified.name)),
      );
      if (match) {
        for (const f of ['name', 'title', 'company', 'phone'] as const) {
          if (!match[f] && verified[f]) {
            match[f] = verified[f];
            match.why[f] = 'proposed by the model, found in the text';
            report.kept.push({ contact: match.email ?? match.name ?? '', field: f, value: verified[f]! });
          }
        }
      } else if (verified.email || (verified.name && verified.phone)) {
        const c: Contact = { role: 'referral', why: {} };
        for (const f of ['name', 'title', 'company', 'email', 'phone'] as const) {
          if (verified[f]) {
            c[f] = verified[f];
            c.why[f] = 'proposed by the model, found in the text';
            report.kept.push({ contact: verified.email ?? verified.name ?? '', field: f, value: verified[f]! });
          }
        }
        a.contacts.push(c);
      }
    }
  }
}
