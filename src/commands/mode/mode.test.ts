/**
 * mailops mode against real components on loopback: an SMTP server that requires STARTTLS and
 * auth (smtp-server, self-signed certificate), a DNS server (dns2) serving the domain's TXT
 * records, and the Listmonk API double (Listmonk cannot run here) for its SMTP settings.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dns2 from 'dns2';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envValues, readEnvDocument, serializeEnvDocument, setEnvValues, writeEnvFileAtomic } from '../../stack/env-file.js';
import { startListmonkDouble, type ListmonkDouble } from '../../testing/listmonk-double.js';
import { runInit } from '../init/run.js';
import { runMode } from './run.js';

let smtp: SMTPServer;
let smtpPort = 0;
let dns: ReturnType<typeof dns2.createServer>;
let dnsPort = 0;
const txt: Record<string, string[]> = {};

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mailops-mode-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  smtp = new SMTPServer({
    secure: false,
    key: readFileSync(`${dir}/key.pem`),
    cert: readFileSync(`${dir}/cert.pem`),
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: false, // AUTH only after STARTTLS
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'campaign@sourceww.com' && auth.password === 'submission-secret') cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  smtpPort = (smtp.server.address() as { port: number }).port;
  const { Packet } = dns2;
  dns = dns2.createServer({
    udp: true,
    handle: (request: { questions: Array<{ name: string; type: number }> }, send: (r: unknown) => void) => {
      const response = Packet.createResponseFromRequest(request);
      const q = request.questions[0]!;
      for (const data of txt[q.name.toLowerCase()] ?? []) {
        if (q.type === Packet.TYPE.TXT) response.answers.push({ name: q.name, type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 60, data });
      }
      send(response);
    },
  } as never);
  await dns.listen({ udp: { port: 0, address: '127.0.0.1' } } as never);
  dnsPort = (dns.addresses() as { udp: { port: number } }).udp.port;
});
afterAll(async () => {
  await new Promise<void>((r) => smtp.close(() => r()));
  await dns.close();
});

function setup(lm: ListmonkDouble) {
  const dir = mkdtempSync(path.join(tmpdir(), 'mailops-mode-'));
  const envFile = path.join(dir, '.env');
  runInit({ envFile, force: false, domain: 'sourceww.com', fromEmail: undefined, fromName: 'Dana', imapUser: undefined, imapHost: undefined });
  writeEnvFileAtomic(
    envFile,
    serializeEnvDocument(
      setEnvValues(readEnvDocument(envFile), {
        PROD_SMTP_HOST: '127.0.0.1',
        PROD_SMTP_PORT: String(smtpPort),
        PROD_SMTP_USER: 'campaign@sourceww.com',
        PROD_SMTP_PASS: 'submission-secret',
        SMTP_TLS_INSECURE: 'true',
        LISTMONK_URL: lm.url,
        LISTMONK_API_USER: lm.user,
        LISTMONK_API_TOKEN: lm.token,
      }),
    ),
  );
  return { envFile, opts: { envFile, target: 'prod' as const, dryRun: false, yes: true, confirm: 'prod', force: false, resolver: `127.0.0.1:${dnsPort}` } };
}

describe('mailops mode', () => {
  it('prints the mode; a dry run plans with secrets masked and changes nothing', async () => {
    const lm = await startListmonkDouble('v6.2.0');
    try {
      const { envFile, opts } = setup(lm);
      const before = readFileSync(envFile, 'utf8');
      expect((await runMode({ ...opts, target: undefined })).current).toBe('test');
      const r = await runMode({ ...opts, dryRun: true });
      expect(r.plan!.env).toEqual(
        expect.arrayContaining([
          { key: 'MODE', from: 'test', to: 'prod' },
          { key: 'SMTP_PASS', from: '', to: '********' },
          { key: 'SMTP_TLS', from: 'none', to: 'starttls' },
        ]),
      );
      expect(JSON.stringify(r)).not.toContain('submission-secret');
      expect(readFileSync(envFile, 'utf8')).toBe(before);
    } finally {
      await lm.close();
    }
  });

  it('prod needs the word prod, and refuses with the list of what is missing', async () => {
    const lm = await startListmonkDouble('v6.2.0');
    try {
      const { envFile, opts } = setup(lm);
      const before = readFileSync(envFile, 'utf8');
      await expect(runMode({ ...opts, confirm: undefined })).rejects.toMatchObject({ message: expect.stringMatching(/sends real mail/), hint: expect.stringMatching(/--confirm=prod/) });
      txt['sourceww.com'] = ['v=spf1 include:amazonses.com ~all'];
      delete txt['_dmarc.sourceww.com'];
      await expect(runMode(opts)).rejects.toThrow(/prod is not ready:[\s\S]*dmarc: no DMARC record at _dmarc\.sourceww\.com/);
      await expect(runMode({ ...opts, resolver: `127.0.0.1:${dnsPort}` }, {})).rejects.toMatchObject({ exitCode: 2 });
      const wrongPass = setEnvValues(readEnvDocument(envFile), { PROD_SMTP_PASS: 'nope' });
      writeEnvFileAtomic(envFile, serializeEnvDocument(wrongPass), { backup: false });
      txt['_dmarc.sourceww.com'] = ['v=DMARC1; p=none'];
      await expect(runMode(opts)).rejects.toThrow(/smtp-login: .*the login was refused/);
      writeFileSync(envFile, before);
      expect(lm.settings.smtp.filter((b) => b.enabled)).toHaveLength(1);
      expect(lm.settings.smtp[0]!.host).toBe('smtp.yoursite.com'); // untouched
    } finally {
      await lm.close();
    }
  });

  it('switches to prod: .env rewritten in place, Listmonk has exactly one SMTP block (the submission server); and back to test', async () => {
    const lm = await startListmonkDouble('v6.2.0');
    try {
      const { envFile, opts } = setup(lm);
      txt['sourceww.com'] = ['v=spf1 include:amazonses.com ~all'];
      txt['_dmarc.sourceww.com'] = ['v=DMARC1; p=none; rua=mailto:dmarc@sourceww.com'];
      const before = readFileSync(envFile, 'utf8');
      // A double of the docker executable (no engine can run here) records what mode runs.
      const docker = path.join(path.dirname(envFile), 'docker');
      const log = path.join(path.dirname(envFile), 'docker.log');
      writeFileSync(docker, `#!${process.execPath}\nrequire('fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`);
      chmodSync(docker, 0o755);
      const r = await runMode(opts, { compose: { envFile, profiles: [], docker } });
      expect(r.preflight.every((f) => f.ok)).toBe(true);
      expect(r).toMatchObject({ applied: true, listmonkUpdated: true, servicesRecreated: true });
      const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
      expect(calls.at(-1)).toEqual(expect.arrayContaining(['compose', '--env-file', envFile, 'up', '-d']));
      const values = envValues(readEnvDocument(envFile));
      expect(values).toMatchObject({ MODE: 'prod', SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtpPort), SMTP_TLS: 'starttls', SMTP_USER: 'campaign@sourceww.com', SMTP_PASS: 'submission-secret' });
      const after = readFileSync(envFile, 'utf8');
      for (const line of before.split('\n').filter((l) => l.startsWith('#'))) expect(after).toContain(line);
      const enabled = lm.settings.smtp.filter((b) => b.enabled);
      expect(enabled).toEqual([expect.objectContaining({ host: '127.0.0.1', port: smtpPort, auth_protocol: 'login', tls_type: 'STARTTLS', username: 'campaign@sourceww.com', password: 'submission-secret' })]);
      expect(lm.settings.smtp.find((b) => b.uuid === 'u-default')!.password).toBe('password'); // masked password kept, not blanked

      const back = await runMode({ ...opts, target: 'test' });
      expect(back.applied).toBe(true);
      expect(envValues(readEnvDocument(envFile))).toMatchObject({ MODE: 'test', SMTP_HOST: 'localhost', SMTP_PORT: '1025', SMTP_USER: '', SMTP_PASS: '' });
      expect(lm.settings.smtp.filter((b) => b.enabled)).toEqual([expect.objectContaining({ host: 'mailpit', port: 1025, auth_protocol: 'none' })]);
    } finally {
      await lm.close();
    }
  });

  it('rolls back the .env byte for byte when Listmonk cannot be switched', async () => {
    const lm = await startListmonkDouble('v6.2.0');
    try {
      const { envFile, opts } = setup(lm);
      txt['sourceww.com'] = ['v=spf1 include:amazonses.com ~all'];
      txt['_dmarc.sourceww.com'] = ['v=DMARC1; p=none'];
      const before = readFileSync(envFile, 'utf8');
      lm.failNextSettingsPut = 1;
      await expect(runMode(opts)).rejects.toThrow(/switching to prod failed[\s\S]*HTTP 500/);
      expect(readFileSync(envFile, 'utf8')).toBe(before);
      expect(lm.settings.smtp.filter((b) => b.enabled).map((b) => b.host)).toEqual(['smtp.yoursite.com']);
    } finally {
      await lm.close();
    }
  });
});
