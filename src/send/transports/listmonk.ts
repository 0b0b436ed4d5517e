/**
 * The Listmonk transport: subscribers are upserted into a list for the campaign (recipient_id and the
 * list's columns as attributes), then each message goes out through `POST /api/tx` with the headers
 * mailops computed (tx headers are copied literally, so each call carries its own Reply-To). Listmonk
 * does not rate-limit tx messages: mailops paces them like SMTP sends.
 *
 * On Listmonk ≥ 6.2 a run can instead be one campaign with per-subscriber templated headers
 * (src/send/listmonk-campaign.ts); `prepare` detects the version and picks the path.
 */
import { ExitCode, MailopsError } from '../../errors.js';
import type { OutgoingMessage } from '../compose.js';
import { SendFailure, type SendResult, type Transport } from './types.js';

export interface ListmonkOptions {
  url: string;
  user: string;
  token: string;
  campaignId: string;
  fromEmail: string;
  fromName: string | undefined;
  fetch?: typeof fetch;
}

interface ApiResponse<T> {
  data?: T;
  message?: string;
}

const TEMPLATE_NAME = 'mailops-tx';

export class ListmonkTransport implements Transport {
  readonly name = 'listmonk' as const;
  version = '';
  path: 'tx' | 'campaign' = 'tx';
  private listId = 0;
  private templateId = 0;
  private readonly f: typeof fetch;

  constructor(private readonly o: ListmonkOptions) {
    this.f = o.fetch ?? fetch;
  }

