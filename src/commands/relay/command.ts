/** Flags → options for `mailops relay ses`. */
import { buildContext, type GlobalFlags } from '../../cli/context.js';
import { emailDomain } from '../../ingest/normalize.js';
import { runRelaySes } from './run.js';

export async function relaySesCommand(flags: { region: string; domain?: string; dryRun?: boolean }, globals: GlobalFlags): Promise<number> {
  const { io, loaded } = buildContext(globals);
  const c = loaded.config;
  const domain = flags.domain ?? c.OWN_DOMAINS[0] ?? (c.FROM_EMAIL ? emailDomain(c.FROM_EMAIL) : '');
  const r = await runRelaySes({
    region: flags.region,
    domain,
    dryRun: flags.dryRun ?? false,
    mailcowUrl: c.MAILCOW_URL,
    mailcowApiKey: c.MAILCOW_API_KEY,
    accessKeyId: c.SES_ACCESS_KEY_ID,
    secretAccessKey: c.SES_SECRET_ACCESS_KEY,
  });
  if (io.json) io.outJson(r);
  else io.out(`${r.dryRun ? 'dry run: would ' : ''}${r.dryRun ? 'set' : r.created ? 'added' : 'updated'} relayhost ${r.relayhost} (user ${r.username}, password derived from the IAM secret) for ${r.domain}${r.relayhostId ? ` (id ${r.relayhostId})` : ''}`);
  return 0;
}
