/**
 * An authoritative DNS server on loopback for tests (dns2, UDP + TCP on one port: Node sends no
 * EDNS, so answers over 512 bytes arrive by TCP). Zones are a map name → records; unknown names
 * answer NXDOMAIN, known names without the asked type answer NOERROR with no records (NODATA).
 * TXT strings longer than 255 octets are split, as a real server would store them; a TXT given as
 * an array is served as exactly those character-strings. CNAMEs inside the zone are followed.
 */
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import dns2 from 'dns2';

export type Zone = Record<string, { A?: string[]; AAAA?: string[]; TXT?: Array<string | string[]>; MX?: Array<{ exchange: string; priority: number }>; CNAME?: string; PTR?: string[] }>;

export interface DnsServer {
  server: string;
  zone: Zone;
  /** Answers are held back this long (ms). */
  delayMs: number;
  /** Names whose queries are never answered (timeouts). */
  silent: Set<string>;
  /** Names answered with SERVFAIL. */
  servfail: Set<string>;
  /** When set, every query is answered with this RCODE (5 REFUSED, 2 SERVFAIL): a resolver that serves nobody. */
  rcodeAll: number | undefined;
  close(): Promise<void>;
}

export async function startDnsServer(zone: Zone = {}): Promise<DnsServer> {
  const { Packet } = dns2;
  const state: DnsServer = { server: '', zone, delayMs: 0, silent: new Set(), servfail: new Set(), rcodeAll: undefined, close: async () => undefined };
  const handle = (request: { questions: Array<{ name: string; type: number }> }, send: (r: unknown) => void) => {
    const q = request.questions[0]!;
    const name = q.name.toLowerCase().replace(/\.$/, '');
    if (state.silent.has(name)) return;
    const response = Packet.createResponseFromRequest(request as never) as { header: { aa: number; rcode: number }; answers: unknown[] };
    response.header.aa = 1;
    if (state.rcodeAll !== undefined) response.header.rcode = state.rcodeAll;
    else if (state.servfail.has(name)) response.header.rcode = 2;
    else if (!state.zone[name]) response.header.rcode = 3;
    else {
      // Follow CNAMEs inside the zone, as an authoritative server does, answering the chain.
      let owner = name;
      let ownerName = q.name;
      for (let hops = 0; hops < 8; hops++) {
        const rec = state.zone[owner];
        if (!rec) break;
        const base = { name: ownerName, class: Packet.CLASS.IN, ttl: 60 };
        if (rec.CNAME) {
          response.answers.push({ ...base, type: Packet.TYPE.CNAME, domain: rec.CNAME });
          if (q.type === Packet.TYPE.CNAME) break;
          owner = rec.CNAME.toLowerCase().replace(/\.$/, '');
          ownerName = rec.CNAME;
          continue;
        }
        if (q.type === Packet.TYPE.A) for (const address of rec.A ?? []) response.answers.push({ ...base, type: Packet.TYPE.A, address });
        if (q.type === Packet.TYPE.AAAA) for (const address of rec.AAAA ?? []) response.answers.push({ ...base, type: Packet.TYPE.AAAA, address });
        if (q.type === Packet.TYPE.TXT) {
          for (const t of rec.TXT ?? []) {
            // A string given as an array keeps its chunks; a long string is split at 255 octets.
            const chunks = Array.isArray(t) ? t : (t.match(/.{1,255}/gs) ?? ['']);
            response.answers.push({ ...base, type: Packet.TYPE.TXT, data: chunks });
          }
        }
        if (q.type === Packet.TYPE.MX) for (const m of rec.MX ?? []) response.answers.push({ ...base, type: Packet.TYPE.MX, exchange: m.exchange, priority: m.priority });
        if (q.type === Packet.TYPE.PTR) for (const domain of rec.PTR ?? []) response.answers.push({ ...base, type: Packet.TYPE.PTR, domain });
        break;
      }
    }
    if (state.delayMs) setTimeout(() => send(response), state.delayMs);
    else send(response);
  };
  type Server = { listen(o: unknown): Promise<void>; close(): Promise<void>; on(e: 'error', f: (err: Error) => void): void };
  // UDP and TCP on the same port. A port the kernel just gave TCP is usually free for UDP too;
  // when either bind fails (dns2 reports it as an 'error' event), start again on a new port.
  for (let attempt = 0; ; attempt++) {
    const server = dns2.createServer({ udp: true, tcp: true, handle } as never) as unknown as Server;
    const port = await new Promise<number>((resolve, reject) => {
      const probe = createNetServer().once('error', reject);
      probe.listen(0, '127.0.0.1', () => {
        const p = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.on('error', reject);
        server.listen({ udp: { port, address: '127.0.0.1' }, tcp: { port, address: '127.0.0.1' } }).then(resolve, reject);
      });
      state.server = `127.0.0.1:${port}`;
      state.close = () => server.close();
      return state;
    } catch (err) {
      await server.close().catch(() => undefined);
      if (attempt > 20) throw err;
    }
  }
}
