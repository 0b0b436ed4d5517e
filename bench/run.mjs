#!/usr/bin/env node
// mailops benchmarks.
//
//   npm run bench                      # all benchmarks (ingest, startup)
//   npm run bench -- dns               # the dns-check audit against a delayed loopback DNS server
//   npm run bench -- ingest            # one of them
//   npm run bench -- ingest --n 10000,50000 --out bench-results.json
//
// Options:
//   --n <list>        corpus sizes for `ingest` (default 2000,10000,50000)
//   --seed <seed>     corpus seed (default mailops)
//   --runs <k>        runs per command for `startup` (default 15)
//   --keep            keep generated corpora and data directories
//   --tmp <dir>       where corpora and data dirs go (default $MAILOPS_BENCH_TMP or <os tmp>/mailops-bench)
//   --timeout <s>     give up on one measured command after this long (default 1800)
//   --bin <path>      the mailops entry point to measure (default bin/mailops)
//   --out <file>      also write the results as JSON to <file>
//   --json            print the results as JSON on stdout (the table goes to stderr)
//
// Exit code: 0 when everything ran and met its target, 1 when a run failed or
// a target was missed, 2 on a usage error. See bench/README.md.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { generateCorpus, isCorpusComplete, readManifest, CORPUS_FORMAT, DEFAULT_SEED, OUR_DOMAIN } from './generate.mjs';
import { benchImap } from './imap.mjs';
import { benchSend } from './send.mjs';
import { benchDns } from './dns.mjs';
import { measureCommand, killActive } from './measure.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');
let BIN = path.join(ROOT, 'bin', 'mailops');
const NODE = process.execPath;

export const TARGETS = {
  ingestRatio: 0.6, // ingest msgs/s ÷ bare mailparser msgs/s, at least
  ingestRssMB: 250, // ingest peak RSS at 50k messages, at most
  rssFlatGrowth: 0.25, // peak RSS growth from 10k to 50k messages, at most (fraction)
  startupRatio: 2.5, // `mailops --help` ÷ `node -e 0` median wall time, at most
  imapSecondRunSeconds: 1, // a second `ingest --imap` with nothing new, at most
  sendRatio: 0.7, // mailops send msg/s ÷ bare nodemailer pool msg/s, at least
  dnsWallToSum: 0.25, // dns-check audit wall time ÷ sum of its query latencies, at most
  dnsWallInChains: 3, // audit wall time ÷ (longest dependent-lookup chain × per-answer delay), at most
};

const BENCHMARKS = ['ingest', 'startup', 'imap', 'send', 'dns'];
// `npm run bench` with no name runs these; imap (needs Dovecot) and send (takes minutes) are asked for by name.
const DEFAULT_BENCHMARKS = ['ingest', 'startup'];
// Sizes below this are reported but not judged on ratio or RSS growth: fixed
// costs (process start, imports, opening the store) dominate them.
const FLAT_MIN_N = 10000;

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

