/** Flags → options for `mailops cron [--install|--uninstall]`. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildContext, type GlobalFlags } from '../../cli/context.js';
import { usageError } from '../../errors.js';
import { cronBlock, installCron } from './run.js';

export async function cronCommand(flags: { install?: boolean; uninstall?: boolean }, globals: GlobalFlags): Promise<number> {
  const { io, loaded } = buildContext(globals);
  if (flags.install && flags.uninstall) throw usageError('choose --install or --uninstall');
  const block = cronBlock({
    node: process.execPath,
    bin: fileURLToPath(new URL('../../../bin/mailops', import.meta.url)),
    envFile: path.resolve(globals.envFile ?? '.env'),
    cwd: process.cwd(),
    dataDir: loaded.dataDir,
  });
  if (flags.install || flags.uninstall) {
    await installCron(flags.uninstall ? undefined : block);
    io.info(flags.uninstall ? 'removed the mailops block from your crontab' : 'installed the mailops block in your crontab (crontab -l to see it)');
    return 0;
  }
  io.out(block);
  return 0;
}
