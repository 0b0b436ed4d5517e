/**
 * The entry point, and the one place where errors become exit codes and messages with a hint.
 */
import { readFileSync } from 'node:fs';
import { buildProgram, type ActionResult } from './program.js';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export async function main(argv: string[]): Promise<number> {
  // `mailops … | head` closes the pipe early: that is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  let exitCode = 0;
  const run = async (fn: () => Promise<ActionResult>) => {
    try {
      const code = await fn();
      exitCode = typeof code === 'number' ? code : 0;
    } catch (err) {
      const { toMailopsError } = await import('../errors.js');
      const e = toMailopsError(err);
      const { createIOFromFlags } = await import('./context.js');
      const json = argv.includes('--json');
      const io = createIOFromFlags({ json, quiet: false, color: !argv.includes('--no-color') });
      if (json) {
        process.stdout.write(`${JSON.stringify({ error: { code: e.code, message: e.message, hint: e.hint ?? null, exitCode: e.exitCode } }, null, 2)}\n`);
      }
      io.error(e.message);
      if (e.hint) io.info(`hint: ${e.hint}`);
      if (e.exitCode === 1 && argv.includes('--verbose') && e.stack) io.debug(e.stack);
      exitCode = e.exitCode;
    }
  };
  // `mailops help exit-codes`
  const args = argv.slice(2);
  if (args[0] === 'help' && args[1] === 'exit-codes') argv = [...argv.slice(0, 2), 'help-exit-codes'];
  const program = buildProgram(version(), run);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) return 2;
    throw err;
  }
  return exitCode;
}