function usage(msg) {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  else {
    process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1).filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n').split('\n\nExit code')[0] + '\n');
    process.exit(0);
  }
  process.stderr.write('usage: node --expose-gc bench/run.mjs [ingest|startup|all]... [--n 2000,10000,50000] [--seed s] [--runs 15] [--keep] [--tmp dir] [--timeout s] [--bin path] [--out file.json] [--json]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    benches: [], sizes: [2000, 10000, 50000], seed: DEFAULT_SEED, runs: 15, keep: false,
    tmp: process.env.MAILOPS_BENCH_TMP || path.join(os.tmpdir(), 'mailops-bench'), timeoutS: 1800, out: null, json: false,
  };
  const value = (k) => {
    if (k + 1 >= argv.length) usage(`${argv[k]} needs a value`);
    return argv[k + 1];
  };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { argv.splice(k, 1, a.slice(0, eq), a.slice(eq + 1)); k--; continue; }
    switch (a) {
      case '--n': {
        const v = value(k++);
        o.sizes = v.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
          const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(s);
          if (!m) usage(`bad corpus size "${s}"`);
          const n = Math.round(Number(m[1]) * ({ k: 1e3, m: 1e6 }[m[2].toLowerCase()] ?? 1));
          if (!(n > 0)) usage(`bad corpus size "${s}"`);
          return n;
        });
        if (!o.sizes.length) usage('--n needs at least one size');
        break;
      }
      case '--seed': o.seed = value(k++); break;
      case '--runs': o.runs = Number(value(k++)); if (!(o.runs >= 1)) usage('--runs must be at least 1'); break;
      case '--keep': o.keep = true; break;
      case '--tmp': o.tmp = path.resolve(value(k++)); break;
      case '--timeout': o.timeoutS = Number(value(k++)); if (!(o.timeoutS > 0)) usage('--timeout must be positive'); break;
      case '--out': o.out = path.resolve(value(k++)); break;
      case '--bin': o.bin = path.resolve(value(k++)); break;
      case '--json': o.json = true; break;
      case '-h': case '--help': usage();
      // falls through (usage exits)
      default:
        if (a.startsWith('-')) usage(`unknown option ${a}`);
        if (a === 'all') o.benches.push(...BENCHMARKS);
        else if (BENCHMARKS.includes(a)) o.benches.push(a);
        else usage(`unknown benchmark "${a}" (have: ${BENCHMARKS.join(', ')}, all)`);
    }
  }
  if (!o.benches.length) o.benches = DEFAULT_BENCHMARKS.slice();
  o.benches = [...new Set(o.benches)];
  return o;
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const log = (msg) => process.stderr.write(msg + '\n');
const round = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(d)));
const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const gc = () => { if (typeof globalThis.gc === 'function') globalThis.gc(); };

/** The telling part of a failed command's stderr: its error line(s), else the last lines. */
function tail(text, lines = 8) {
  const t = (text || '').trimEnd().split('\n');
  const at = t.findIndex((l) => /^\s*(\w*Error\b|Error\b|error:|mailops:.*error)/i.test(l));
  if (at !== -1) {
    const picked = [t[at]];
    for (let k = at + 1; k < t.length && picked.length < 3 && !/^\s+at /.test(t[k]) && t[k].trim(); k++) picked.push(t[k]);
    return picked.join('\n');
  }
  return t.slice(-lines).join('\n');
}

/** Last JSON object printed on stdout (the whole output, or its last line that parses). */
function parseJsonOutput(stdout) {
  const s = (stdout || '').trim();
  if (!s) return null;
  try {
    return JSON.parse(s);
  } catch {
    // fall through
  }
  const start = s.indexOf('{');
  const end = s.lastIndexOf('}');
  if (start !== -1 && end > start) {
    try {
      return JSON.parse(s.slice(start, end + 1));
    } catch {
      // fall through
    }
  }
  for (const line of s.split('\n').reverse()) {
    try {
      const v = JSON.parse(line);
      if (v && typeof v === 'object') return v;
    } catch {
      // next
    }
  }
  return null;
}

/** Data rows in a CSV file (records minus the header), honouring quoted newlines. */
function countCsvRows(file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return null;
  }
  let records = 0;
  let inQuote = false;
  let lineHasData = false;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === 0x22) inQuote = !inQuote;
    if (b === 0x0a && !inQuote) {
      if (lineHasData) records++;
      lineHasData = false;
    } else if (b !== 0x0d) {
      lineHasData = true;
    }
  }
  if (lineHasData) records++;
  return Math.max(0, records - 1);
}

function packageVersion(name) {
  try {
    return createRequire(path.join(ROOT, 'package.json'))(`${name}/package.json`).version;
  } catch {
    return null;
  }
}

function describeFailure(r, what) {
  if (r.spawnError) return `${what} could not be started: ${r.spawnError}`;
  if (r.timedOut) return `${what} timed out after ${(r.wallMs / 1000).toFixed(0)} s`;
  if (r.signal) return `${what} was killed by ${r.signal}`;
  return `${what} exited with code ${r.code}`;
}

