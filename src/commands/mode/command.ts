/** Flags → options for `mailops mode [test|prod]`, and its view. */
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { createIOFromFlags, type GlobalFlags } from '../../cli/context.js';
import { usageError } from '../../errors.js';
import { runMode } from './run.js';

export async function modeCommand(target: string | undefined, flags: { dryRun?: boolean; yes?: boolean; confirm?: string; force?: boolean; resolver?: string }, globals: GlobalFlags): Promise<number> {
  const io = createIOFromFlags(globals);
  if (target !== undefined && target !== 'test' && target !== 'prod') throw usageError(`unknown mode "${target}"`, 'Use mailops mode test or mailops mode prod.');
  const envFile = path.resolve(globals.envFile ?? '.env');
  const r = await runMode(
    { envFile, target: target as 'test' | 'prod' | undefined, dryRun: flags.dryRun ?? false, yes: flags.yes ?? false, confirm: flags.confirm, force: flags.force ?? false, resolver: flags.resolver },
    {
      compose: { envFile, profiles: [] },
      info: (l) => io.info(l),
      warn: (l) => io.warn(l),
      ...(io.canPrompt
        ? {
            ask: async (q: string) => {
              const rl = createInterface({ input: process.stdin, output: process.stderr });
              const a = await rl.question(q);
              rl.close();
              return a;
            },
          }
        : {}),
    },
  );
  if (io.json) {
    io.outJson(r);
    return 0;
  }
  if (!r.plan) {
    io.out(r.current);
    return 0;
  }
  const lines = [`${r.current} → ${r.plan.to}${flags.dryRun ? ' (dry run: nothing changed)' : ''}`];
  if (!r.plan.env.length) lines.push('  already in that mode; nothing to change');
  for (const c of r.plan.env) lines.push(`  .env ${c.key}: ${c.from || '(empty)'} → ${c.to || '(empty)'}`);
  if (r.plan.env.length) lines.push(`  Listmonk SMTP: ${r.plan.listmonkSmtp}`, `  restarts: ${r.plan.restart.join(', ')}`);
  for (const f of r.preflight) lines.push(`  preflight ${f.ok ? 'ok  ' : 'FAIL'} ${f.check}: ${f.detail}`);
  if (r.applied) lines.push(`  applied${r.listmonkUpdated ? '; Listmonk switched' : ''}${r.servicesRecreated ? '; services recreated' : ''}`);
  io.out(lines.join('\n'));
  return 0;
}
