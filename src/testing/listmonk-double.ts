/**
 * A contract double of Listmonk's HTTP API (Listmonk cannot run on these machines). It implements
 * only the documented endpoints mailops uses, with Listmonk's shapes — `{"data": …}` on success,
 * `{"message": …}` with 400/403/404/409 on failure — and rejects what Listmonk rejects: bad or
 * missing credentials (403), a duplicate subscriber email (409), a tx call for an unknown
 * subscriber or a non-tx template (400), headers that are not single-key objects (400).
 * Source: ../shared/reference/stack.md §1 (knadh/listmonk docs and handlers).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TxCall {
  subscriber_email: string;
  template_id: number;
  subject?: string;
  headers: Array<Record<string, string>>;
  data: Record<string, string>;
  altbody?: string;
  content_type?: string;
  from_email?: string;
}

export interface ListmonkDouble {
  url: string;
  user: string;
  token: string;
  version: string;
  lists: Array<{ id: number; name: string }>;
  templates: Array<{ id: number; name: string; type: string; subject: string; body: string }>;
  subscribers: Array<{ id: number; email: string; name: string; status: string; lists: number[]; attribs: Record<string, unknown> }>;
  tx: TxCall[];
  campaigns: Array<{ id: number; status: string; lists: number[]; subject: string; body: string; altbody: string; headers: Array<Record<string, string>>; sent: number; to_send: number }>;
  /** Messages the double "delivered" for campaigns, rendered per subscriber as Listmonk would. */
  delivered: Array<{ campaign: number; to: string; subject: string; body: string; headers: Record<string, string> }>;
  /** The settings object; SMTP passwords are masked with • on GET, "" on PUT keeps the stored one. */
  settings: Record<string, unknown> & { smtp: Array<Record<string, unknown>> };
  failNextSettingsPut: number;
  /** Answer the next n tx calls with HTTP 500 (Listmonk's queue is full). */
  failNextTx: number;
  close(): Promise<void>;
}

