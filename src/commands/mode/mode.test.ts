/**
 * mailops mode against real components on loopback: an SMTP server that requires STARTTLS and
 * auth (smtp-server, self-signed certificate), a DNS server (dns2) serving the domain's records
 * for the preflight's deliverability audit, and the Listmonk API double (Listmonk cannot run here) for its SMTP settings.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envValues, readEnvDocument, serializeEnvDocument, setEnvValues, writeEnvFileAtomic } from '../../stack/env-file.js';
import { startDnsServer, type DnsServer, type Zone } from '../../testing/dns-server.js';
import { startListmonkDouble, type ListmonkDouble } from '../../testing/listmonk-double.js';
import { runInit } from '../init/run.js';
import { runMode } from './run.js';

let smtp: SMTPServer;
let smtpPort = 0;
let dns: DnsServer;
const dkimKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
// A domain ready for prod except for what each test changes with setTxt.
const zone: Zone = {
  'sourceww.com': { MX: [{ exchange: 'mail.sourceww.com', priority: 10 }] },
  'mail.sourceww.com': { A: ['192.0.2.10'] },
  'amazonses.com': { TXT: ['v=spf1 ip4:199.255.192.0/22 ~all'] },
  'dkim._domainkey.sourceww.com': { TXT: [`v=DKIM1; k=rsa; p=${dkimKey}`] },
};
const setTxt = (name: string, values: string[] | undefined) => {
  if (values) zone[name] = { ...zone[name], TXT: values };
  else if (zone[name]) delete zone[name]!.TXT;
};

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
  dns = await startDnsServer(zone);
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
  return { envFile, opts: { envFile, target: 'prod' as const, dryRun: false, yes: true, confirm: 'prod', force: false, resolver: dns.server } };
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
      setTxt('sourceww.com', ['v=spf1 include:amazonses.com ~all']);
      setTxt('_dmarc.sourceww.com', undefined);
      await expect(runMode(opts)).rejects.toThrow(/prod is not ready:[\s\S]*dmarc\.missing: A DMARC record does not exist for sourceww\.com[\s\S]*fix: Publish/);
      await expect(runMode({ ...opts, resolver: dns.server }, {})).rejects.toMatchObject({ exitCode: 2 });
      const wrongPass = setEnvValues(readEnvDocument(envFile), { PROD_SMTP_PASS: 'nope' });
      writeEnvFileAtomic(envFile, serializeEnvDocument(wrongPass), { backup: false });
      setTxt('_dmarc.sourceww.com', ['v=DMARC1; p=none']);
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
      setTxt('sourceww.com', ['v=spf1 include:amazonses.com ~all']);
      setTxt('_dmarc.sourceww.com', ['v=DMARC1; p=none; rua=mailto:dmarc@sourceww.com']);
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
      setTxt('sourceww.com', ['v=spf1 include:amazonses.com ~all']);
      setTxt('_dmarc.sourceww.com', ['v=DMARC1; p=none']);
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
