/**
 * The optional SMTP probe (--probe): connect to each MX host on port 25, EHLO, and upgrade with
 * STARTTLS, verifying the certificate against the MX name — what a sending server enforcing
 * MTA-STS would do. Only run when asked: outbound port 25 is blocked on many networks.
 */
import net from 'node:net';
import tls from 'node:tls';
import { finding, type Finding } from '../report.js';

export interface ProbeOptions {
  port?: number;
  timeoutMs?: number;
  /** CA for tests on loopback; the system's CAs otherwise. Verification is always on. */
  ca?: string | Buffer;
  ehloName?: string;
}

export interface ProbeResult {
  host: string;
  ip: string;
  status: 'tls-valid' | 'tls-invalid' | 'no-starttls' | 'unreachable';
  detail: string;
}

/** Read SMTP replies line by line; resolves with the full (multi-line) reply text. */
function replies(socket: net.Socket) {
  let buf = '';
  const waiting: Array<(s: string) => void> = [];
  const pump = () => {
    for (;;) {
      const m = /^(\d{3})[ ][^\r\n]*\r?\n/m.exec(buf);
      if (!m || !waiting.length) return;
      const end = m.index + m[0].length;
      const text = buf.slice(0, end);
      buf = buf.slice(end);
      waiting.shift()!(text);
    }
  };
  const onData = (d: Buffer) => {
    buf += d.toString('latin1');
    pump();
  };
  socket.on('data', onData);
  return {
    next: () =>
      new Promise<string>((resolve) => {
        waiting.push(resolve);
        pump();
      }),
    stop: () => socket.off('data', onData),
  };
}

export async function probeStarttls(host: string, ip: string, o: ProbeOptions = {}): Promise<ProbeResult> {
  const port = o.port ?? 25;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const socket = net.connect({ host: ip, port });
  const res = (status: ProbeResult['status'], detail: string): ProbeResult => ({ host, ip, status, detail });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => resolve(res('unreachable', `${host} (${ip}:${port}): no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const work = (async (): Promise<ProbeResult> => {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const r = replies(socket);
    const greeting = await r.next();
    if (!greeting.startsWith('220')) return res('unreachable', `${host}: greeting ${greeting.trim()}`);
    socket.write(`EHLO ${o.ehloName ?? 'mailops-probe.invalid'}\r\n`);
    const ehlo = await r.next();
    if (!/^250[ -]STARTTLS\b/im.test(ehlo)) return res('no-starttls', `${host} does not offer STARTTLS`);
    socket.write('STARTTLS\r\n');
    const go = await r.next();
    if (!go.startsWith('220')) return res('no-starttls', `${host} refused STARTTLS: ${go.trim()}`);
    r.stop();
    return new Promise<ProbeResult>((resolve) => {
      const secure = tls.connect({ socket, servername: host, rejectUnauthorized: false, ...(o.ca ? { ca: o.ca } : {}) }, () => {
        // Verified by hand so that an invalid certificate is reported with its reason, not thrown.
        const cert = secure.getPeerCertificate();
        const nameErr = tls.checkServerIdentity(host, cert);
        const proto = secure.getProtocol();
        if (!secure.authorized) resolve(res('tls-invalid', `${host}: STARTTLS works (${proto}) but the certificate is not trusted (${String(secure.authorizationError)})`));
        else if (nameErr) resolve(res('tls-invalid', `${host}: STARTTLS works (${proto}) but the certificate does not name the host (${nameErr.message})`));
        else resolve(res('tls-valid', `${host}: STARTTLS with a valid certificate (${proto})`));
        secure.end();
      });
      secure.once('error', (e) => resolve(res('tls-invalid', `${host}: TLS handshake failed (${e.message})`)));
    });
  })().catch((e: Error) => res('unreachable', `${host} (${ip}:${port}): ${e.message}`));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

export function probeFindings(results: ProbeResult[], mtaStsEnforce: boolean): Finding[] {
  return results.map((p) => {
    const subject = `${p.host} ${p.ip}`;
    if (p.status === 'tls-valid') return finding('mx', 'starttls', 'ok', p.detail, { subject });
    if (p.status === 'unreachable') return finding('mx', 'starttls', 'unknown', `${p.detail} (outbound port 25 is often blocked; run --probe from a server)`, { subject, fix: 'run the probe from a host that may connect out on port 25' });
    // Under an enforced MTA-STS policy, senders will not deliver to a host without valid TLS.
    const severity = mtaStsEnforce ? 'error' : 'warning';
    const fix = p.status === 'no-starttls' ? `enable STARTTLS on ${p.host} (Mailcow: Postfix has it on by default; check the certificate is installed)` : `install a certificate for ${p.host} from a public CA (Mailcow obtains one from Let's Encrypt when ${p.host} is in its hostname or additional SAN list)`;
    return finding('mx', 'starttls', severity, p.detail, { subject, fix });
  });
}