export async function startListmonkDouble(version = 'v6.1.0'): Promise<ListmonkDouble> {
  const d: ListmonkDouble = { url: '', user: 'mailops', token: 'double-token-0123456789', version, lists: [], templates: [], subscribers: [], tx: [], campaigns: [], delivered: [], failNextTx: 0, failNextSettingsPut: 0, settings: { 'app.root_url': 'http://localhost:9000', smtp: [{ uuid: 'u-default', enabled: true, host: 'smtp.yoursite.com', port: 25, auth_protocol: 'cram', username: 'username', password: 'password', tls_type: 'STARTTLS', tls_skip_verify: false, max_conns: 10, hello_hostname: '' }] }, close: async () => undefined };
  let nextId = 1;
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const readBody = (req: IncomingMessage) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      let s = '';
      req.on('data', (c: Buffer) => (s += c.toString()));
      req.on('end', () => {
        try {
          resolve(s ? (JSON.parse(s) as Record<string, unknown>) : {});
        } catch (err) {
          reject(err);
        }
      });
    });
  const server: Server = createServer((req, res) => {
    void (async () => {
      const auth = req.headers.authorization ?? '';
      if (auth !== `token ${d.user}:${d.token}`) return send(res, 403, { message: 'invalid API credentials' });
      const url = new URL(req.url ?? '/', 'http://x');
      let body: Record<string, unknown> = {};
      try {
        body = await readBody(req);
      } catch {
        return send(res, 400, { message: 'invalid JSON' });
      }
      const route = `${req.method} ${url.pathname}`;
      if (route === 'GET /api/settings') {
        return send(res, 200, { data: { ...d.settings, smtp: d.settings.smtp.map((b) => ({ ...b, password: '•'.repeat(String(b.password).length) })) } });
      }
      if (route === 'PUT /api/settings') {
        if (d.failNextSettingsPut > 0) {
          d.failNextSettingsPut--;
          return send(res, 500, { message: 'error updating settings' });
        }
        const smtp = body.smtp as Array<Record<string, unknown>> | undefined;
        if (!Array.isArray(smtp)) return send(res, 400, { message: 'invalid smtp settings' });
        // Missing keys become zero values; an empty password with a known uuid keeps the stored one.
        const merged = smtp.map((b) => {
          const old = d.settings.smtp.find((o) => o.uuid && o.uuid === b.uuid);
          return { ...b, password: b.password === '' && old ? old.password : b.password };
        });
        d.settings = { ...(body as Record<string, unknown>), smtp: merged };
        return send(res, 200, { data: true });
      }
      if (route === 'GET /api/about') return send(res, 200, { data: { version: d.version } });
      if (route === 'GET /api/lists') return send(res, 200, { data: { results: d.lists, total: d.lists.length } });
      if (route === 'POST /api/lists') {
        if (typeof body.name !== 'string' || !body.name) return send(res, 400, { message: 'invalid name' });
        const list = { id: nextId++, name: body.name };
        d.lists.push(list);
        return send(res, 200, { data: list });
      }
      if (route === 'GET /api/templates') return send(res, 200, { data: d.templates });
      if (route === 'POST /api/templates') {
        if (!['campaign', 'campaign_visual', 'tx'].includes(String(body.type))) return send(res, 400, { message: 'invalid template type' });
        if (body.type === 'tx' && !body.subject) return send(res, 400, { message: 'tx templates need a subject' });
        const t = { id: nextId++, name: String(body.name), type: String(body.type), subject: String(body.subject ?? ''), body: String(body.body ?? '') };
        d.templates.push(t);
        return send(res, 200, { data: t });
      }
      if (route === 'GET /api/subscribers') {
        const q = url.searchParams.get('query') ?? '';
        const m = /^subscribers\.email\s*=\s*'((?:[^']|'')*)'$/.exec(q.trim());
        const email = m ? m[1]!.replace(/''/g, "'").toLowerCase() : undefined;
        const results = email ? d.subscribers.filter((s) => s.email === email) : d.subscribers;
        return send(res, 200, { data: { results: results.map((s) => ({ ...s, lists: s.lists.map((id) => ({ id })) })), total: results.length } });
      }
      if (route === 'POST /api/subscribers') {
        const email = String(body.email ?? '').toLowerCase();
        if (!/^[^@\s]+@[^@\s]+$/.test(email)) return send(res, 400, { message: 'invalid email' });
        if (d.subscribers.some((s) => s.email === email)) return send(res, 409, { message: 'E-mail already exists.' });
        const sub = { id: nextId++, email, name: String(body.name ?? ''), status: String(body.status ?? 'enabled'), lists: (body.lists as number[]) ?? [], attribs: (body.attribs as Record<string, unknown>) ?? {} };
        d.subscribers.push(sub);
        return send(res, 200, { data: sub });
      }
      const put = /^PUT \/api\/subscribers\/(\d+)$/.exec(route);
      if (put) {
        const sub = d.subscribers.find((s) => s.id === Number(put[1]));
        if (!sub) return send(res, 404, { message: 'subscriber not found' });
        Object.assign(sub, { name: String(body.name ?? sub.name), status: String(body.status ?? sub.status), lists: (body.lists as number[]) ?? sub.lists, attribs: (body.attribs as Record<string, unknown>) ?? sub.attribs });
        return send(res, 200, { data: sub });
      }
      if (route === 'POST /api/tx') {
        if (d.failNextTx > 0) {
          d.failNextTx--;
          return send(res, 500, { message: 'error queueing message' });
        }
        const tpl = d.templates.find((t) => t.id === body.template_id);
        if (!tpl || tpl.type !== 'tx') return send(res, 400, { message: 'template not found or not a tx template' });
        const email = String(body.subscriber_email ?? '').toLowerCase();
        if (!d.subscribers.some((s) => s.email === email)) return send(res, 400, { message: `subscriber not found: ${email}` });
        const headers = body.headers as unknown;
        if (headers !== undefined && (!Array.isArray(headers) || headers.some((h) => typeof h !== 'object' || h === null || Object.keys(h).length !== 1))) {
          return send(res, 400, { message: 'headers must be a list of single-key objects' });
        }
        d.tx.push(body as unknown as TxCall);
        return send(res, 200, { data: true });
      }
      if (route === 'POST /api/campaigns') {
        const lists = body.lists as number[] | undefined;
        if (!Array.isArray(lists) || !lists.length || lists.some((id) => !d.lists.some((l) => l.id === id))) return send(res, 400, { message: 'invalid lists' });
        if (!['richtext', 'html', 'markdown', 'plain', 'visual'].includes(String(body.content_type))) return send(res, 400, { message: 'invalid content_type' });
        const headers = (body.headers as unknown) ?? [];
        if (!Array.isArray(headers) || headers.some((h) => typeof h !== 'object' || h === null || Object.keys(h).length !== 1)) return send(res, 400, { message: 'headers must be a list of single-key objects' });
        const c = { id: nextId++, status: 'draft', lists, subject: String(body.subject ?? ''), body: String(body.body ?? ''), altbody: String(body.altbody ?? ''), headers: headers as Array<Record<string, string>>, sent: 0, to_send: 0 };
        d.campaigns.push(c);
        return send(res, 200, { data: { id: c.id, status: c.status } });
      }
      const status = /^PUT \/api\/campaigns\/(\d+)\/status$/.exec(route);
      if (status) {
        const c = d.campaigns.find((x) => x.id === Number(status[1]));
        if (!c) return send(res, 404, { message: 'campaign not found' });
        if (body.status === 'running' && !['draft', 'paused'].includes(c.status)) return send(res, 400, { message: `cannot start a ${c.status} campaign` });
        c.status = String(body.status);
        if (c.status === 'running') {
          // Deliver to every enabled subscriber of the lists, rendering .Subscriber.Attribs like Listmonk.
          const major = Number(d.version.replace(/^v/, '').split('.')[0]);
          const minor = Number(d.version.replace(/^v/, '').split('.')[1]);
          const headersTemplated = major > 6 || (major === 6 && minor >= 2);
          const subs = d.subscribers.filter((s) => s.status === 'enabled' && s.lists.some((id) => c.lists.includes(id)));
          c.to_send = subs.length;
          const render = (tpl: string, sub: (typeof subs)[number]) =>
            tpl.replace(/\{\{\s*\.Subscriber\.Attribs\.([A-Za-z0-9_]+)\s*(?:\|\s*Safe\s*)?\}\}/g, (_m, k: string) => String(sub.attribs[k] ?? ''));
          for (const sub of subs) {
            d.delivered.push({
              campaign: c.id,
              to: sub.email,
              subject: render(c.subject, sub),
              body: render(c.body, sub),
              headers: Object.fromEntries(c.headers.map((h) => Object.entries(h)[0]!).map(([k, v]) => [k, headersTemplated ? render(v, sub) : v])),
            });
            c.sent++;
          }
          c.status = 'finished';
        }
        return send(res, 200, { data: { id: c.id, status: c.status } });
      }
      const getC = /^GET \/api\/campaigns\/(\d+)$/.exec(route);
      if (getC) {
        const c = d.campaigns.find((x) => x.id === Number(getC[1]));
        if (!c) return send(res, 404, { message: 'campaign not found' });
        return send(res, 200, { data: { id: c.id, status: c.status, sent: c.sent, to_send: c.to_send } });
      }
      return send(res, 404, { message: 'not found' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  d.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  d.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return d;
}
