/**
 * `mailops cron`: crontab lines for this installation (absolute paths of node, the binary, the env
 * file and the working directory). stdout goes to /dev/null, so cron mails only problems (stderr).
 * --install replaces a marked block in the user's crontab (idempotent); --uninstall removes it.
 */
import { execa } from 'execa';
import { ExitCode, MailopsError } from '../../errors.js';

export interface CronOptions {
  node: string;
  bin: string;
  envFile: string;
  cwd: string;
  dataDir: string;
}

export const BEGIN = '# BEGIN mailops';
export const END = '# END mailops';

export function cronBlock(o: CronOptions): string {
  const q = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const run = (args: string) => `cd ${q(o.cwd)} && ${q(o.node)} ${q(o.bin)} --env-file ${q(o.envFile)} --data-dir ${q(o.dataDir)} ${args} >/dev/null`;
  return [
    `${BEGIN} (${o.dataDir}) — managed by mailops cron; edit with mailops cron --install/--uninstall`,
    `*/5 * * * * ${run('ingest --imap --quiet')}`,
    `15 0 * * * ${run('rotate --quiet')}`,
    `0 6 * * * ${run('dns-check --quiet')}`,
    `30 6 * * * ${run('reputation --quiet')}`,
    END,
  ].join('\n');
}

/** The crontab text with our block replaced (or removed when block is undefined). */
export function withBlock(current: string, block: string | undefined): string {
  const lines = current.split('\n');
  const out: string[] = [];
  let inside = false;
  for (const l of lines) {
    if (l.startsWith(BEGIN)) {
      inside = true;
      continue;
    }
    if (inside) {
      if (l.startsWith(END)) inside = false;
      continue;
    }
    out.push(l);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  if (block) out.push(...(out.length ? [''] : []), block);
  return out.length ? `${out.join('\n')}\n` : '';
}

async function readCrontab(): Promise<string> {
  const r = await execa('crontab', ['-l'], { reject: false });
  if ((r as { code?: string }).code === 'ENOENT') throw new MailopsError('no-crontab', 'the crontab command is not installed', { exitCode: ExitCode.unavailable, hint: 'Install cron (apt-get install cron), or paste the lines from `mailops cron` into your scheduler.' });
  if (r.exitCode !== 0) {
    if (/no crontab/i.test(String(r.stderr))) return '';
    throw new MailopsError('crontab', `crontab -l failed: ${String(r.stderr).trim()}`, { exitCode: ExitCode.failure });
  }
  return String(r.stdout) + (String(r.stdout).endsWith('\n') || !r.stdout ? '' : '\n');
}

export async function installCron(block: string | undefined): Promise<string> {
  const next = withBlock(await readCrontab(), block);
  const r = await execa('crontab', ['-'], { input: next, reject: false });
  if (r.exitCode !== 0) throw new MailopsError('crontab', `crontab - failed: ${String(r.stderr).trim()}`, { exitCode: ExitCode.failure });
  return next;
}
