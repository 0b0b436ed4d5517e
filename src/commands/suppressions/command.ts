/** Flags → options for `mailops suppressions list|add|remove`, and their views. */
import { createInterface } from 'node:readline/promises';
import { buildContext, type GlobalFlags } from '../../cli/context.js';
import { usageError } from '../../errors.js';
import { runSuppressionsAdd, runSuppressionsList, runSuppressionsRemove } from './run.js';

export async function suppressionsList(opts: { reason?: string }, globals: GlobalFlags): Promise<number> {
  const { io, loaded } = buildContext(globals);
  const list = runSuppressionsList(loaded.dataDir, opts.reason);
  if (io.json) {
    io.outJson({ count: list.length, suppressions: list });
    return 0;
  }
  if (!list.length) {
    io.info('no suppressed addresses');
    return 0;
  }
  const w = Math.min(48, Math.max(5, ...list.map((s) => s.email.length)));
  io.out(`${'EMAIL'.padEnd(w)}  ${'REASON'.padEnd(11)}  ${'SINCE'.padEnd(20)}  DETAIL`);
  for (const s of list) io.out(`${s.email.padEnd(w)}  ${s.reason.padEnd(11)}  ${s.created_at.slice(0, 19).padEnd(20)}  ${s.detail ?? ''}`);
  return 0;
}

export async function suppressionsAdd(emails: string[], opts: { note?: string }, globals: GlobalFlags): Promise<number> {
  const { io, loaded } = buildContext(globals);
  const changes = runSuppressionsAdd(loaded.dataDir, emails, opts.note);
  if (io.json) io.outJson({ changes });
  else for (const c of changes) io.out(c.changed ? `suppressed ${c.email}` : `${c.email} was already suppressed (${c.previous?.reason})`);
  return 0;
}

export async function suppressionsRemove(emails: string[], opts: { yes?: boolean }, globals: GlobalFlags): Promise<number> {
  const { io, loaded } = buildContext(globals);
  if (!opts.yes) {
    if (!io.canPrompt) throw usageError('removing a suppression lets mailops mail these addresses again', 'Add --yes to confirm.');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`Mail ${emails.join(', ')} again? Type yes to confirm: `);
    rl.close();
    if (answer.trim().toLowerCase() !== 'yes') {
      io.info('nothing changed');
      return 0;
    }
  }
  const changes = runSuppressionsRemove(loaded.dataDir, emails);
  if (io.json) io.outJson({ changes });
  else for (const c of changes) io.out(c.changed ? `removed ${c.email} (was ${c.previous?.reason})` : `${c.email} was not suppressed`);
  return 0;
}
