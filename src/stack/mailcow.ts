/**
 * The parts of Mailcow's API mailops uses (X-API-Key; `add/*` takes attributes, `edit/*` takes
 * `{items, attr}`; every answer is a list of `{type, msg}` that must be checked even on HTTP 200).
 */
import { ExitCode, MailopsError } from '../errors.js';

export interface MailcowOptions {
  url: string;
  apiKey: string;
  fetch?: typeof fetch;
}

interface Outcome {
  type: string;
  msg: unknown;
}

export class MailcowClient {
  constructor(private readonly o: MailcowOptions) {}

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await (this.o.fetch ?? fetch)(new URL(`api/v1/${path}`, this.o.url.endsWith('/') ? this.o.url : `${this.o.url}/`), {
        method,
        headers: { 'X-API-Key': this.o.apiKey, 'Content-Type': 'application/json', Accept: 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new MailopsError('mailcow-unavailable', `cannot reach Mailcow at ${this.o.url}: ${(err as Error).message}`, { exitCode: ExitCode.unavailable, hint: 'Check MAILCOW_URL and that this host is in API_ALLOW_FROM.' });
    }
    const json = (await res.json().catch(() => undefined)) as unknown;
    if (res.status === 401 || res.status === 403) {
      throw new MailopsError('mailcow-auth', `Mailcow refused the API key (HTTP ${res.status})`, { exitCode: ExitCode.auth, hint: 'Check MAILCOW_API_KEY (read-write) and API_ALLOW_FROM in mailcow.conf.' });
    }
    if (!res.ok) throw new MailopsError('mailcow', `Mailcow ${path}: HTTP ${res.status}`, { exitCode: ExitCode.unavailable });
    const outcomes = Array.isArray(json) ? (json as Outcome[]).filter((o) => o && typeof o === 'object' && 'type' in o) : [];
    const bad = outcomes.find((o) => o.type === 'danger' || o.type === 'error');
    if (bad) throw new MailopsError('mailcow', `Mailcow ${path}: ${JSON.stringify(bad.msg)}`, { exitCode: ExitCode.failure });
    return json as T;
  }

  async relayhosts(): Promise<Array<{ id: number; hostname: string; username: string }>> {
    const r = await this.call<unknown>('GET', 'get/relayhost/all');
    return (Array.isArray(r) ? r : []).filter((x): x is { id: number; hostname: string; username: string } => !!x && typeof x === 'object' && 'hostname' in x).map((x) => ({ ...x, id: Number(x.id) }));
  }

  /** Adds the relayhost, or updates the credentials of the one with the same hostname; returns its id. */
  async upsertRelayhost(hostname: string, username: string, password: string): Promise<{ id: number; created: boolean }> {
    const existing = (await this.relayhosts()).find((r) => r.hostname === hostname);
    if (existing) {
      await this.call('POST', 'edit/relayhost', { items: [String(existing.id)], attr: { hostname, username, password, active: '1' } });
      return { id: existing.id, created: false };
    }
    await this.call('POST', 'add/relayhost', { hostname, username, password });
    const added = (await this.relayhosts()).find((r) => r.hostname === hostname);
    if (!added) throw new MailopsError('mailcow', `Mailcow did not list the relayhost ${hostname} after adding it`, { exitCode: ExitCode.failure });
    return { id: added.id, created: true };
  }

  /** The domain's DKIM key as Mailcow publishes it, or undefined when it has none. */
  async dkim(domain: string): Promise<{ selector: string; txt: string; bits: number } | undefined> {
    const r = await this.call<Record<string, unknown>>('GET', `get/dkim/${encodeURIComponent(domain)}`);
    if (!r || typeof r !== 'object' || typeof r.dkim_txt !== 'string' || !r.dkim_txt) return undefined;
    return { selector: String(r.dkim_selector ?? 'dkim'), txt: r.dkim_txt, bits: Number(r.length ?? 0) };
  }

  async attachRelayhostToDomain(domain: string, relayhostId: number): Promise<void> {
    await this.call('POST', 'edit/domain', { items: [domain], attr: { relayhost: String(relayhostId) } });
  }
}
