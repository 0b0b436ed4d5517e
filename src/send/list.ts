/**
 * The recipient list: a CSV with a header row, `email` required, every other column a template
 * field. Bad rows are reported with their line number and skipped; duplicates are sent once.
 */
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { usageError } from '../errors.js';
import { normalizeEmail } from '../ingest/normalize.js';

export interface Recipient {
  line: number;
  email: string;
  recipientId: string;
  fields: Record<string, string>;
}

export interface ListIssue {
  line: number;
  email: string;
  reason: 'invalid-email' | 'duplicate' | 'invalid-recipient-id';
  detail: string;
}

export interface ParsedList {
  columns: string[];
  recipients: Recipient[];
  issues: ListIssue[];
}

const RECIPIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._=]{0,63}$/;

/** A short stable id, safe in an email local part: base32 of sha256(campaign:email), 10 characters. */
export function deriveRecipientId(campaignId: string, email: string): string {
  const digest = createHash('sha256').update(`${campaignId}:${email.toLowerCase()}`).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 10) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= 10) break;
  }
  return out;
}

export function parseList(text: string, campaignId: string): ParsedList {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
  } catch (err) {
    throw usageError(`the list is not valid CSV: ${(err as Error).message}`, 'Export it again as CSV with a header row (email,name,…).');
  }
  if (!records.length) throw usageError('the list is empty', 'It needs a header row with an "email" column and one row per recipient.');
  const columns = records[0]!.map((c) => c.trim().toLowerCase().replace(/\s+/g, '_'));
  const emailIdx = columns.indexOf('email');
  if (emailIdx < 0) throw usageError(`the list has no "email" column (columns: ${columns.join(', ')})`, 'Name the address column "email".');
  const recipients: Recipient[] = [];
  const issues: ListIssue[] = [];
  const seen = new Map<string, number>();
  records.slice(1).forEach((row, i) => {
    const line = i + 2;
    const raw = row[emailIdx] ?? '';
    const email = normalizeEmail(raw);
    if (!email) {
      issues.push({ line, email: raw, reason: 'invalid-email', detail: `"${raw}" is not a valid address` });
      return;
    }
    if (seen.has(email)) {
      issues.push({ line, email, reason: 'duplicate', detail: `already on line ${seen.get(email)}` });
      return;
    }
    const fields: Record<string, string> = {};
    columns.forEach((c, k) => {
      if (c) fields[c] = row[k] ?? '';
    });
    fields.email = email;
    const given = fields.recipient_id?.trim();
    if (given && (!RECIPIENT_ID.test(given) || given.includes('-r-'))) {
      issues.push({ line, email, reason: 'invalid-recipient-id', detail: `recipient_id "${given}" must be letters, digits, ".", "_" or "=" (it goes into the Reply-To local part)` });
      return;
    }
    seen.set(email, line);
    const recipientId = given || deriveRecipientId(campaignId, email);
    fields.recipient_id = recipientId;
    recipients.push({ line, email, recipientId, fields });
  });
  return { columns, recipients, issues };
}
