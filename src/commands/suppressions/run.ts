/** The suppression list: list, add by hand, remove. */
import { usageError } from '../../errors.js';
import { normalizeEmail } from '../../ingest/normalize.js';
import { StateStore, type Suppression } from '../../store/store.js';

export interface SuppressionChange {
  email: string;
  changed: boolean;
  previous?: Suppression | undefined;
}

function validEmails(emails: string[]): string[] {
  const out: string[] = [];
  for (const e of emails) {
    const n = normalizeEmail(e);
    if (!n) throw usageError(`not a valid email address: ${JSON.stringify(e)}`);
    out.push(n);
  }
  return out;
}

export function runSuppressionsList(dataDir: string, reason?: string): Suppression[] {
  const store = StateStore.open(dataDir);
  try {
    const all = store.listSuppressions();
    return reason ? all.filter((s) => s.reason === reason) : all;
  } finally {
    store.close();
  }
}

export function runSuppressionsAdd(dataDir: string, emails: string[], note: string | undefined, now = new Date()): SuppressionChange[] {
  const list = validEmails(emails);
  const store = StateStore.open(dataDir);
  try {
    return list.map((email) => {
      const previous = store.getSuppression(email);
      const changed = store.suppress(email, 'manual', null, note ?? null, now);
      return { email, changed, previous };
    });
  } finally {
    store.close();
  }
}

export function runSuppressionsRemove(dataDir: string, emails: string[]): SuppressionChange[] {
  const list = validEmails(emails);
  const store = StateStore.open(dataDir);
  try {
    return list.map((email) => {
      const previous = store.getSuppression(email);
      return { email, changed: store.unsuppress(email), previous };
    });
  } finally {
    store.close();
  }
}
