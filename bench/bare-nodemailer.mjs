// Bare nodemailer: a pool of <concurrency> connections sending N already-rendered messages (the same
// headers and bodies mailops sends) to the sink, limits off. Prints {messages, seconds, msgsPerSec}.
import nodemailer from 'nodemailer';

const [port, nArg, concArg] = process.argv.slice(2);
const n = Number(nArg);
const concurrency = Number(concArg ?? 5);
const transporter = nodemailer.createTransport({ host: '127.0.0.1', port: Number(port), ignoreTLS: true, pool: true, maxConnections: concurrency, maxMessages: 100, logger: false });
const body = 'Hi Lead,\n\nA question about **Company**.\n\nDana Whitfield\nSourceWW\n';
const html = '<p>Hi Lead,</p>\n<p>A question about <strong>Company</strong>.</p>\n<p>Dana Whitfield\nSourceWW</p>\n';
const t0 = process.hrtime.bigint();
let next = 0;
async function worker() {
  for (;;) {
    const i = next++;
    if (i >= n) return;
    const rid = `r${i.toString(36).padStart(9, '0')}`;
    await transporter.sendMail({
      envelope: { from: 'dana@sourceww.com', to: `lead${i}@example.org` },
      from: { name: 'Dana Whitfield', address: 'dana@sourceww.com' },
      to: `lead${i}@example.org`,
      replyTo: `campaign+${rid}@sourceww.com`,
      subject: `Hi Lead${i}`,
      messageId: `<c-bench-r-${rid}@sourceww.com>`,
      text: body,
      html,
      headers: { 'X-Campaign-Id': 'bench', 'X-Recipient-Id': rid, 'List-Unsubscribe': `<mailto:campaign+unsubscribe-${rid}@sourceww.com?subject=unsubscribe>` },
    });
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
transporter.close();
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(`${JSON.stringify({ messages: n, seconds, msgsPerSec: n / seconds })}\n`);
