/**
 * SES SMTP password derivation, checked against an independent implementation of AWS's documented
 * steps (Python's hmac/hashlib; AWS publishes the algorithm but no output vector), and
 * `mailops relay ses` against a Mailcow API double (Mailcow cannot run here).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { sesSmtpPassword } from '../../stack/ses.js';
import { startMailcowDouble } from '../../testing/mailcow-double.js';
import { runRelaySes } from './run.js';

const PY = `
import base64, hashlib, hmac, sys
def sign(key, msg): return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()
secret, region = sys.argv[1], sys.argv[2]
sig = sign(("AWS4" + secret).encode("utf-8"), "11111111")
for part in (region, "ses", "aws4_request", "SendRawEmail"): sig = sign(sig, part)
print(base64.b64encode(bytes([4]) + sig).decode())
`;
const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import hmac'], { encoding: 'utf8' }).status === 0);
if (!python) console.warn('NOTE: python3 not found; the independent SES password check is skipped.');

describe('SES SMTP password', () => {
  it.skipIf(!python).each([
    ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'us-east-1'],
    ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'eu-west-1'],
    ['Zx9+/aa0000bbbbCCCCddddEEEEffff11112222', 'ap-southeast-2'],
  ])('matches the documented algorithm for %s in %s', (secret, region) => {
    const r = spawnSync(python!, ['-c', PY, secret, region], { encoding: 'utf8' });
    expect(sesSmtpPassword(secret, region)).toBe(r.stdout.trim());
  });

  it('is region-bound, 44 characters, version byte 0x04', () => {
    const a = sesSmtpPassword('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'us-east-1');
    expect(a).toHaveLength(44);
    expect(Buffer.from(a, 'base64')[0]).toBe(4);
    expect(sesSmtpPassword('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'eu-west-1')).not.toBe(a);
  });
});

describe('mailops relay ses (against a Mailcow API double)', () => {
  const base = { region: 'eu-west-1', domain: 'sourceww.com', dryRun: false, accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

  it('adds the SES relayhost with the derived password and attaches it to the domain; a re-run updates it', async () => {
    const mc = await startMailcowDouble();
    try {
      const o = { ...base, mailcowUrl: mc.url, mailcowApiKey: mc.apiKey };
      const r = await runRelaySes(o);
      expect(r).toMatchObject({ relayhost: '[email-smtp.eu-west-1.amazonaws.com]:587', username: 'AKIAIOSFODNN7EXAMPLE', password: '********', created: true });
      expect(mc.relayhosts).toEqual([expect.objectContaining({ hostname: '[email-smtp.eu-west-1.amazonaws.com]:587', username: 'AKIAIOSFODNN7EXAMPLE', password: sesSmtpPassword(base.secretAccessKey, 'eu-west-1') })]);
      expect(mc.domains['sourceww.com']!.relayhost).toBe(String(mc.relayhosts[0]!.id));
      const again = await runRelaySes({ ...o, secretAccessKey: 'rotated/SECRETkey0000000000000000000000000' });
      expect(again.created).toBe(false);
      expect(mc.relayhosts).toHaveLength(1);
      expect(mc.relayhosts[0]!.password).toBe(sesSmtpPassword('rotated/SECRETkey0000000000000000000000000', 'eu-west-1'));
    } finally {
      await mc.close();
    }
  });

  it('dry run calls nothing; a bad key is exit 4; a "danger" answer is an error even with HTTP 200', async () => {
    const mc = await startMailcowDouble(['other.com']);
    try {
      await runRelaySes({ ...base, dryRun: true, mailcowUrl: mc.url, mailcowApiKey: mc.apiKey });
      expect(mc.calls).toEqual([]);
      await expect(runRelaySes({ ...base, mailcowUrl: mc.url, mailcowApiKey: 'wrong' })).rejects.toMatchObject({ exitCode: 4 });
      await expect(runRelaySes({ ...base, mailcowUrl: mc.url, mailcowApiKey: mc.apiKey })).rejects.toThrow(/domain_not_found/);
      await expect(runRelaySes({ ...base, region: 'moon-1', mailcowUrl: mc.url, mailcowApiKey: mc.apiKey })).rejects.toMatchObject({ exitCode: 2 });
    } finally {
      await mc.close();
    }
  });
});
