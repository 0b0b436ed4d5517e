/**
 * Amazon SES SMTP credentials: the SMTP user is the IAM access key id; the SMTP password is
 * derived from the IAM secret access key with AWS's documented algorithm (region-bound, version
 * 0x04), so the operator never pastes the wrong kind of secret.
 */
import { createHmac } from 'node:crypto';

const hmac = (key: Buffer | string, msg: string) => createHmac('sha256', key).update(msg, 'utf8').digest();

export const SES_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

export function sesSmtpPassword(secretAccessKey: string, region: string): string {
  let sig = hmac(`AWS4${secretAccessKey}`, '11111111');
  sig = hmac(sig, region);
  sig = hmac(sig, 'ses');
  sig = hmac(sig, 'aws4_request');
  sig = hmac(sig, 'SendRawEmail');
  return Buffer.concat([Buffer.from([0x04]), sig]).toString('base64');
}

export function sesSmtpHost(region: string): string {
  return `email-smtp.${region}.amazonaws.com`;
}
