/** Flags → options for `mailops rotate` and `mailops export`. */
import { buildContext, type GlobalFlags } from '../../cli/context.js';
import { usageError } from '../../errors.js';
import { defaultCsvPath } from '../ingest/run.js';
import { parseSince, runExport, runRotate, type Period } from './run.js';

export async function rotateCommand(flags: { period?: string; keep?: string; dryRun?: boolean }, globals: GlobalFlags): Promise<number> {
  const { io, loaded } = buildContext(globals);
  const period = (flags.period ?? 'daily') as Period;
  if (period !== 'daily' && period !== 'hourly') throw usageError('--period must be daily or hourly');
  const keep = Number(flags.keep ?? 90);
  if (!Number.isInteger(keep) || keep < 1) throw usageError('--keep must be a whole number of at least 1');
  const r = await runRotate({ dataDir: loaded.dataDir, csvPath: defaultCsvPath(loaded.dataDir, loaded.config.OUTPUT_CSV), period, keep, dryRun: flags.dryRun ?? false });
  if (io.json) io.outJson(r);
  else if (r.rotated || flags.dryRun) io.out(r.reason);
  else io.info(r.reason); // nothing to do: quiet on stdout, so cron mails nothing
  for (const p of r.pruned) io.info(`pruned ${p}`);
  return 0;
}

export async function exportCommand(flags: { since?: string; format?: string }, globals: GlobalFlags): Promise<number> {
  const { loaded } = buildContext(globals);
  const format = (flags.format ?? 'csv') as 'csv' | 'jsonl';
  if (format !== 'csv' && format !== 'jsonl') throw usageError('--format must be csv or jsonl');
  let since: Date | undefined;
  try {
    since = parseSince(flags.since);
  } catch (err) {
    throw usageError((err as Error).message);
  }
  await runExport({ csvPath: defaultCsvPath(loaded.dataDir, loaded.config.OUTPUT_CSV), since, format, write: (c) => void process.stdout.write(c) });
  return 0;
}
