/** `mailops mode [test|prod]` as a function: the plan, the preflight, and the applied change or its rollback. */
import { ExitCode, MailopsError, usageError } from '../../errors.js';
import { emailDomain } from '../../ingest/normalize.js';
import { checkDocker, compose, type ComposeContext } from '../../stack/compose.js';
import { envValues, readEnvDocument, serializeEnvDocument, setEnvValues, writeEnvFileAtomic } from '../../stack/env-file.js';
import { listmonkSettingsFor, planMode, preflightProd, type Mode, type ModePlan, type PreflightFinding } from '../../stack/mode.js';

export interface ModeOptions {
  envFile: string;
  target: Mode | undefined;
  dryRun: boolean;
  yes: boolean;
  confirm: string | undefined;
  force: boolean;
  resolver: string | undefined;
}

export interface ModeDeps {
  compose?: ComposeContext;
  /** Asks the operator to type a word; undefined when no terminal. */
  ask?: (question: string) => Promise<string>;
  info?: (line: string) => void;
  warn?: (line: string) => void;
}

export interface ModeResult {
  current: string;
  plan: ModePlan | undefined;
  preflight: PreflightFinding[];
  applied: boolean;
  listmonkUpdated: boolean;
  servicesRecreated: boolean;
}

async function listmonkApi(base: string, user: string, token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(new URL(path, base.endsWith('/') ? base : `${base}/`), {
    method,
    headers: { Authorization: `token ${user}:${token}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const json = (await res.json().catch(() => ({}))) as { data?: unknown; message?: string };
  if (!res.ok) throw new Error(`Listmonk ${method} ${path}: HTTP ${res.status} ${json.message ?? ''}`.trim());
  return json.data;
}

/** A comma list from a raw .env value (the values are validated when the commands that own them load). */
const list = (v: string | undefined, fallback: string[]) => (v ? v.split(/[,\s]+/).filter(Boolean) : fallback);

export async function runMode(o: ModeOptions, deps: ModeDeps = {}): Promise<ModeResult> {
  let doc;
  try {
    doc = readEnvDocument(o.envFile);
  } catch {
    throw new MailopsError('no-env', `${o.envFile} does not exist`, { exitCode: ExitCode.usage, hint: 'Create it with `mailops init`.' });
  }
  const values = envValues(doc);
  const current = values.MODE || 'test';
  const result: ModeResult = { current, plan: undefined, preflight: [], applied: false, listmonkUpdated: false, servicesRecreated: false };
  if (!o.target) return result;
  const plan = planMode(values, o.target);
  // The public plan never carries values: secrets appear only masked, in plan.env.
  const { updates: _values, ...publicPlan } = plan;
  result.plan = { ...publicPlan, updates: {} };
  if (o.dryRun || !plan.env.length) return result;

  if (o.target === 'prod') {
    let word = o.confirm;
    if (!o.yes || word !== 'prod') {
      if (!deps.ask) throw usageError('switching to prod sends real mail', 'Add --yes --confirm=prod (scripts), or run it on a terminal and type prod.');
      word = (await deps.ask('Switch to prod mode (real mail, real cost)? Type prod to confirm: ')).trim();
    }
    if (word !== 'prod') throw usageError('not confirmed: nothing changed');
    const domain = (values.OWN_DOMAINS ?? '').split(',')[0]?.trim() || (values.FROM_EMAIL ? emailDomain(values.FROM_EMAIL) : '');
    result.preflight = await preflightProd({
      smtp: { host: plan.updates.SMTP_HOST!, port: Number(plan.updates.SMTP_PORT), user: plan.updates.SMTP_USER!, pass: plan.updates.SMTP_PASS!, tlsInsecure: /^(1|true|yes)$/i.test(values.SMTP_TLS_INSECURE ?? '') },
      domain,
      resolver: o.resolver ?? (values.DNS_RESOLVER || undefined),
      selectors: list(values.DKIM_SELECTORS, ['dkim']),
      ips: list(values.SENDING_IPS, []),
      path: { ses: !!values.SES_REGION, ...(values.SES_MAIL_FROM ? { sesMailFrom: values.SES_MAIL_FROM } : {}) },
    });
    const failed = result.preflight.filter((f) => !f.ok);
    if (failed.length && !o.force) {
      throw new MailopsError('prod-not-ready', `prod is not ready:\n  ${failed.map((f) => `${f.check}: ${f.detail}`).join('\n  ')}`, {
        exitCode: ExitCode.usage,
        hint: 'Fix these (mailops dns-check helps), or add --force if you know better. Nothing changed.',
      });
    }
  }

  // Apply: .env, then Listmonk, then the services; undo in reverse on failure.
  const oldText = serializeEnvDocument(doc);
  writeEnvFileAtomic(o.envFile, serializeEnvDocument(setEnvValues(doc, plan.updates)));
  let oldSettings: Record<string, unknown> | undefined;
  const lm = values.LISTMONK_URL && values.LISTMONK_API_USER && values.LISTMONK_API_TOKEN ? { url: values.LISTMONK_URL, user: values.LISTMONK_API_USER, token: values.LISTMONK_API_TOKEN } : undefined;
  try {
    if (lm) {
      oldSettings = (await listmonkApi(lm.url, lm.user, lm.token, 'GET', 'api/settings')) as Record<string, unknown>;
      const next = listmonkSettingsFor(oldSettings, o.target, { host: plan.updates.SMTP_HOST!, port: Number(plan.updates.SMTP_PORT), user: plan.updates.SMTP_USER!, pass: plan.updates.SMTP_PASS! });
      await listmonkApi(lm.url, lm.user, lm.token, 'PUT', 'api/settings', next);
      result.listmonkUpdated = true;
    } else {
      deps.warn?.('LISTMONK_URL/LISTMONK_API_USER/LISTMONK_API_TOKEN are not set: Listmonk\'s SMTP settings were not switched');
    }
    if (deps.compose) {
      let dockerOk = true;
      try {
        await checkDocker(deps.compose.docker);
      } catch (err) {
        dockerOk = false;
        deps.warn?.(`${(err as Error).message}: restart the stack yourself with mailops up`);
      }
      if (dockerOk) {
        const r = await compose(deps.compose, ['up', '-d']);
        if (r.exitCode !== 0) throw new Error(`docker compose up -d failed: ${r.stderr.trim()}`);
        result.servicesRecreated = true;
      }
    }
  } catch (err) {
    // Roll back: the previous .env byte for byte, and Listmonk's previous SMTP settings.
    writeEnvFileAtomic(o.envFile, oldText, { backup: false });
    let settingsRestored = true;
    if (lm && oldSettings && result.listmonkUpdated) {
      try {
        await listmonkApi(lm.url, lm.user, lm.token, 'PUT', 'api/settings', listmonkSettingsFor(oldSettings, current === 'prod' ? 'prod' : 'test', { host: values.SMTP_HOST ?? '', port: Number(values.SMTP_PORT ?? 587), user: values.SMTP_USER ?? '', pass: values.SMTP_PASS ?? '' }));
      } catch {
        settingsRestored = false;
      }
    }
    throw new MailopsError('mode-failed', `switching to ${o.target} failed: ${(err as Error).message}`, {
      exitCode: ExitCode.unavailable,
      hint: `The previous .env was restored${lm && result.listmonkUpdated ? (settingsRestored ? ' and Listmonk\'s SMTP settings too' : '; Listmonk\'s SMTP settings could NOT be restored, check them in its admin') : ''}. Nothing else changed.`,
    });
  }
  result.applied = true;
  return result;
}
