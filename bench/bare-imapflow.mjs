// Bare imapflow: fetch the source of every message in a mailbox, in UID chunks, and nothing else.
// With --parse, also hand each message to mailparser's simpleParser (the floor of any ingest).
// Prints {messages, seconds, msgsPerSec, bytes, maxRssMB} as JSON.
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';

const parse = process.argv.includes('--parse');
const [host, port, user, pass, mailbox = 'INBOX', chunkArg = '50'] = process.argv.slice(2).filter((a) => a !== '--parse');
const chunk = Number(chunkArg);
const client = new ImapFlow({ host, port: Number(port), secure: false, auth: { user, pass }, logger: false, tls: { rejectUnauthorized: false }, disableAutoIdle: true });
const t0 = process.hrtime.bigint();
await client.connect();
await client.mailboxOpen(mailbox, { readOnly: true });
const uids = (await client.search({ all: true }, { uid: true })).sort((a, b) => a - b);
let messages = 0;
let bytes = 0;
for (let i = 0; i < uids.length; i += chunk) {
  const sources = [];
  for await (const m of client.fetch(uids.slice(i, i + chunk).join(','), { uid: true, source: true }, { uid: true })) {
    messages++;
    bytes += m.source?.length ?? 0;
    if (parse && m.source) sources.push(m.source);
  }
  for (const src of sources) await simpleParser(src);
}
await client.logout();
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(`${JSON.stringify({ messages, seconds, msgsPerSec: messages / seconds, bytes, maxRssMB: Math.round(process.resourceUsage().maxRSS / 102.4) / 10 })}\n`);
