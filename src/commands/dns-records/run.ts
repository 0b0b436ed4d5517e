/**
 * `mailops dns-records`: plan the records (src/dns/records.ts), take the DKIM key from a file or
 * from Mailcow's API, and re-check each planned record against what DNS serves now.
 */
import { compareRecords, planRecords, type CheckedRecord, type RecordsOptions, type RecordsPlan } from '../../dns/records.js';
import { createDnsClient, type DnsClient } from '../../dns/resolver.js';
import { MailcowClient } from '../../stack/mailcow.js';

export interface DnsRecordsOptions extends Omit<RecordsOptions, 'dkim'> {
  dkimSelector?: string | undefined;
  /** The public key text (already read from --dkim-key). */
  dkimKey?: string | undefined;
  mailcow?: { url: string; apiKey: string } | undefined;
  resolver?: string | undefined;
}

export interface DnsRecordsResult extends RecordsPlan {
  records: CheckedRecord[];
  dkimSource: 'key' | 'mailcow' | 'none';
}

export async function runDnsRecords(o: DnsRecordsOptions, deps: { dns?: DnsClient; fetch?: typeof fetch } = {}): Promise<DnsRecordsResult> {
  let dkim: RecordsOptions['dkim'];
  let dkimSource: DnsRecordsResult['dkimSource'] = 'none';
  const extraNotes: string[] = [];
  if (o.dkimKey) {
    dkim = { selector: o.dkimSelector ?? 'dkim', key: o.dkimKey };
    dkimSource = 'key';
  } else if (o.mailcow) {
    try {
      const k = await new MailcowClient({ ...o.mailcow, ...(deps.fetch ? { fetch: deps.fetch } : {}) }).dkim(o.domain);
      if (k) {
        dkim = { selector: o.dkimSelector ?? k.selector, key: k.txt };
        dkimSource = 'mailcow';
      } else extraNotes.push(`Mailcow has no DKIM key for ${o.domain}: create one (Configuration → ARC/DKIM keys, 2048 bits) and run this again.`);
    } catch (err) {
      extraNotes.push(`Could not read the DKIM key from Mailcow: ${(err as Error).message}`);
    }
  }
  const plan = planRecords({ ...o, dkim });
  const dns = deps.dns ?? createDnsClient({ server: o.resolver });
  const records = await compareRecords(plan, dns);
  return { ...plan, notes: [...extraNotes, ...plan.notes], records, dkimSource };
}
