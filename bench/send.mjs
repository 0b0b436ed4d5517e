// The send benchmark: N messages to an SMTP sink in a separate process on loopback, limits off —
// mailops send vs a bare nodemailer pool with the same connections — then a rate-limited run
// whose largest count in any 60 s window is reported (it must not exceed the per-minute limit).
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { measureCommand } from './measure.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');
const NODE = process.execPath;

async function startSink(logFile) {
  const main = path.join(ROOT, 'dist', 'testing', 'smtp-sink-main.js');
  const child = spawn(NODE, [main, logFile, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`sink exited ${code}`)));
  });
  return { port, stop: () => child.kill('SIGTERM') };
}

function workspace(tmp, n) {
  const dir = fs.mkdtempSync(path.join(tmp, 'send-'));
  const rows = Array.from({ length: n }, (_, i) => `lead${i}@example.org,Lead${i},Company ${i}`);
  fs.writeFileSync(path.join(dir, 'leads.csv'), ['email,first_name,company', ...rows].join('\n'));
  fs.writeFileSync(path.join(dir, 'intro.md'), 'Hi {{first_name}},\n\nA question about **{{company}}**.\n\nDana Whitfield\nSourceWW\n');
  fs.writeFileSync(path.join(dir, 'bench.env'), '');
  return dir;
}

const sendArgs = (bin, dir) => [bin, 'send', '--list', 'leads.csv', '--campaign', 'bench', '--subject', 'Hi {{first_name}}', '--template', 'intro.md', '--yes', '--json', '-q', '--env-file', 'bench.env'];

export async function benchSend({ n, bin, tmp, log, timeoutMs, concurrency = 5, ratedPerMinute = 600, ratedMinutes = 3 }) {
  fs.mkdirSync(tmp, { recursive: true });
  const env = (port, extra = {}) => ({ ...process.env, NO_COLOR: '1', FROM_EMAIL: 'dana@sourceww.com', FROM_NAME: 'Dana Whitfield', SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port), SEND_CONCURRENCY: String(concurrency), ...extra });
  const logFile = path.join(tmp, `sink-${Date.now()}.jsonl`);
  const sink = await startSink(logFile);
  try {
    const bare = await measureCommand(NODE, [path.join(BENCH_DIR, 'bare-nodemailer.mjs'), String(sink.port), String(n), String(concurrency)], { cwd: ROOT, timeoutMs });
    const bareRes = JSON.parse(bare.stdout.trim().split('\n').pop());
    log(`  bare nodemailer pool (${concurrency} connections): ${bareRes.msgsPerSec.toFixed(0)} msg/s`);
    const dir = workspace(tmp, n);
    const unlimited = { SEND_RATE_PER_MINUTE: '10000000', SEND_RATE_PER_HOUR: '10000000', SEND_RATE_PER_DAY: '10000000' };
    const r = await measureCommand(NODE, sendArgs(bin, dir), { cwd: dir, env: env(sink.port, unlimited), timeoutMs });
    const summary = JSON.parse(r.stdout);
    const rate = n / (r.wallMs / 1000);
    log(`  mailops send: ${summary.sent} sent in ${(r.wallMs / 1000).toFixed(2)} s — ${rate.toFixed(0)} msg/s, peak RSS ${r.maxRssMB} MB`);
    fs.rmSync(dir, { recursive: true, force: true });

    // Rate-limited run on the real clock: enough recipients to outlast the window several times.
    const ratedN = ratedPerMinute * ratedMinutes;
    const rdir = workspace(tmp, ratedN);
    const ratedLog = path.join(tmp, `rated-${Date.now()}.jsonl`);
    const ratedSink = await startSink(ratedLog);
    log(`  rate-limited run: ${ratedN} messages at ${ratedPerMinute}/min (takes about ${ratedMinutes} min)`);
    const rr = await measureCommand(NODE, sendArgs(bin, rdir), {
      cwd: rdir,
      env: env(ratedSink.port, { SEND_RATE_PER_MINUTE: String(ratedPerMinute), SEND_RATE_PER_HOUR: '1000000', SEND_RATE_PER_DAY: '1000000' }),
      timeoutMs: Math.max(timeoutMs, (ratedMinutes + 2) * 60_000),
    });
    ratedSink.stop();
    const times = fs.readFileSync(ratedLog, 'utf8').split('\n').filter(Boolean).map((l) => Date.parse(JSON.parse(l).at)).sort((a, b) => a - b);
    let maxWindow = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i] - times[j] >= 60_000) j++;
      maxWindow = Math.max(maxWindow, i - j + 1);
    }
    log(`  rate-limited: ${times.length} received in ${(rr.wallMs / 1000).toFixed(0)} s; largest count in any 60 s window: ${maxWindow} (limit ${ratedPerMinute})`);
    fs.rmSync(rdir, { recursive: true, force: true });
    return {
      ok: r.code === 0 && summary.sent === n && rr.code === 0,
      n,
      concurrency,
      bare: bareRes,
      mailops: { msgsPerSec: rate, wallSeconds: r.wallMs / 1000, maxRssMB: r.maxRssMB, sent: summary.sent },
      ratio: rate / bareRes.msgsPerSec,
      rated: { perMinute: ratedPerMinute, received: times.length, seconds: rr.wallMs / 1000, maxIn60s: maxWindow },
    };
  } finally {
    sink.stop();
  }
}
