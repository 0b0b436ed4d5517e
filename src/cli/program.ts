/**
 * The commander wiring: names, flags and help text only. Each action imports its command module on
 * demand, so `mailops --help` loads nothing but commander.
 */
import { Command, Option } from 'commander';
import type { GlobalFlags } from './context.js';

export type ActionResult = number | void;

function globals(cmd: Command): GlobalFlags {
  return cmd.optsWithGlobals() as GlobalFlags;
}

export function buildProgram(version: string, run: (fn: () => Promise<ActionResult>) => Promise<void>): Command {
  const program = new Command('mailops')
    .description('Run a self-hosted outreach mail system: send campaigns, turn every reply into clean contact rows.')
    .version(version, '--version', 'print the version')
    .option('--env-file <path>', 'read configuration from this file (default ./.env)')
    .option('--data-dir <dir>', 'state, output and quarantine directory (default DATA_DIR or ./data)')
    .option('--json', 'print the result as JSON on stdout')
    .option('-q, --quiet', 'print nothing but the result and errors')
    .option('-v, --verbose', 'print debugging detail on stderr')
    .option('--no-color', 'never colour the output')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false })
    .addHelpText(
      'after',
      `
Examples:
  Turn the bundled sample replies into data/out/contacts.csv:
    $ mailops ingest fixtures/replies
  See why a message was classified and what was extracted:
    $ mailops inspect fixtures/replies/01-human-gmail-simple-signature.eml
  List everyone who must not be mailed again:
    $ mailops suppressions list

Exit codes: mailops help exit-codes`,
    );

  program
    .command('init')
    .description('write .env (mode 0600) with generated passwords, in test mode')
    .option('--domain <domain>', 'the sending domain')
    .option('--from-email <address>', 'sender address (default outreach@<domain>)')
    .option('--from-name <name>', 'sender name')
    .option('--imap-user <user>', 'the mailbox replies land in (default campaign@<domain>)')
    .option('--imap-host <host>', 'IMAP host (default mail.<domain>)')
    .option('--force', 'replace an existing .env (it is kept as .env.bak)')
    .option('-y, --yes', 'do not ask; defaults for anything not given')
    .action(async (opts: Record<string, unknown>, cmd: Command) =>
      run(async () => (await import('../commands/init/command.js')).initCommand(opts, globals(cmd))),
    );

  program
    .command('up')
    .description('start the stack (docker compose) and wait for its healthchecks')
    .option('--profile <name...>', 'also start these profiles (metrics: Prometheus + Grafana)')
    .option('--timeout <seconds>', 'how long to wait for healthy services', '180')
    .action(async (opts: Record<string, unknown>, cmd: Command) => run(async () => (await import('../commands/stack/command.js')).upCommand(opts, globals(cmd))));
  program
    .command('down')
    .description('stop the stack (data volumes are kept)')
    .action(async (_opts: unknown, cmd: Command) => run(async () => (await import('../commands/stack/command.js')).downCommand(globals(cmd))));
  program
    .command('logs')
    .description('show the logs of the stack or of one service')
    .argument('[service]', 'db, listmonk, mailpit, ingest, prometheus or grafana')
    .option('-f, --follow', 'keep following')
    .action(async (service: string | undefined, opts: Record<string, unknown>, cmd: Command) => run(async () => (await import('../commands/stack/command.js')).logsCommand(service, opts, globals(cmd))));
  program
    .command('status')
    .description('mode, services and their health, where SMTP and IMAP point, what was ingested and sent')
    .action(async (_opts: unknown, cmd: Command) => run(async () => (await import('../commands/stack/command.js')).statusCommand(globals(cmd))));

  program
    .command('mode')
    .description('print the mode, or switch the whole system: test (nothing leaves the machine) or prod')
    .argument('[mode]', 'test or prod')
    .option('-n, --dry-run', 'show which .env keys change and what restarts; change nothing')
    .option('-y, --yes', 'do not ask (prod also needs --confirm=prod)')
    .option('--confirm <word>', 'type prod here to confirm in scripts')
    .option('--force', 'switch to prod even when the preflight finds problems')
    .option('--resolver <host[:port]>', 'DNS server for the SPF/DMARC preflight')
    .addHelpText('after', `
Examples:
  What would change:
    $ mailops mode prod --dry-run
  Switch for real from a script:
    $ mailops mode prod --yes --confirm=prod`)
    .action(async (mode: string | undefined, opts: Record<string, unknown>, cmd: Command) => run(async () => (await import('../commands/mode/command.js')).modeCommand(mode, opts, globals(cmd))));

  const relay = program.command('relay').description('configure how Mailcow relays outgoing mail');
  relay
    .command('ses')
    .description("relay the sending domain's mail through Amazon SES (Mailcow relayhost, SMTP password derived from the IAM secret)")
    .requiredOption('--region <region>', 'SES region, e.g. eu-west-1')
    .option('--domain <domain>', 'sending domain (default: first of OWN_DOMAINS)')
    .option('-n, --dry-run', 'show what would be configured')
    .action(async (opts: { region: string }, cmd: Command) => run(async () => (await import('../commands/relay/command.js')).relaySesCommand(opts, globals(cmd))));

  program
    .command('dns-check')
    .description('audit SPF, DKIM, DMARC, MX, PTR, MTA-STS, TLS-RPT, BIMI and blocklists, with a fix for each problem; exit 3 on errors')
    .argument('[domain]', 'the sending domain (default: the domain of FROM_EMAIL)')
    .option('--ip <addr...>', 'sending IPs: PTR, SPF evaluation and blocklists (default: SENDING_IPS)')
    .option('--dkim-selector <s...>', 'DKIM selectors to check (default: DKIM_SELECTORS, i.e. dkim)')
    .option('--resolver <host[:port]>', 'DNS server to ask; use your own recursive resolver, blocklists refuse public ones (default: DNS_RESOLVER)')
    .option('--ses', 'production mail relays through Amazon SES (default: when SES_REGION is set)')
    .option('--no-ses', 'production mail leaves from Mailcow directly')
    .option('--mail-from <subdomain>', 'SES custom MAIL FROM subdomain (default: SES_MAIL_FROM)')
    .option('--probe', 'also connect to each MX host on port 25 and check STARTTLS and its certificate')
    .option('--timeout <seconds>', 'first-try timeout per query; a query is retried once and given up after 3× this', '2')
    .option('--warn-as-error', 'exit 3 on warnings and unknown answers too')
    .addHelpText('after', `
Examples:
  Audit before the first production send:
    $ mailops dns-check example.com --ip 192.0.2.10 --dkim-selector dkim
  From cron, strict, with your own resolver (only problems reach stderr):
    $ mailops dns-check --resolver 127.0.0.1 --warn-as-error --quiet >/dev/null
  Machine-readable, stable ids per check:
    $ mailops dns-check example.com --json | jq '.findings[] | select(.severity=="error")'`)
    .action(async (domain: string | undefined, opts: Record<string, unknown>, cmd: Command) => run(async () => (await import('../commands/dns-check/command.js')).dnsCheckCommand(domain, opts, globals(cmd))));

  program
    .command('dns-records')
    .description('print the DNS records to publish (zone-file snippet and table), marking what would change')
    .argument('[domain]', 'the sending domain (default: the domain of FROM_EMAIL)')
    .option('--ip <addr...>', "the Mailcow server's public IPs (default: SENDING_IPS)")
    .option('--mx-host <host>', 'name of the mail host (default: mail.<domain>)')
    .option('--dmarc-policy <policy>', 'none, quarantine or reject (stage them in that order)', 'none')
    .option('--rua <mailto>', 'where aggregate DMARC reports go (default: mailto:dmarc@<domain>)')
    .option('--ruf <mailto>', 'where failure reports go (off by default: few send them, and they hold message content)')
    .option('--spf-all <soft|hard>', 'soft (~all) while warming up, hard (-all) once every sender is listed', 'soft')
    .option('--ses-region <region>', 'production relays through SES in this region (default: SES_REGION)')
    .option('--mail-from <subdomain>', 'SES custom MAIL FROM subdomain (default: SES_MAIL_FROM, else bounce.<domain>)')
    .option('--ses-dkim-tokens <t1,t2,t3>', 'the three SES Easy DKIM tokens, to print their CNAMEs')
    .option('--dkim-selector <s>', 'selector of the DKIM key (default: first of DKIM_SELECTORS, or Mailcow\'s)')
    .option('--dkim-key <file>', 'public key to publish (PEM, base64, or a v=DKIM1 record); default: read from Mailcow\'s API when MAILCOW_URL is set')
    .option('--mta-sts-mode <mode>', 'testing, enforce or none', 'testing')
    .option('--tls-rpt <mailto>', 'where TLS reports go (default: mailto:tlsrpt@<domain>)')
    .option('--resolver <host[:port]>', 'DNS server for the re-check of existing records (default: DNS_RESOLVER)')
    .option('--zone', 'print only the zone-file snippet (for a file or a DNS provider import)')
    .addHelpText('after', `
Examples:
  Records for a Mailcow host, DKIM key read from Mailcow:
    $ mailops dns-records example.com --ip 192.0.2.10
  With SES as the production relay, moving DMARC to quarantine:
    $ mailops dns-records example.com --ip 192.0.2.10 --ses-region eu-west-1 --dmarc-policy quarantine`)
    .action(async (domain: string | undefined, opts: Record<string, unknown>, cmd: Command) => run(async () => (await import('../commands/dns-records/command.js')).dnsRecordsCommand(domain, opts, globals(cmd))));

  program
    .command('reputation')
    .description('bounce, complaint and delivery rates and the sender score; exit 3 when a threshold is crossed')
    .option('--since <when>', 'window (7d, 30d, or a date)', '30d')
    .option('--ip <addr...>', 'sending IPs to look up on the blocklists (default: SENDING_IPS)')
    .option('--resolver <host[:port]>', 'DNS server for the blocklist lookups, not a public one (default: DNS_RESOLVER)')
    .action(async (opts: Record<string, unknown>, cmd: Command) => run(async () => (await import('../commands/reputation/command.js')).reputationCommand(opts, globals(cmd))));

  program
    .command('stats')
    .description('replies, out-of-office, contacts, bounces, complaints, sends — overall and per campaign')
    .option('--since <when>', 'only since (7d, 12h, or a date)')
    .option('--campaign <id>', 'one campaign')
    .option('--watch', 'on a terminal: refresh every few seconds until q')
    .action(async (opts: Record<string, unknown>, cmd: Command) => run(async () => (await import('../commands/stats/command.js')).statsCommand(opts, globals(cmd))));

  program
    .command('cron')
    .description('print crontab lines for this installation, or install/remove them')
    .option('--install', 'add (or replace) the mailops block in your crontab')
    .option('--uninstall', 'remove the mailops block from your crontab')
    .action(async (opts: Record<string, unknown>, cmd: Command) => run(async () => (await import('../commands/cron/command.js')).cronCommand(opts, globals(cmd))));

  program
    .command('rotate')
    .description('archive contacts.csv as out/archive/contacts-<period>.csv.gz and start a new file')
    .option('--period <period>', 'daily or hourly', 'daily')
    .option('--keep <n>', 'archives to keep', '90')
    .option('-n, --dry-run', 'say what would happen')
    .action(async (opts: Record<string, unknown>, cmd: Command) => run(async () => (await import('../commands/rotate/command.js')).rotateCommand(opts, globals(cmd))));
  program
    .command('export')
    .description('print archived and live contact rows (for Sheets/N8N and people)')
    .option('--since <when>', 'only rows received since (7d, 12h, or a date)')
    .option('--format <format>', 'csv or jsonl', 'csv')
    .action(async (opts: Record<string, unknown>, cmd: Command) => run(async () => (await import('../commands/rotate/command.js')).exportCommand(opts, globals(cmd))));

  program
    .command('metrics')
    .description('serve /metrics for Prometheus (counts from the state store)')
    .option('--port <port>', 'port (default METRICS_PORT or 9464)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (opts: Record<string, unknown>, cmd: Command) => run(async () => (await import('../commands/metrics/command.js')).metricsCommand(opts, globals(cmd))));

  program
    .command('ingest')
    .description('classify replies, extract contacts into contacts.csv, feed bounces and complaints to the suppression list')
    .argument('[paths...]', '.eml files, directories (recursive), mbox files, or - for one message on stdin')
    .option('-o, --out <csv>', 'CSV to append to (default OUTPUT_CSV or <data-dir>/out/contacts.csv)')
    .option('--reprocess', 'process messages again even if the ledger says they were done')
    .option('-n, --dry-run', 'analyse and report, write nothing (no CSV rows, no state)')
    .option('--imap', 'read new replies from the IMAP mailbox (IMAP_* settings) instead of files')
    .option('--mailbox <name...>', 'with --imap: mailboxes to read (default IMAP_MAILBOXES, INBOX)')
    .option('--all-mailboxes', 'with --imap: every selectable mailbox except Sent, Drafts and Trash')
    .option('--move-to <mailbox>', 'with --imap: move each processed message there (instead of only tagging it)')
    .option('--watch', 'with --imap: keep running, react to new mail within seconds (IDLE)')
    .addHelpText(
      'after',
      `
Examples:
  Ingest a folder of saved replies:
    $ mailops ingest ~/replies
  Ingest an mbox export, summary as JSON for a script:
    $ mailops ingest --json export.mbox
  One message from a pipe:
    $ cat reply.eml | mailops ingest -
  New replies from the mailbox, from cron every few minutes:
    $ mailops ingest --imap --quiet
  As the long-running ingest service:
    $ mailops ingest --imap --watch`,
    )
    .action(async (paths: string[], _opts: unknown, cmd: Command) =>
      run(async () => (await import('../commands/ingest/command.js')).ingestCommand(paths, cmd.opts(), globals(cmd))),
    );

  program
    .command('inspect')
    .description('explain one message: kind and why, quote split, signature, contacts and attribution')
    .argument('<file>', 'an .eml file, or - for stdin')
    .addHelpText('after', `
Examples:
  Why is this an auto-reply, and who did it refer us to?
    $ mailops inspect reply.eml
  The same as JSON:
    $ mailops inspect --json reply.eml`)
    .action(async (file: string, _opts: unknown, cmd: Command) =>
      run(async () => (await import('../commands/inspect/command.js')).inspectCommand(file, globals(cmd))),
    );

  program
    .command('send')
    .description('send a campaign: attributed, compliant, rate-limited, each address at most once')
    .option('--list <csv>', 'recipients: CSV with a header row and an "email" column (- for stdin)')
    .option('--campaign <id>', 'campaign id (letters, digits, . _ = -)')
    .option('--subject <text>', 'subject; may use {{fields}}')
    .option('--template <file>', 'body: .txt, .md (HTML + text) or .html, with {{fields}} from the list')
    .addOption(new Option('--via <transport>', 'how to send').choices(['smtp', 'listmonk']).default('smtp'))
    .addOption(new Option('--scope <scope>', 'ever: an address is mailed once ever; campaign: once per campaign').choices(['ever', 'campaign']).default('ever'))
    .option('--limit <n>', 'send at most n messages in this run')
    .option('-n, --dry-run', 'show the plan and one rendered message; send and record nothing')
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .option('--no-wait', 'when a rate limit is reached, stop (exit 3) instead of waiting')
    .option('--per-minute <n>', 'rate limit (default SEND_RATE_PER_MINUTE)')
    .option('--per-hour <n>', 'rate limit (default SEND_RATE_PER_HOUR)')
    .option('--per-day <n>', 'rate limit (default SEND_RATE_PER_DAY)')
    .addOption(new Option('--listmonk-path <path>', 'with --via listmonk: campaign (Listmonk ≥ 6.2), tx (one API call per recipient) or auto').choices(['auto', 'tx', 'campaign']).default('auto'))
    .option('--list-in-doubt', 'show sends that were in flight when a run stopped')
    .option('--retry-in-doubt', 'resend this campaign\'s in-doubt recipients deliberately')
    .addHelpText('after', `
Examples:
  Preview the plan and one fully rendered message:
    $ mailops send --list leads.csv --campaign q4-fintech --subject "Hi {{first_name}}" --template intro.md --dry-run
  Send from cron (waits for the rate limits; nothing is ever sent twice):
    $ mailops send --list leads.csv --campaign q4-fintech --subject "Hi {{first_name}}" --template intro.md --yes
  Who may or may not have received a message when a run was killed:
    $ mailops send --list-in-doubt`)
    .action(async (opts: Record<string, unknown>, cmd: Command) =>
      run(async () => (await import('../commands/send/command.js')).sendCommand(opts, globals(cmd))),
    );

  const sup = program.command('suppressions').description('show and edit the suppression list (bounces, complaints, unsubscribes)');
  sup
    .command('list')
    .description('list suppressed addresses')
    .addOption(new Option('--reason <reason>', 'only this reason').choices(['hard-bounce', 'soft-bounce', 'complaint', 'unsubscribe', 'request', 'manual']))
    .action(async (opts: { reason?: string }, cmd: Command) =>
      run(async () => (await import('../commands/suppressions/command.js')).suppressionsList(opts, globals(cmd))),
    );
  sup
    .command('add')
    .description('suppress addresses by hand')
    .argument('<emails...>', 'addresses to suppress')
    .option('--note <text>', 'why (kept with the entry)')
    .action(async (emails: string[], opts: { note?: string }, cmd: Command) =>
      run(async () => (await import('../commands/suppressions/command.js')).suppressionsAdd(emails, opts, globals(cmd))),
    );
  sup
    .command('remove')
    .description('lift the suppression of addresses')
    .argument('<emails...>', 'addresses to remove from the list')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (emails: string[], opts: { yes?: boolean }, cmd: Command) =>
      run(async () => (await import('../commands/suppressions/command.js')).suppressionsRemove(emails, opts, globals(cmd))),
    );

  program
    .command('help-exit-codes', { hidden: true })
    .action(async () => run(async () => printExitCodes()));
  program.addHelpCommand(true);
  return program;
}

async function printExitCodes(): Promise<number> {
  const { EXIT_CODE_HELP } = await import('../errors.js');
  process.stdout.write(`${EXIT_CODE_HELP}\n`);
  return 0;
}