// ---------------------------------------------------------------------------
// ingest
// ---------------------------------------------------------------------------

async function prepareCorpus(opts, n, created) {
  const slug = String(opts.seed).replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40);
  const dir = path.join(opts.tmp, `corpus-n${n}-s${slug}-f${CORPUS_FORMAT}`);
  if (isCorpusComplete(dir, n, opts.seed)) {
    const m = readManifest(dir);
    log(`  corpus: reusing ${dir} (${(m.bytes / 1048576).toFixed(1)} MB)`);
    return { dir, manifest: m, reused: true, seconds: 0 };
  }
  created.push(dir);
  const t0 = Date.now();
  const tty = process.stderr.isTTY;
  const m = await generateCorpus(dir, n, {
    seed: opts.seed,
    onProgress: tty ? (d, total) => process.stderr.write(`\r  corpus: generating ${d}/${total}`) : undefined,
  });
  const seconds = (Date.now() - t0) / 1000;
  if (tty) process.stderr.write('\r\x1b[K');
  log(`  corpus: generated ${n} messages, ${(m.bytes / 1048576).toFixed(1)} MB, in ${seconds.toFixed(1)} s → ${dir}`);
  return { dir, manifest: m, reused: false, seconds };
}

async function runBare(opts, dir, label) {
  gc();
  const r = await measureCommand(NODE, [path.join(BENCH_DIR, 'bare-mailparser.mjs'), dir], { cwd: ROOT, timeoutMs: opts.timeoutS * 1000 });
  const res = parseJsonOutput(r.stdout);
  if (!res || typeof res.messages !== 'number') {
    const error = `${describeFailure(r, 'bare mailparser')}${r.stderr ? `\n${tail(r.stderr)}` : ''}`;
    log(`  ${label}: FAILED — ${error}`);
    return { ok: false, error, wallSeconds: round(r.wallMs / 1000, 3) };
  }
  log(`  ${label}: ${res.messages} messages in ${res.seconds.toFixed(2)} s — ${res.msgsPerSec.toFixed(0)} msg/s, peak RSS ${res.maxRssMB} MB${res.errors ? `, ${res.errors} parse errors (${res.firstError})` : ''}`);
  return {
    ok: true, messages: res.messages, seconds: res.seconds, msgsPerSec: res.msgsPerSec, wallSeconds: round(r.wallMs / 1000, 3),
    maxRssMB: res.maxRssMB, measuredRssMB: r.maxRssMB, errors: res.errors, firstError: res.firstError, mailparser: res.mailparser,
  };
}

