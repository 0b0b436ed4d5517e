/**
 * The LLM wire formats mailops speaks, with plain fetch: OpenAI chat completions (also vLLM and
 * Ollama, which serve the same API), Anthropic messages and Gemini generateContent. Each asks for
 * JSON that matches CONTACTS_JSON_SCHEMA and returns the model's text.
 */

export type Provider = 'openai' | 'anthropic' | 'gemini' | 'vllm' | 'ollama';

export interface LlmRequest {
  system: string;
  user: string;
  maxOutputTokens: number;
  timeoutMs: number;
}

export interface LlmClient {
  provider: Provider;
  model: string;
  complete(req: LlmRequest): Promise<string>;
}

export const CONTACTS_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['contacts'],
  properties: {
    contacts: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'title', 'company', 'email', 'phone'],
        properties: {
          name: { type: ['string', 'null'] },
          title: { type: ['string', 'null'] },
          company: { type: ['string', 'null'] },
          email: { type: ['string', 'null'] },
          phone: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;

/** Gemini's schema dialect: OpenAPI-style, nullable instead of type unions. */
const GEMINI_SCHEMA = {
  type: 'OBJECT',
  required: ['contacts'],
  properties: {
    contacts: {
      type: 'ARRAY',
      items: {
        type: 'OBJECT',
        properties: Object.fromEntries(['name', 'title', 'company', 'email', 'phone'].map((k) => [k, { type: 'STRING', nullable: true }])),
      },
    },
  },
};

const DEFAULT_ENDPOINTS: Record<Provider, string> = {
  openai: 'https://api.openai.com/v1',
  vllm: 'http://localhost:8000/v1',
  ollama: 'http://localhost:11434/v1',
  anthropic: 'https://api.anthropic.com/v1',
  gemini: 'https://generativelanguage.googleapis.com/v1beta',
};

async function post(url: string, headers: Record<string, string>, body: unknown, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as unknown;
}

const join = (base: string, path: string) => `${base.replace(/\/+$/, '')}/${path}`;

export function createLlmClient(provider: Provider, model: string, apiKey: string, endpoint: string | undefined): LlmClient {
  const base = endpoint ?? DEFAULT_ENDPOINTS[provider];
  if (provider === 'anthropic') {
    return {
      provider,
      model,
      async complete(r) {
        const json = (await post(
          join(base, 'messages'),
          { 'x-api-key': apiKey, 'anthropic-version': '2023-06-01' },
          { model, max_tokens: r.maxOutputTokens, temperature: 0, system: `${r.system}\nAnswer with JSON only, matching this JSON schema: ${JSON.stringify(CONTACTS_JSON_SCHEMA)}`, messages: [{ role: 'user', content: r.user }] },
          r.timeoutMs,
        )) as { content?: Array<{ type: string; text?: string }> };
        return (json.content ?? []).filter((c) => c.type === 'text').map((c) => c.text ?? '').join('');
      },
    };
  }
  if (provider === 'gemini') {
    return {
      provider,
      model,
      async complete(r) {
        const json = (await post(
          join(base, `models/${encodeURIComponent(model)}:generateContent`),
          { 'x-goog-api-key': apiKey },
          {
            systemInstruction: { parts: [{ text: r.system }] },
            contents: [{ role: 'user', parts: [{ text: r.user }] }],
            generationConfig: { temperature: 0, maxOutputTokens: r.maxOutputTokens, responseMimeType: 'application/json', responseSchema: GEMINI_SCHEMA },
          },
          r.timeoutMs,
        )) as { candidates?: Array<{ content?: { parts?: Array<{ text?: string }> } }> };
        return (json.candidates?.[0]?.content?.parts ?? []).map((p) => p.text ?? '').join('');
      },
    };
  }
  return {
    provider,
    model,
    async complete(r) {
      const json = (await post(
        join(base, 'chat/completions'),
        { Authorization: `Bearer ${apiKey}` },
        {
          model,
          temperature: 0,
          max_tokens: r.maxOutputTokens,
          messages: [
            { role: 'system', content: r.system },
            { role: 'user', content: r.user },
          ],
          response_format: { type: 'json_schema', json_schema: { name: 'contacts', strict: true, schema: CONTACTS_JSON_SCHEMA } },
        },
        r.timeoutMs,
      )) as { choices?: Array<{ message?: { content?: string } }> };
      return json.choices?.[0]?.message?.content ?? '';
    },
  };
}
