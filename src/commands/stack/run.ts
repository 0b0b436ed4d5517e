/** `mailops up | down | logs | status` as functions over the compose layer. */
import { readFileSync } from 'node:fs';
import { ExitCode, MailopsError } from '../../errors.js';
import { checkDocker, compose, composeFilePath, isReady, listmonkTokenFromLogs, servicesState, type ComposeContext, type ServiceState } from '../../stack/compose.js';
import { envValues, readEnvDocument, serializeEnvDocument, setEnvValues, writeEnvFileAtomic } from '../../stack/env-file.js';
import { requiredVariables } from '../../stack/interpolate.js';
import { StateStore, stateExists } from '../../store/store.js';

export interface UpResult {
  services: ServiceState[];
  ready: boolean;
  listmonkTokenStored: boolean;
}

export interface UpDeps {
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  onProgress?: (services: ServiceState[]) => void;
}

function missingSecrets(envFile: string): string[] {
  const values = envValues(readEnvDocument(envFile));
  return requiredVariables(readFileSync(composeFilePath(), 'utf8')).filter((k) => !values[k]);
}

export async function runUp(ctx: ComposeContext, opts: { timeoutMs: number }, deps: UpDeps = {}): Promise<UpResult> {
  await checkDocker(ctx.docker);
  let missing: string[];
  try {
    missing = missingSecrets(ctx.envFile);
  } catch {
    throw new MailopsError('no-env', `${ctx.envFile} does not exist`, { exitCode: ExitCode.usage, hint: 'Create it with `mailops init`.' });
  }
  if (missing.length) throw new MailopsError('env-incomplete', `${ctx.envFile} lacks ${missing.join(', ')}`, { exitCode: ExitCode.usage, hint: 'Run `mailops init --force` to generate them (the old file is kept as .env.bak).' });
  const up = await compose(ctx, ['up', '-d', '--build', '--remove-orphans']);
  if (up.exitCode !== 0) throw new MailopsError('compose-up', `docker compose up failed:\n${up.stderr.trim()}`, { exitCode: ExitCode.unavailable, hint: 'See `mailops logs` for the service that failed.' });
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = deps.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  let services: ServiceState[] = [];
  for (;;) {
    services = await servicesState(ctx);
    deps.onProgress?.(services);
    if (services.length && services.every(isReady)) break;
    if (services.some((s) => s.state === 'exited' || s.health === 'unhealthy') || now() > deadline) break;
    await sleep(2000);
  }
  const ready = services.length > 0 && services.every(isReady);
  // First start: Listmonk printed the API user's token once; keep it in .env.
  let listmonkTokenStored = false;
  const values = envValues(readEnvDocument(ctx.envFile));
  if (!values.LISTMONK_API_TOKEN) {
    const logs = await compose(ctx, ['logs', '--no-color', 'listmonk']);
    const token = listmonkTokenFromLogs(`${logs.stdout}\n${logs.stderr}`);
    if (token) {
      writeEnvFileAtomic(ctx.envFile, serializeEnvDocument(setEnvValues(readEnvDocument(ctx.envFile), { LISTMONK_API_TOKEN: token })));
      listmonkTokenStored = true;
    }
  }
  return { services, ready, listmonkTokenStored };
}

export async function runDown(ctx: ComposeContext): Promise<void> {
  await checkDocker(ctx.docker);
  const r = await compose(ctx, ['down']);
  if (r.exitCode !== 0) throw new MailopsError('compose-down', `docker compose down failed:\n${r.stderr.trim()}`, { exitCode: ExitCode.unavailable });
}

export async function runLogs(ctx: ComposeContext, service: string | undefined, follow: boolean): Promise<number> {
  await checkDocker(ctx.docker);
  const r = await compose(ctx, ['logs', ...(follow ? ['-f'] : []), '--tail', '200', ...(service ? [service] : [])], { inherit: true });
  return r.exitCode === 0 ? 0 : ExitCode.unavailable;
}

export interface StatusResult {
  mode: string;
  smtp: string;
  imap: string;
  services: ServiceState[] | { error: string; hint: string | null };
  lastIngest: { at: string | null; messages: number; byKind: Record<string, number> } | null;
  suppressions: number;
  sends: Record<string, number>;
}

export async function runStatus(ctx: ComposeContext, info: { mode: string; smtp: string; imap: string; dataDir: string }): Promise<StatusResult> {
  let services: StatusResult['services'];
  try {
    await checkDocker(ctx.docker);
    services = await servicesState(ctx);
  } catch (err) {
    const e = err as MailopsError;
    services = { error: e.message, hint: e.hint ?? null };
  }
  let lastIngest: StatusResult['lastIngest'] = null;
  let suppressions = 0;
  const sends: Record<string, number> = {};
  if (stateExists(info.dataDir)) {
    const store = StateStore.open(info.dataDir);
    try {
      const last = store.db.prepare<[], { at: string | null }>("SELECT MAX(processed_at) AS at FROM messages WHERE status = 'done'").get();
      const kinds = store.db.prepare<[], { kind: string; n: number }>("SELECT kind, COUNT(*) AS n FROM messages WHERE status = 'done' GROUP BY kind").all();
      lastIngest = { at: last?.at ?? null, messages: kinds.reduce((a, k) => a + k.n, 0), byKind: Object.fromEntries(kinds.map((k) => [k.kind, k.n])) };
      suppressions = store.listSuppressions().length;
      for (const r of store.db.prepare<[], { status: string; n: number }>('SELECT status, COUNT(*) AS n FROM sends GROUP BY status').all()) sends[r.status] = r.n;
    } finally {
      store.close();
    }
  }
  return { mode: info.mode, smtp: info.smtp, imap: info.imap, services, lastIngest, suppressions, sends };
}
