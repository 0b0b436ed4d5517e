// The IMAP benchmark: N generated replies appended to a throwaway Dovecot, then in one run:
// bare imapflow fetch, bare fetch + mailparser, the first `mailops ingest --imap`, and a second run
// with nothing new. Needs dovecot-imapd and a built dist/ (for the test harness that starts Dovecot).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ImapFlow } from 'imapflow';
import { measureCommand } from './measure.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');
const NODE = process.execPath;

async function filesOf(dir) {
  const out = [];
  for (const sub of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, sub);
    if (fs.statSync(p).isDirectory()) for (const f of fs.readdirSync(p).sort()) if (f.endsWith('.eml')) out.push(path.join(p, f));
  }
  return out;
}

export async function benchImap({ n, corpusDir, bin, tmp, log, timeoutMs }) {
  const harness = path.join(ROOT, 'dist', 'testing', 'dovecot.js');
  if (!fs.existsSync(harness)) return { ok: false, error: 'dist/testing/dovecot.js is missing: run npm run build first' };
  const { DOVECOT_BIN, startDovecot } = await import(pathToFileURL(harness).href);
  if (!DOVECOT_BIN) return { ok: false, error: 'dovecot is not installed (apt-get install dovecot-imapd)' };
  const dovecot = await startDovecot([{ name: 'campaign', password: 'bench-secret' }]);
  try {
    const client = new ImapFlow({ host: '127.0.0.1', port: dovecot.port, secure: false, auth: { user: 'campaign', pass: 'bench-secret' }, logger: false, tls: { rejectUnauthorized: false } });
    await client.connect();
    const files = (await filesOf(corpusDir)).slice(0, n);
    const t0 = Date.now();
    for (const f of files) await client.append('INBOX', fs.readFileSync(f));
    await client.logout();
    log(`  appended ${files.length} messages to Dovecot in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const bare = async (parse) => {
      const args = [path.join(BENCH_DIR, 'bare-imapflow.mjs'), '127.0.0.1', String(dovecot.port), 'campaign', 'bench-secret', 'INBOX', '50', ...(parse ? ['--parse'] : [])];
      const r = await measureCommand(NODE, args, { cwd: ROOT, timeoutMs });
      return JSON.parse(r.stdout.trim().split('\n').pop());
    };
    const fetchOnly = await bare(false);
    log(`  bare imapflow fetch: ${fetchOnly.msgsPerSec.toFixed(0)} msg/s, peak RSS ${fetchOnly.maxRssMB} MB`);
    const fetchParse = await bare(true);
    log(`  bare fetch + mailparser: ${fetchParse.msgsPerSec.toFixed(0)} msg/s, peak RSS ${fetchParse.maxRssMB} MB`);

    const dataDir = fs.mkdtempSync(path.join(tmp, 'imap-data-'));
    const envFile = path.join(dataDir, 'bench.env');
    fs.writeFileSync(envFile, '');
    const env = {
      ...process.env, NO_COLOR: '1', OWN_DOMAINS: 'sourceww.com', IMAP_HOST: '127.0.0.1', IMAP_PORT: String(dovecot.port), IMAP_SSL: 'false',
      IMAP_USER: 'campaign', IMAP_PASS: 'bench-secret', NODE_EXTRA_CA_CERTS: dovecot.certFile,
    };
    const args = [bin, 'ingest', '--imap', '--data-dir', dataDir, '--env-file', envFile, '--json', '-q'];
    const first = await measureCommand(NODE, args, { cwd: ROOT, env, timeoutMs });
    const summary = JSON.parse(first.stdout);
    const ingestRate = files.length / (first.wallMs / 1000);
    log(`  first ingest --imap: ${summary.messages} messages in ${(first.wallMs / 1000).toFixed(2)} s — ${ingestRate.toFixed(0)} msg/s, peak RSS ${first.maxRssMB} MB`);
    const second = await measureCommand(NODE, args, { cwd: ROOT, env, timeoutMs });
    const secondSummary = JSON.parse(second.stdout);
    log(`  second run (nothing new): ${(second.wallMs / 1000).toFixed(2)} s, ${secondSummary.messages} messages`);
    fs.rmSync(dataDir, { recursive: true, force: true });
    return {
      ok: first.code === 0 && summary.messages === files.length && second.code === 0 && secondSummary.messages === 0,
      n: files.length,
      bareFetch: fetchOnly,
      bareFetchParse: fetchParse,
      ingest: { msgsPerSec: ingestRate, wallSeconds: first.wallMs / 1000, maxRssMB: first.maxRssMB, rows: summary.rowsWritten },
      ratioVsFetch: ingestRate / fetchOnly.msgsPerSec,
      ratioVsFetchParse: ingestRate / fetchParse.msgsPerSec,
      secondRunSeconds: second.wallMs / 1000,
    };
  } finally {
    await dovecot.stop();
  }
}
