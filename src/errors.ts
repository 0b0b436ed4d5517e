/**
 * The one error type mailops raises on purpose. It carries a stable code, the process exit
 * code and a hint: the one thing the operator should do next.
 */

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  incomplete: 3,
  auth: 4,
  unavailable: 5,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class MailopsError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;

  constructor(code: string, message: string, opts: { exitCode?: ExitCodeValue; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MailopsError';
    this.code = code;
    this.exitCode = opts.exitCode ?? ExitCode.failure;
    this.hint = opts.hint;
  }
}

export function usageError(message: string, hint?: string): MailopsError {
  return new MailopsError('usage', message, { exitCode: ExitCode.usage, ...(hint ? { hint } : {}) });
}

export function configError(message: string, hint?: string): MailopsError {
  return new MailopsError('config', message, { exitCode: ExitCode.usage, ...(hint ? { hint } : {}) });
}

/** Maps anything thrown into a MailopsError, reading the fields libraries already set. */
export function toMailopsError(err: unknown): MailopsError {
  if (err instanceof MailopsError) return err;
  const e = err as { code?: string; message?: string; path?: string } | undefined;
  const message = e?.message ?? String(err);
  switch (e?.code) {
    case 'ENOENT':
      return new MailopsError('not-found', message, {
        exitCode: ExitCode.usage,
        hint: 'Check the path; `ls` it to see that it exists.',
        cause: err,
      });
    case 'EACCES':
    case 'EPERM':
      return new MailopsError('permission', message, {
        exitCode: ExitCode.failure,
        hint: 'Check the file permissions, or run as the user that owns the data directory.',
        cause: err,
      });
    case 'ELOCKED':
      return new MailopsError('locked', message, {
        exitCode: ExitCode.unavailable,
        hint: 'Another mailops run holds the lock on this data directory; wait for it to finish.',
        cause: err,
      });
    case 'ENOSPC':
      return new MailopsError('disk-full', message, { exitCode: ExitCode.failure, hint: 'Free disk space, then run again: nothing already written is lost.', cause: err });
    default:
      return new MailopsError('unexpected', message, { exitCode: ExitCode.failure, cause: err });
  }
}

export const EXIT_CODE_HELP = `Exit codes
  0    ok
  1    unexpected failure (a bug, a full disk, a permission problem)
  2    usage or configuration error (bad flag, bad .env value, missing file or mailbox)
  3    finished but incomplete, or found problems (messages quarantined, sends failed;
       dns-check found errors; reputation crossed a threshold)
  4    authentication failed (IMAP/SMTP/API credentials)
  5    unavailable (server unreachable, TLS failure, another run holds the lock,
       no DNS answer at all)
  130  interrupted (Ctrl-C)`;