  private async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.f(new URL(path, this.o.url.endsWith('/') ? this.o.url : `${this.o.url}/`), {
        method,
        headers: { Authorization: `token ${this.o.user}:${this.o.token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new SendFailure('transient', `Listmonk at ${this.o.url} is unreachable: ${(err as Error).message}`);
    }
    const text = await res.text();
    let json: ApiResponse<T> = {};
    try {
      json = text ? (JSON.parse(text) as ApiResponse<T>) : {};
    } catch {
      /* not JSON: keep the status */
    }
    if (res.status === 401 || res.status === 403) throw new SendFailure('fatal', `Listmonk refused the API credentials (HTTP ${res.status}): ${json.message ?? text.slice(0, 200)}`);
    if (res.status >= 500 || res.status === 429) throw new SendFailure('transient', `Listmonk ${method} ${path}: HTTP ${res.status} ${json.message ?? text.slice(0, 200)}`);
    if (res.status >= 400) throw Object.assign(new SendFailure('permanent', `Listmonk ${method} ${path}: HTTP ${res.status} ${json.message ?? text.slice(0, 200)}`), { httpStatus: res.status });
    return json.data as T;
  }

  /** Version check, campaign list and tx template; errors here stop the run before anything is sent. */
  async prepare(path: 'auto' | 'tx' | 'campaign' = 'auto'): Promise<void> {
    try {
      const about = await this.api<{ version?: string }>('GET', 'api/about');
      this.version = String(about?.version ?? '').replace(/^v/, '');
      const lists = await this.api<{ results: Array<{ id: number; name: string }> }>('GET', 'api/lists?per_page=all&minimal=true');
      const name = `mailops-${this.o.campaignId}`;
      const found = (lists?.results ?? (lists as unknown as Array<{ id: number; name: string }>) ?? []).find((l) => l.name === name);
      this.listId = found?.id ?? (await this.api<{ id: number }>('POST', 'api/lists', { name, type: 'private', optin: 'single', tags: ['mailops'] })).id;
      const templates = await this.api<Array<{ id: number; name: string; type: string }>>('GET', 'api/templates');
      const tpl = (templates ?? []).find((t) => t.name === TEMPLATE_NAME && t.type === 'tx');
      this.templateId =
        tpl?.id ??
        (
          await this.api<{ id: number }>('POST', 'api/templates', {
            name: TEMPLATE_NAME,
            type: 'tx',
            subject: '{{ .Tx.Data.subject }}',
            body: '{{ .Tx.Data.html | Safe }}',
          })
        ).id;
      if (path === 'campaign' && !this.campaignCapable) {
        throw new SendFailure('permanent', `--listmonk-path campaign needs Listmonk 6.2 or later (this server is ${this.version || 'older'})`);
      }
      this.path = path === 'tx' ? 'tx' : path === 'campaign' || this.campaignCapable ? 'campaign' : 'tx';
    } catch (err) {
      const f = err as SendFailure;
      throw new MailopsError(f.kind === 'fatal' ? 'listmonk-auth' : 'listmonk', f.message, {
        exitCode: f.kind === 'fatal' ? ExitCode.auth : f.kind === 'transient' ? ExitCode.unavailable : ExitCode.failure,
        hint: f.kind === 'fatal' ? 'Check LISTMONK_API_USER and LISTMONK_API_TOKEN (an API user with subscribers, lists, templates and tx:send permissions).' : 'Is Listmonk up (`mailops status`)? Check LISTMONK_URL.',
        cause: err,
      });
    }
  }

  /** Listmonk 6.2+ renders campaign headers per subscriber. */
  get campaignCapable(): boolean {
    const [major = 0, minor = 0] = this.version.split('.').map(Number);
    return major > 6 || (major === 6 && minor >= 2);
  }

  describe(): string {
    return this.path === 'campaign'
      ? `Listmonk ${this.version}: one campaign for this run, headers templated per subscriber (Listmonk ≥ 6.2); progress from Listmonk's API`
      : `Listmonk ${this.version || '(unknown version)'}: one /api/tx call per recipient, paced by mailops${this.campaignCapable ? '' : ' (campaign headers are templated only from 6.2 on)'}`;
  }

  // ---------------------------------------------------------------- campaign path (6.2+)

  async createRunList(name: string): Promise<number> {
    return (await this.api<{ id: number }>('POST', 'api/lists', { name: `mailops-${name}`, type: 'private', optin: 'single', tags: ['mailops'] })).id;
  }

  /** Puts the subscriber on the run's list with the rendered message as attributes. */
  async upsertRendered(m: OutgoingMessage, listId: number, rendered: Record<string, string>): Promise<void> {
    const saved = this.listId;
    this.listId = listId;
    try {
      await this.upsertSubscriber(m, rendered);
    } finally {
      this.listId = saved;
    }
  }

  async createCampaign(c: { name: string; subject: string; lists: number[]; body: string; altbody: string; headers: Array<Record<string, string>> }): Promise<number> {
    const res = await this.api<{ id: number }>('POST', 'api/campaigns', {
      ...c,
      type: 'regular',
      content_type: 'html',
      messenger: 'email',
      from_email: this.o.fromName ? `${this.o.fromName} <${this.o.fromEmail}>` : this.o.fromEmail,
      tags: ['mailops'],
    });
    return res.id;
  }

  async startCampaign(id: number): Promise<void> {
    await this.api('PUT', `api/campaigns/${id}/status`, { status: 'running' });
  }

  async campaignStatus(id: number): Promise<{ status: string; sent: number; toSend: number }> {
    const c = await this.api<{ status: string; sent?: number; to_send?: number }>('GET', `api/campaigns/${id}`);
    return { status: c.status, sent: c.sent ?? 0, toSend: c.to_send ?? 0 };
  }

  private async upsertSubscriber(m: OutgoingMessage, extra: Record<string, string> = {}): Promise<void> {
    const email = m.recipient.email;
    const attribs = { ...m.recipient.fields, recipient_id: m.recipient.recipientId, campaign_id: this.o.campaignId, ...extra };
    const name = m.recipient.fields.name || [m.recipient.fields.first_name, m.recipient.fields.last_name].filter(Boolean).join(' ') || email.split('@')[0]!;
    const q = encodeURIComponent(`subscribers.email = '${email.replace(/'/g, "''")}'`);
    const found = await this.api<{ results: Array<{ id: number; lists?: Array<{ id: number }>; attribs?: Record<string, unknown> }> }>('GET', `api/subscribers?query=${q}&per_page=1`);
    const existing = found?.results?.[0];
    if (existing) {
      const lists = [...new Set([...(existing.lists ?? []).map((l) => l.id), this.listId])];
      await this.api('PUT', `api/subscribers/${existing.id}`, { email, name, status: 'enabled', lists, attribs: { ...(existing.attribs ?? {}), ...attribs }, preconfirm_subscriptions: true });
      return;
    }
    try {
      await this.api('POST', 'api/subscribers', { email, name, status: 'enabled', lists: [this.listId], attribs, preconfirm_subscriptions: true });
    } catch (err) {
      // 409: created meanwhile; the tx call below finds it either way.
      if ((err as { httpStatus?: number }).httpStatus !== 409) throw err;
    }
  }

  async send(m: OutgoingMessage): Promise<SendResult> {
    await this.upsertSubscriber(m);
    const headers = [{ 'Message-Id': m.messageId }, { 'Reply-To': m.replyTo }, ...Object.entries(m.headers).map(([k, v]) => ({ [k]: v }))];
    await this.api('POST', 'api/tx', {
      subscriber_email: m.recipient.email,
      template_id: this.templateId,
      subject: m.subject,
      from_email: this.o.fromName ? `${this.o.fromName} <${this.o.fromEmail}>` : this.o.fromEmail,
      data: { subject: m.subject, html: m.html ?? `<pre>${escapeHtml(m.text)}</pre>`, text: m.text },
      altbody: m.text,
      content_type: 'html',
      headers,
    });
    return { transportId: undefined, response: 'queued by Listmonk /api/tx' };
  }

  async close(): Promise<void> {
    /* stateless HTTP */
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