async function runIngest(opts, dir, n) {
  if (!fs.existsSync(BIN)) {
    const error = `${BIN} not found — nothing to measure (is the CLI in place?)`;
    log(`  ingest: FAILED — ${error}`);
    return { ok: false, error };
  }
  fs.mkdirSync(opts.tmp, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(opts.tmp, `data-n${n}-`));
  // An empty env file keeps a developer's ./.env out of the measurement.
  const envFile = path.join(dataDir, 'bench.env');
  fs.writeFileSync(envFile, '');
  const args = [BIN, 'ingest', dir, '--data-dir', dataDir, '--env-file', envFile, '--json', '-q'];
  const env = { ...process.env, OWN_DOMAINS: OUR_DOMAIN, REPLY_LOCALPART: 'campaign', NO_COLOR: '1' };
  gc();
  const r = await measureCommand(NODE, args, { cwd: ROOT, env, timeoutMs: opts.timeoutS * 1000 });
  const result = {
    ok: false, command: `node ${path.relative(ROOT, BIN)} ingest ${dir} --data-dir ${dataDir} --env-file ${envFile} --json -q`,
    exitCode: r.code, signal: r.signal, wallSeconds: round(r.wallMs / 1000, 3), msgsPerSec: null,
    maxRssMB: r.maxRssMB, rssMethod: r.rssMethod, dataDir: opts.keep ? dataDir : null, checks: [],
  };
  const summary = parseJsonOutput(r.stdout);
  if (!summary || typeof summary.messages !== 'number') {
    const reported = summary && summary.error ? `: ${summary.error.message}${summary.error.hint ? ` (hint: ${summary.error.hint})` : ''}` : '';
    result.error = `${describeFailure(r, 'mailops ingest')}${reported}${!reported && r.stderr ? `\n${tail(r.stderr)}` : ''}` +
      (!summary && r.code === 0 ? '\n(no JSON summary on stdout)' : '');
    log(`  ingest: FAILED — ${result.error}`);
    if (!opts.keep) fs.rmSync(dataDir, { recursive: true, force: true });
    return result;
  }
  // Exit code 3 means "some messages were quarantined": still a complete run.
  result.ok = !r.signal && !r.timedOut && (r.code === 0 || r.code === 3);
  if (!result.ok) result.error = `${describeFailure(r, 'mailops ingest')}${r.stderr ? `\n${tail(r.stderr)}` : ''}`;
  result.msgsPerSec = round(n / (r.wallMs / 1000), 1);
  result.summary = {
    messages: summary.messages, rowsWritten: summary.rowsWritten ?? null, quarantined: summary.quarantined ?? null,
    duplicates: summary.duplicates ?? null, suppressed: summary.suppressed ?? null, byKind: summary.byKind ?? null,
    durationMs: summary.durationMs ?? null,
  };
  if (summary.durationMs) result.internalMsgsPerSec = round(n / (summary.durationMs / 1000), 1);
  const csvRows = summary.csv ? countCsvRows(summary.csv) : null;
  result.csvRows = csvRows;
  const check = (name, pass, detail) => result.checks.push({ name, pass, detail });
  check('messages == N', summary.messages === n, `${summary.messages} of ${n}`);
  if (summary.quarantined) check('nothing quarantined', false, `${summary.quarantined} quarantined`);
  if (typeof summary.rowsWritten === 'number' && csvRows !== null) check('CSV rows == rowsWritten', csvRows === summary.rowsWritten, `${csvRows} in CSV, ${summary.rowsWritten} reported`);
  const failed = result.checks.filter((c) => !c.pass);
  log(`  ingest: ${n} messages in ${result.wallSeconds.toFixed(2)} s — ${result.msgsPerSec.toFixed(0)} msg/s, peak RSS ${result.maxRssMB ?? 'n/a'} MB, ` +
    `${summary.rowsWritten} rows${failed.length ? ` — CHECK FAILED: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}` : ''}` +
    (result.ok ? '' : ` — ${result.error}`));
  if (!opts.keep) fs.rmSync(dataDir, { recursive: true, force: true });
  return result;
}

async function benchIngest(opts, created) {
  const results = [];
  for (const n of opts.sizes) {
    log(`ingest n=${n}`);
    const corpus = await prepareCorpus(opts, n, created);
    gc();
    // Interleaved: bare, ingest, bare — the two bare runs are averaged.
    const bare1 = await runBare(opts, corpus.dir, 'bare #1');
    const ingest = await runIngest(opts, corpus.dir, n);
    const bare2 = await runBare(opts, corpus.dir, 'bare #2');
    const bareRuns = [bare1, bare2].filter((b) => b.ok);
    let bare = { ok: false, error: bare1.error || bare2.error };
    if (bareRuns.length) {
      const meanSeconds = bareRuns.reduce((a, b) => a + b.seconds, 0) / bareRuns.length;
      bare = {
        ok: true, runs: bareRuns.length, seconds: round(meanSeconds, 3), msgsPerSec: round(n / meanSeconds, 1),
        spread: bareRuns.length === 2 ? round(Math.abs(bare1.seconds - bare2.seconds) / meanSeconds, 3) : null,
        maxRssMB: Math.max(...bareRuns.map((b) => b.maxRssMB)), errors: Math.max(...bareRuns.map((b) => b.errors)),
        perRun: [bare1, bare2],
      };
      if (bare1.ok && bare1.messages !== n) bare.error = `bare mailparser found ${bare1.messages} files, expected ${n}`;
    }
    const ratio = bare.ok && ingest.ok && ingest.msgsPerSec ? round(ingest.msgsPerSec / bare.msgsPerSec, 3) : null;
    const row = {
      n, corpus: { dir: opts.keep || corpus.reused ? corpus.dir : null, bytes: corpus.manifest.bytes, kinds: corpus.manifest.kinds, reused: corpus.reused, generateSeconds: round(corpus.seconds, 1) },
      bare, ingest, ratio,
      pass: {
        ratio: ratio === null ? null : ratio >= TARGETS.ingestRatio,
        rss: ingest.ok && ingest.maxRssMB !== null ? ingest.maxRssMB <= TARGETS.ingestRssMB : null,
        checks: ingest.ok ? ingest.checks.every((c) => c.pass) : null,
      },
    };
    results.push(row);
    if (ratio !== null) log(`  ratio ingest/bare: ${ratio.toFixed(2)} (target ≥ ${TARGETS.ingestRatio})`);
  }
  return { seed: String(opts.seed), sizes: opts.sizes, results, flatness: flatness(results) };
}

