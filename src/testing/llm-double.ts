/**
 * HTTP doubles of three LLM APIs (none can be called here): OpenAI chat completions (also what
 * vLLM and Ollama serve), Anthropic messages and Gemini generateContent, with their documented
 * request and response shapes. They record every request body and answer from a queue.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LlmDouble {
  url: string;
  requests: Array<{ path: string; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }>;
  /** The next answers' text, in order; the last one repeats. */
  answers: string[];
  delayMs: number;
  close(): Promise<void>;
}

export async function startLlmDouble(): Promise<LlmDouble> {
  const d: LlmDouble = { url: '', requests: [], answers: ['{"contacts":[]}'], delayMs: 0, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
      d.requests.push({ path, headers: req.headers, body });
      const text = d.answers.length > 1 ? d.answers.shift()! : d.answers[0]!;
      let payload: unknown;
      if (path.endsWith('/chat/completions')) {
        if (!body.model || !Array.isArray(body.messages)) return void res.writeHead(400).end('{"error":{"message":"model and messages are required"}}');
        payload = { id: 'chatcmpl-1', object: 'chat.completion', model: body.model, choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: text } }], usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 } };
      } else if (path.endsWith('/messages')) {
        if (!body.model || !body.max_tokens || req.headers['anthropic-version'] === undefined) return void res.writeHead(400).end('{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens and anthropic-version are required"}}');
        payload = { id: 'msg_1', type: 'message', role: 'assistant', model: body.model, content: [{ type: 'text', text }], stop_reason: 'end_turn', usage: { input_tokens: 100, output_tokens: 50 } };
      } else if (/:generateContent$/.test(path)) {
        if (!Array.isArray(body.contents)) return void res.writeHead(400).end('{"error":{"code":400,"message":"contents is required"}}');
        payload = { candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 50 } };
      } else {
        return void res.writeHead(404).end('{}');
      }
      setTimeout(() => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(payload));
      }, d.delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  d.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  d.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return d;
}
