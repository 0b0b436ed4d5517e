/**
 * A contract double of the Mailcow API endpoints mailops uses (Mailcow cannot run here): X-API-Key
 * auth (401 otherwise), `add/*` with attributes, `edit/*` with {items, attr}, answers as lists of
 * {type, msg, log} — including `danger` answers with HTTP 200, as Mailcow gives them.
 * Source: ../shared/reference/stack.md §3.2 (mailcow openapi.yaml, json_api.php); `get/dkim/{domain}`
 * answers {pubkey, length, dkim_txt, dkim_selector, privkey} per Mailcow's API documentation.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MailcowDouble {
  url: string;
  apiKey: string;
  relayhosts: Array<{ id: number; hostname: string; username: string; password: string; active: string }>;
  domains: Record<string, { relayhost: string }>;
  /** DKIM keys per domain as `get/dkim/{domain}` returns them (pubkey is base64 SPKI). */
  dkim: Record<string, { pubkey: string; length: string; dkim_selector: string }>;
  calls: string[];
  close(): Promise<void>;
}

export async function startMailcowDouble(domains: string[] = ['sourceww.com']): Promise<MailcowDouble> {
  const d: MailcowDouble = { url: '', apiKey: 'ABCDEF-123456-ABCDEF-123456', relayhosts: [], domains: Object.fromEntries(domains.map((x) => [x, { relayhost: '0' }])), dkim: {}, calls: [], close: async () => undefined };
  let nextId = 1;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const route = `${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`;
      d.calls.push(route);
      if (req.headers['x-api-key'] !== d.apiKey) return send(401, { type: 'error', msg: 'authentication failed' });
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      const ok = (msg: unknown) => send(200, [{ type: 'success', log: [route], msg }]);
      const danger = (msg: unknown) => send(200, [{ type: 'danger', log: [route], msg }]);
      if (route === 'GET /api/v1/get/relayhost/all') return send(200, d.relayhosts.map(({ password: _p, ...r }) => r));
      if (route === 'POST /api/v1/add/relayhost') {
        if (typeof body.hostname !== 'string' || !/^\[?[a-z0-9.-]+\]?:\d+$/i.test(body.hostname)) return danger(['invalid_host', body.hostname]);
        if (d.relayhosts.some((r) => r.hostname === body.hostname)) return danger(['relayhost_exists', body.hostname]);
        d.relayhosts.push({ id: nextId++, hostname: body.hostname, username: String(body.username ?? ''), password: String(body.password ?? ''), active: '1' });
        return ok(['relayhost_added', body.hostname]);
      }
      if (route === 'POST /api/v1/edit/relayhost') {
        const items = (body.items as string[]) ?? [];
        const attr = (body.attr as Record<string, string>) ?? {};
        for (const id of items) {
          const r = d.relayhosts.find((x) => String(x.id) === id);
          if (!r) return danger(['relayhost_invalid', id]);
          Object.assign(r, attr);
        }
        return ok(['object_modified', items.join(',')]);
      }
      if (route === 'POST /api/v1/edit/domain') {
        const items = (body.items as string[]) ?? [];
        const attr = (body.attr as Record<string, string>) ?? {};
        for (const dom of items) {
          if (!d.domains[dom]) return danger(['domain_not_found', dom]);
          if (attr.relayhost !== undefined && attr.relayhost !== '0' && !d.relayhosts.some((r) => String(r.id) === attr.relayhost)) return danger(['relayhost_invalid', attr.relayhost]);
          Object.assign(d.domains[dom]!, attr);
        }
        return ok(['domain_modified', items.join(',')]);
      }
      const dkim = /^GET \/api\/v1\/get\/dkim\/([^/]+)$/.exec(route);
      if (dkim) {
        // Mailcow answers {} for a domain without a key, and the key with its TXT value otherwise.
        const k = d.dkim[decodeURIComponent(dkim[1]!)];
        return send(200, k ? { ...k, privkey: '', dkim_txt: `v=DKIM1;k=rsa;t=s;s=email;p=${k.pubkey}` } : {});
      }
      return send(404, { type: 'error', msg: 'route not found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  d.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  d.close = () => new Promise<void>((r) => server.close(() => r()));
  return d;
}
