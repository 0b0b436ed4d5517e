/** Flags → options for `mailops init`, asking on a terminal for what the flags leave out. */
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { createIOFromFlags, type GlobalFlags } from '../../cli/context.js';
import { usageError } from '../../errors.js';
import { runInit } from './run.js';

export interface InitFlags {
  force?: boolean;
  yes?: boolean;
  domain?: string;
  fromEmail?: string;
  fromName?: string;
  imapUser?: string;
  imapHost?: string;
}

export async function initCommand(flags: InitFlags, globals: GlobalFlags): Promise<number> {
  const io = createIOFromFlags(globals);
  const answers = { ...flags };
  if (!flags.yes) {
    if (!io.canPrompt) throw usageError('mailops init needs answers', 'Give --domain (and --from-email, --imap-user), or --yes for a working test-mode .env from defaults.');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const ask = async (q: string, def: string) => (await rl.question(`${q} [${def}]: `)).trim() || def;
    answers.domain ??= await ask('Sending domain', 'example.com');
    answers.fromEmail ??= await ask('From address', `outreach@${answers.domain}`);
    answers.fromName ??= await ask('From name', '');
    answers.imapUser ??= await ask('Mailbox that receives replies (IMAP user)', `campaign@${answers.domain}`);
    answers.imapHost ??= await ask('IMAP host', `mail.${answers.domain}`);
    rl.close();
  }
  const envFile = path.resolve(globals.envFile ?? '.env');
  const result = runInit({
    envFile,
    force: flags.force ?? false,
    domain: answers.domain ?? 'example.com',
    fromEmail: answers.fromEmail,
    fromName: answers.fromName,
    imapUser: answers.imapUser,
    imapHost: answers.imapHost,
  });
  if (io.json) io.outJson(result);
  else {
    io.out(`wrote ${result.envFile} (mode 0600, test mode)${result.backup ? `; the previous file is ${result.backup}` : ''}`);
    io.info('next: put IMAP_PASS in it, then `mailops up`; switch to production later with `mailops mode prod`');
  }
  return 0;
}