/**
 * Peak RSS of ingest at 10k vs 50k messages; with other sizes, the smallest
 * vs the largest of those ≥ 10k (below that, start-up memory dominates).
 */
function flatness(results) {
  const ok = results.filter((r) => r.n >= FLAT_MIN_N && r.ingest.ok && r.ingest.maxRssMB !== null).sort((a, b) => a.n - b.n);
  if (ok.length < 2) return null;
  const from = ok.find((r) => r.n === 10000) ?? ok[0];
  const to = ok.find((r) => r.n === 50000 && r !== from) ?? ok[ok.length - 1];
  if (from === to) return null;
  const growth = (to.ingest.maxRssMB - from.ingest.maxRssMB) / from.ingest.maxRssMB;
  return {
    fromN: from.n, toN: to.n, fromMB: from.ingest.maxRssMB, toMB: to.ingest.maxRssMB,
    growth: round(growth, 3), pass: growth <= TARGETS.rssFlatGrowth,
  };
}

// ---------------------------------------------------------------------------
// startup
// ---------------------------------------------------------------------------

async function benchStartup(opts) {
  log(`startup (${opts.runs} runs each, interleaved)`);
  const cmds = {
    node: { args: ['-e', '0'], label: 'node -e 0', times: [] },
    mailops: { args: [BIN, '--help'], label: 'node bin/mailops --help', times: [] },
  };
  if (!fs.existsSync(BIN)) {
    const error = `${BIN} not found`;
    log(`  FAILED — ${error}`);
    return { ok: false, error };
  }
  const once = async (c) => {
    const r = await measureCommand(NODE, c.args, { cwd: ROOT, method: 'none', timeoutMs: 60000 });
    if (r.code !== 0 || r.signal) throw new Error(`${describeFailure(r, c.label)}${r.stderr ? `\n${tail(r.stderr)}` : ''}`);
    if (c === cmds.mailops && !/usage/i.test(r.stdout)) throw new Error(`${c.label} printed no usage text`);
    return r.wallMs;
  };
  try {
    for (let w = 0; w < 2; w++) { await once(cmds.node); await once(cmds.mailops); } // warm the file cache
    for (let k = 0; k < opts.runs; k++) {
      // alternate which goes first so drift affects both alike
      const order = k % 2 ? [cmds.mailops, cmds.node] : [cmds.node, cmds.mailops];
      for (const c of order) c.times.push(await once(c));
    }
  } catch (err) {
    log(`  FAILED — ${err.message}`);
    return { ok: false, error: err.message };
  }
  const nodeMs = median(cmds.node.times);
  const mailopsMs = median(cmds.mailops.times);
  const ratio = mailopsMs / nodeMs;
  log(`  node -e 0: ${nodeMs.toFixed(1)} ms, mailops --help: ${mailopsMs.toFixed(1)} ms, ratio ${ratio.toFixed(2)}× (target ≤ ${TARGETS.startupRatio}×)`);
  return {
    ok: true, runs: opts.runs, nodeMs: round(nodeMs, 1), mailopsMs: round(mailopsMs, 1), ratio: round(ratio, 2),
    pass: ratio <= TARGETS.startupRatio,
    nodeRunsMs: cmds.node.times.map((t) => round(t, 1)), mailopsRunsMs: cmds.mailops.times.map((t) => round(t, 1)),
  };
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

function table(rows, align) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((cell, c) => (align[c] === 'l' ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ').trimEnd()).join('\n');
}

const fmt = (x, d = 0) => (x === null || x === undefined ? '—' : Number(x).toFixed(d));
const mark = (p) => (p === null || p === undefined ? '' : p ? ' ok' : ' FAIL');

function render(report) {
  const out = [];
  const m = report.meta;
  out.push(`mailops benchmarks — node ${m.node}, ${m.platform}, ${m.cpus}× ${m.cpuModel}, mailparser ${m.mailparser ?? '?'}`);
  if (report.ingest) {
    const ing = report.ingest;
    out.push('', `ingest (seed ${ing.seed}; bare = mean of 2 runs around the ingest run)`);
    const rows = [['N', 'corpus MB', 'bare msg/s', 'ingest msg/s', 'ratio', 'in-process', 'ingest RSS MB', 'bare RSS MB', 'rows', 'checks']];
    for (const r of ing.results) {
      const checks = !r.ingest.ok ? 'ingest failed' : r.ingest.checks.filter((c) => !c.pass).map((c) => `${c.name}: ${c.detail}`).join('; ') || 'ok';
      rows.push([
        r.n, fmt(r.corpus.bytes / 1048576, 1), fmt(r.bare.msgsPerSec), fmt(r.ingest.msgsPerSec),
        r.ratio === null ? '—' : `${fmt(r.ratio, 2)}${mark(r.pass.ratio)}`, fmt(r.ingest.internalMsgsPerSec),
        r.ingest.maxRssMB === null || r.ingest.maxRssMB === undefined ? '—' : `${fmt(r.ingest.maxRssMB, 1)}${mark(r.pass.rss)}`,
        fmt(r.bare.maxRssMB, 1), r.ingest.summary ? fmt(r.ingest.summary.rowsWritten) : '—', checks,
      ]);
    }
    out.push(table(rows, ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l']));
    const f = ing.flatness;
    if (f) out.push(`ingest peak RSS ${f.fromN} → ${f.toN}: ${f.fromMB} → ${f.toMB} MB (${f.growth >= 0 ? '+' : ''}${fmt(f.growth * 100, 0)}%)${mark(f.pass)}`);
    out.push('ratio = ingest msg/s (wall, whole process) ÷ bare msg/s; in-process = ingest msg/s from its own durationMs');
    out.push(`targets: ratio ≥ ${TARGETS.ingestRatio} (judged at N ≥ ${FLAT_MIN_N}); ingest peak RSS ≤ ${TARGETS.ingestRssMB} MB at 50k; RSS growth 10k → 50k ≤ ${TARGETS.rssFlatGrowth * 100}%`);
    for (const r of ing.results) {
      if (!r.ingest.ok && r.ingest.error) out.push(`  n=${r.n}: ingest failed: ${r.ingest.error.split('\n').join('\n    ')}`);
      if (!r.bare.ok && r.bare.error) out.push(`  n=${r.n}: bare mailparser failed: ${r.bare.error.split('\n').join('\n    ')}`);
      if (r.bare.ok && r.bare.errors) out.push(`  n=${r.n}: mailparser failed on ${r.bare.errors} files`);
    }
  }
  if (report.startup) {
    const s = report.startup;
    out.push('', `startup (median of ${report.meta.startupRuns} runs)`);
    if (s.ok) {
      out.push(table([
        ['node -e 0', `${fmt(s.nodeMs, 1)} ms`],
        ['node bin/mailops --help', `${fmt(s.mailopsMs, 1)} ms`],
        ['ratio', `${fmt(s.ratio, 2)}×${mark(s.pass)}`],
      ], ['l', 'r']));
      out.push(`target: ratio ≤ ${TARGETS.startupRatio}×`);
    } else {
      out.push(`  failed: ${s.error}`);
    }
  }
  if (report.send) {
    const m = report.send;
    out.push('', `send (${m.n} messages to an SMTP sink in another process, ${m.concurrency} connections)`);
    out.push(table([
      ['bare nodemailer pool', `${fmt(m.bare.msgsPerSec)} msg/s`],
      ['mailops send (limits off)', `${fmt(m.mailops.msgsPerSec)} msg/s`],
      ['ratio', `${fmt(m.ratio, 2)}${mark(m.ratio >= TARGETS.sendRatio)}`],
      [`rate-limited run at ${m.rated.perMinute}/min`, `${m.rated.received} messages in ${fmt(m.rated.seconds)} s`],
      ['largest count in any 60 s window', `${m.rated.maxIn60s}${mark(m.rated.maxIn60s <= m.rated.perMinute)}`],
    ], ['l', 'r']));
    out.push(`targets: ratio ≥ ${TARGETS.sendRatio}; never more than the per-minute limit in any 60 s window`);
  }
  if (report.dns) {
    const m = report.dns;
    out.push('', `dns (full audit: 2 IPs, 2 DKIM selectors, MTA-STS policy ${m.mtaStsPolicyFetched ? 'fetched' : 'not fetched (no openssl)'}; every answer delayed ${m.delayMs} ms; median of ${m.runs})`);
    out.push(table([
      ['DNS queries', String(m.queries)],
      ['sum of query latencies', `${fmt(m.sumMs)} ms`],
      ['audit wall time', `${fmt(m.wallMs)} ms`],
      ['wall ÷ sum', `${fmt(m.ratioWallToSum, 3)}${mark(m.ratioWallToSum <= TARGETS.dnsWallToSum)}`],
      [`wall ÷ longest chain (${m.longestChain} lookups × ${m.delayMs} ms)`, `${fmt(m.wallInChains, 2)}×${mark(m.wallInChains <= TARGETS.dnsWallInChains)}`],
      ['errors / unknown in the report', `${m.findings.errors} / ${m.findings.unknown}${mark(m.ok)}`],
    ], ['l', 'r']));
    out.push(`targets: wall ÷ sum ≤ ${TARGETS.dnsWallToSum}; wall ≤ ${TARGETS.dnsWallInChains}× the longest chain`);
  }
  if (report.imap) {
    const m = report.imap;
    out.push('', `imap (${m.n ?? '?'} replies in a local Dovecot)`);
    if (m.ok || m.ingest) {
      out.push(table([
        ['bare imapflow fetch', `${fmt(m.bareFetch.msgsPerSec)} msg/s`, `${fmt(m.bareFetch.maxRssMB, 1)} MB`],
        ['bare fetch + mailparser', `${fmt(m.bareFetchParse.msgsPerSec)} msg/s`, `${fmt(m.bareFetchParse.maxRssMB, 1)} MB`],
        ['first mailops ingest --imap', `${fmt(m.ingest.msgsPerSec)} msg/s`, `${fmt(m.ingest.maxRssMB, 1)} MB`],
        ['ratio vs bare fetch', fmt(m.ratioVsFetch, 2), ''],
        ['ratio vs fetch + mailparser', fmt(m.ratioVsFetchParse, 2), ''],
        ['second run, nothing new', `${fmt(m.secondRunSeconds, 2)} s${mark(m.secondRunSeconds <= TARGETS.imapSecondRunSeconds)}`, ''],
      ], ['l', 'r', 'r']));
      out.push(`target: second run ≤ ${TARGETS.imapSecondRunSeconds} s. The ratio vs a bare fetch is bounded by MIME parsing (see bench/README.md).`);
    } else {
      out.push(`  failed: ${m.error}`);
    }
  }
  return out.join('\n') + '\n';
}

function verdict(report) {
  let ok = true;
  if (report.ingest) {
    const judged = report.ingest.results.some((r) => r.n >= FLAT_MIN_N) ? (r) => r.n >= FLAT_MIN_N : () => true;
    for (const r of report.ingest.results) {
      if (!r.bare.ok || !r.ingest.ok || r.pass.checks === false) ok = false;
      if (r.pass.ratio === false && judged(r)) ok = false;
      if (r.pass.rss === false) ok = false;
    }
    if (report.ingest.flatness && !report.ingest.flatness.pass) ok = false;
  }
  if (report.startup && (!report.startup.ok || !report.startup.pass)) ok = false;
  if (report.send && (!report.send.ok || report.send.ratio < TARGETS.sendRatio || report.send.rated.maxIn60s > report.send.rated.perMinute)) ok = false;
  if (report.dns && (!report.dns.ok || report.dns.ratioWallToSum > TARGETS.dnsWallToSum || report.dns.wallInChains > TARGETS.dnsWallInChains)) ok = false;
  if (report.imap && (!report.imap.ok || report.imap.secondRunSeconds > TARGETS.imapSecondRunSeconds)) ok = false;
  return ok;
}

// ---------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.bin) BIN = opts.bin;
  const created = [];
  const cleanup = () => {
    if (opts.keep) return;
    for (const d of created) fs.rmSync(d, { recursive: true, force: true });
    try { fs.rmdirSync(opts.tmp); } catch { /* not empty or not there */ }
  };
  const onSignal = (sig) => {
    killActive('SIGTERM');
    log(`\nbench: ${sig}, stopping`);
    cleanup();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (typeof globalThis.gc !== 'function') log('bench: note: run with node --expose-gc (as `npm run bench` does) for steadier numbers');

  const cpus = os.cpus();
  const report = {
    meta: {
      date: new Date().toISOString(), node: process.version, platform: `${process.platform} ${process.arch}`,
      cpus: cpus.length, cpuModel: (cpus[0]?.model ?? 'unknown').trim(), totalMemMB: Math.round(os.totalmem() / 1048576),
      mailparser: packageVersion('mailparser'), mailops: packageVersion('mailops') ?? JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
      benchmarks: opts.benches, startupRuns: opts.runs, targets: TARGETS,
    },
  };
  try {
    for (const b of opts.benches) {
      if (b === 'ingest') report.ingest = await benchIngest(opts, created);
      if (b === 'startup') report.startup = await benchStartup(opts);
      if (b === 'send') {
        const n = opts.sizes.length === 3 && opts.sizes[0] === 2000 ? 5000 : opts.sizes[0];
        log(`send n=${n}`);
        report.send = await benchSend({ n, bin: BIN, tmp: opts.tmp, log, timeoutMs: opts.timeoutS * 1000 });
      }
      if (b === 'dns') {
        log('dns: full audit against the loopback DNS server, 50 ms per answer');
        report.dns = await benchDns({ log, tmp: opts.tmp });
      }
      if (b === 'imap') {
        const n = opts.sizes.length === 3 && opts.sizes[0] === 2000 ? 5000 : opts.sizes[0];
        log(`imap n=${n}`);
        const corpus = await prepareCorpus(opts, n, created);
        fs.mkdirSync(opts.tmp, { recursive: true });
        report.imap = await benchImap({ n, corpusDir: corpus.dir, bin: BIN, tmp: opts.tmp, log, timeoutMs: opts.timeoutS * 1000 });
      }
    }
  } finally {
    cleanup();
  }
  report.pass = verdict(report);
  const text = render(report);
  const json = JSON.stringify(report, null, 2) + '\n';
  if (opts.out) fs.writeFileSync(opts.out, json);
  if (opts.json) {
    process.stderr.write('\n' + text);
    process.stdout.write(json);
  } else {
    process.stdout.write('\n' + text);
  }
  if (opts.out) log(`results written to ${opts.out}`);
  return report.pass ? 0 : 1;
}

main().then(
  (code) => { process.exitCode = code; },
  (err) => {
    killActive('SIGTERM');
    process.stderr.write(`bench: ${err.stack || err}\n`);
    process.exitCode = 1;
  },
);
