/**
 * A throwaway Dovecot IMAP server for tests: its own config, passwd-file users and Maildir in a
 * temporary directory, listening on free loopback ports (plain+STARTTLS and implicit TLS), stopped
 * by PID. Needs the dovecot-imapd package (`.ci/run` installs it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const DOVECOT_BIN = ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'].find((p) => existsSync(p));

export interface DovecotUser {
  name: string;
  password: string;
}

export interface Dovecot {
  host: string;
  port: number;
  tlsPort: number;
  dir: string;
  certFile: string;
  users: DovecotUser[];
  stop(): Promise<void>;
  /** SIGKILL the whole server (a crash), without cleaning up. */
  kill(): void;
  start(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForGreeting(port: number, timeoutMs = 10_000): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      let data = '';
      const done = (v: boolean) => {
        s.destroy();
        resolve(v);
      };
      s.setTimeout(1000, () => done(false));
      s.on('data', (d) => {
        data += d.toString();
        if (data.startsWith('* OK')) done(true);
      });
      s.on('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`dovecot did not greet on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function masterPid(dir: string): number | undefined {
  try {
    return Number(readFileSync(path.join(dir, 'run', 'master.pid'), 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startDovecot(users: DovecotUser[] = [{ name: 'campaign', password: 'secret1' }]): Promise<Dovecot> {
  if (!DOVECOT_BIN) throw new Error('dovecot is not installed (apt-get install dovecot-imapd)');
  const dir = mkdtempSync(path.join(tmpdir(), 'mailops-dovecot-'));
  chmodSync(dir, 0o755); // the auth process must be able to read the passwd file
  for (const d of ['run', 'state', 'mail', 'ssl']) mkdirSync(path.join(dir, d), { recursive: true });
  chownSync(path.join(dir, 'mail'), 65534, 65534);
  const certFile = path.join(dir, 'ssl', 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'ssl', 'key.pem'), '-out', certFile, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  writeFileSync(path.join(dir, 'users'), users.map((u) => `${u.name}:{PLAIN}${u.password}:65534:65534::${dir}/mail/${u.name}`).join('\n') + '\n');
  const port = await freePort();
  const tlsPort = await freePort();
  const conf = `instance_name = mailops-test-${path.basename(dir)}
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
ssl = yes
ssl_cert = <${certFile}
ssl_key = <${dir}/ssl/key.pem
mail_location = maildir:~/Maildir
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n ${dir}/users
}
userdb {
  driver = passwd-file
  args = username_format=%n ${dir}/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tlsPort}
    ssl = yes
  }
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
  mailbox Trash {
    special_use = \\Trash
    auto = create
  }
  mailbox Junk {
    special_use = \\Junk
    auto = create
  }
}
`;
  writeFileSync(path.join(dir, 'dovecot.conf'), conf);
  const server: Dovecot = {
    host: '127.0.0.1',
    port,
    tlsPort,
    dir,
    certFile,
    users,
    async start() {
      // The daemon keeps inherited pipes open, so its output goes nowhere and errors are read from its log.
      const r = spawnSync(DOVECOT_BIN!, ['-c', path.join(dir, 'dovecot.conf')], { stdio: 'ignore' });
      if (r.status !== 0) {
        const log = existsSync(path.join(dir, 'dovecot.log')) ? readFileSync(path.join(dir, 'dovecot.log'), 'utf8').slice(-2000) : '';
        throw new Error(`dovecot failed to start (exit ${r.status}): ${log}`);
      }
      await waitForGreeting(port);
    },
    async stop() {
      const pid = masterPid(dir);
      if (pid && alive(pid)) {
        process.kill(pid, 'SIGTERM');
        const deadline = Date.now() + 10_000;
        while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      }
    },
    kill() {
      // The master and every child of this instance (their titles carry the instance name), then
      // wait until all are gone, so a restart does not find their sockets still answering.
      const pattern = `${path.basename(dir)}`;
      for (let i = 0; i < 100; i++) {
        spawnSync('pkill', ['-KILL', '-f', pattern]);
        if (spawnSync('pgrep', ['-f', pattern]).status !== 0) break;
        spawnSync('sleep', ['0.05']);
      }
      rmSync(path.join(dir, 'run', 'master.pid'), { force: true });
    },
  };
  await server.start();
  return server;
}
