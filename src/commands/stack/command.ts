/** Flags → options for `mailops up | down | logs | status`, and their views. */
import path from 'node:path';
import { buildContext, type GlobalFlags } from '../../cli/context.js';
import { ExitCode } from '../../errors.js';
import type { ComposeContext, ServiceState } from '../../stack/compose.js';
import { runDown, runLogs, runStatus, runUp } from './run.js';

function ctxOf(globals: GlobalFlags, profiles: string[] = []): ComposeContext {
  return { envFile: path.resolve(globals.envFile ?? '.env'), profiles };
}

function table(services: ServiceState[]): string {
  const w = Math.max(7, ...services.map((s) => s.service.length));
  return [`${'SERVICE'.padEnd(w)}  STATE      HEALTH     PORTS`, ...services.map((s) => `${s.service.padEnd(w)}  ${s.state.padEnd(9)}  ${(s.health || '-').padEnd(9)}  ${s.ports}`)].join('\n');
}

export async function upCommand(opts: { profile?: string[]; timeout?: string }, globals: GlobalFlags): Promise<number> {
  const { io } = buildContext(globals);
  const ctx = ctxOf(globals, opts.profile ?? []);
  io.info(`starting the stack (${ctx.profiles.length ? `profiles: ${ctx.profiles.join(', ')}` : 'default services'}); waiting for healthchecks…`);
  const r = await runUp(ctx, { timeoutMs: Number(opts.timeout ?? 180) * 1000 }, {
    onProgress: (s) => io.debug(s.map((x) => `${x.service}:${x.state}/${x.health || '-'}`).join(' ')),
  });
  if (io.json) io.outJson(r);
  else {
    io.out(table(r.services));
    if (r.listmonkTokenStored) io.info('stored the Listmonk API token in .env (LISTMONK_API_TOKEN)');
  }
  if (!r.ready) {
    io.error('not every service is running and healthy');
    io.info('hint: see `mailops logs <service>`');
    return ExitCode.unavailable;
  }
  return ExitCode.ok;
}

export async function downCommand(globals: GlobalFlags): Promise<number> {
  const { io } = buildContext(globals);
  await runDown(ctxOf(globals, ['metrics']));
  io.out('stack stopped (volumes kept)');
  return ExitCode.ok;
}

export async function logsCommand(service: string | undefined, opts: { follow?: boolean }, globals: GlobalFlags): Promise<number> {
  buildContext(globals);
  return runLogs(ctxOf(globals), service, opts.follow ?? false);
}

export async function statusCommand(globals: GlobalFlags): Promise<number> {
  const { io, loaded } = buildContext(globals);
  const c = loaded.config;
  const r = await runStatus(ctxOf(globals, ['metrics']), {
    mode: c.MODE,
    smtp: `${c.SMTP_HOST}:${c.SMTP_PORT} (${c.SMTP_TLS})`,
    imap: `${c.IMAP_USER ?? '(no user)'}@${c.IMAP_HOST}:${c.IMAP_PORT}${c.IMAP_SSL ? ' (TLS)' : ''}`,
    dataDir: loaded.dataDir,
  });
  if (io.json) {
    io.outJson(r);
  } else {
    const lines = [`mode      ${r.mode}`, `smtp      ${r.smtp}`, `imap      ${r.imap}`];
    lines.push(Array.isArray(r.services) ? table(r.services) : `services  unavailable: ${r.services.error}${r.services.hint ? ` (${r.services.hint})` : ''}`);
    lines.push(r.lastIngest ? `ingest    ${r.lastIngest.messages} messages, last at ${r.lastIngest.at ?? 'never'} (${Object.entries(r.lastIngest.byKind).map(([k, n]) => `${n} ${k}`).join(', ')})` : 'ingest    nothing ingested yet');
    lines.push(`suppressed ${r.suppressions}; sends ${Object.entries(r.sends).map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}`);
    io.out(lines.join('\n'));
  }
  return Array.isArray(r.services) ? ExitCode.ok : ExitCode.unavailable;
}
