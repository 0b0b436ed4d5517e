#!/usr/bin/env node
// Run a command and report its wall time and peak RSS.
//
//   node bench/measure.mjs [--method auto|preload|time|none] [--report out.json] [--timeout <s>] -- <cmd> [args...]
//
// The command's stdout/stderr pass through untouched; the measurement goes to
// stderr as one line ("measure: ...") and, with --report, to a JSON file. The
// exit code is the command's.
//
// Peak RSS methods:
//   preload  Node commands only: loads bench/rss-preload.mjs with --import
//            (or through NODE_OPTIONS when the command is a Node script run
//            by its shebang), which writes process.resourceUsage().maxRSS on
//            exit. Needs nothing installed. Default for Node commands.
//   time     /usr/bin/time -f %M (GNU time). Default for anything else if
//            present.
//   none     wall time only.
//
// Library use: import { measureCommand } from './measure.mjs'.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PRELOAD = fileURLToPath(new URL('./rss-preload.mjs', import.meta.url));
const GNU_TIME = '/usr/bin/time';
const active = new Set();

function isNodeBinary(cmd) {
  return cmd === process.execPath || /^node(\.exe)?$/i.test(path.basename(cmd));
}

function isNodeScript(cmd) {
  try {
    const fd = fs.openSync(cmd, 'r');
    const buf = Buffer.alloc(128);
    const n = fs.readSync(fd, buf, 0, 128, 0);
    fs.closeSync(fd);
    return /^#!.*\bnode\b/.test(buf.toString('utf8', 0, n).split('\n')[0]);
  } catch {
    return false;
  }
}

function tmpFile(tag) {
  return path.join(os.tmpdir(), `mailops-measure-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.${tag}`);
}

/** Kill every measured process group still running (e.g. on Ctrl-C). */
export function killActive(signal = 'SIGTERM') {
  for (const child of active) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Spawn `cmd args` and measure it.
 * Options: cwd, env, method ('auto' | 'preload' | 'time' | 'none'),
 * capture (collect stdout/stderr instead of inheriting them; default true),
 * timeoutMs, maxCapture (bytes kept of each stream; default 8 MB).
 * Resolves to { code, signal, wallMs, maxRssKB, maxRssMB, rssMethod, stdout,
 * stderr, timedOut, spawnError }.
 */
export function measureCommand(cmd, args = [], opts = {}) {
  const { cwd = process.cwd(), env = process.env, capture = true, timeoutMs = 0, maxCapture = 8 * 1024 * 1024 } = opts;
  let method = opts.method ?? 'auto';
  const nodeBin = isNodeBinary(cmd);
  const nodeScript = !nodeBin && isNodeScript(path.resolve(cwd, cmd));
  if (method === 'auto') method = nodeBin || nodeScript ? 'preload' : fs.existsSync(GNU_TIME) ? 'time' : 'none';
  if (method === 'preload' && !nodeBin && !nodeScript) method = fs.existsSync(GNU_TIME) ? 'time' : 'none';
  if (method === 'time' && !fs.existsSync(GNU_TIME)) method = 'none';

  let file = cmd;
  let argv = args.slice();
  const childEnv = { ...env };
  let rssFile = null;
  if (method === 'preload') {
    rssFile = tmpFile('rss.json');
    childEnv.MAILOPS_BENCH_RSS_FILE = rssFile;
    const importArg = `--import=${pathToFileURL(PRELOAD).href}`;
    if (nodeBin) argv = [importArg, ...argv];
    else childEnv.NODE_OPTIONS = `${childEnv.NODE_OPTIONS ? childEnv.NODE_OPTIONS + ' ' : ''}${importArg}`;
  } else if (method === 'time') {
    rssFile = tmpFile('time.txt');
    file = GNU_TIME;
    argv = ['-f', '%M', '-o', rssFile, cmd, ...args];
  }

  return new Promise((resolve) => {
    const out = [];
    const err = [];
    let outLen = 0;
    let errLen = 0;
    let timedOut = false;
    let timer = null;
    const t0 = process.hrtime.bigint();
    let child;
    try {
      child = spawn(file, argv, {
        cwd, env: childEnv, detached: process.platform !== 'win32',
        stdio: capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
      });
    } catch (e) {
      resolve({ code: null, signal: null, wallMs: 0, maxRssKB: null, maxRssMB: null, rssMethod: method, stdout: '', stderr: '', timedOut: false, spawnError: e.message });
      return;
    }
    active.add(child);
    if (capture) {
      // keep the head of stdout (a JSON summary) and the tail of stderr (the error)
      child.stdout.on('data', (d) => { if (outLen < maxCapture) { out.push(d); outLen += d.length; } });
      child.stderr.on('data', (d) => {
        err.push(d);
        errLen += d.length;
        while (errLen > maxCapture && err.length > 1) errLen -= err.shift().length;
      });
    }
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
        setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000).unref();
      }, timeoutMs);
    }
    let spawnError = null;
    child.on('error', (e) => { spawnError = e.message; });
    child.on('close', (code, signal) => {
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      if (timer) clearTimeout(timer);
      active.delete(child);
      let maxRssKB = null;
      if (rssFile) {
        try {
          const text = fs.readFileSync(rssFile, 'utf8');
          if (method === 'preload') maxRssKB = JSON.parse(text).maxRssKB;
          else {
            // GNU time writes "Command exited with non-zero status N" first on failure
            const m = /(\d+)\s*$/.exec(text.trim());
            // 127: the command was not found, the figure would be time's own
            if (m && code !== 127) maxRssKB = Number(m[1]);
          }
        } catch {
          // killed before it could report
        }
        fs.rmSync(rssFile, { force: true });
      }
      // GNU time exits with the command's status; a child killed by a signal shows as 128+n
      resolve({
        code, signal, wallMs, maxRssKB, maxRssMB: maxRssKB === null ? null : Number((maxRssKB / 1024).toFixed(1)),
        rssMethod: method, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut, spawnError,
      });
    });
  });
}

async function main(argv) {
  const sep = argv.indexOf('--');
  if (sep === -1 || sep === argv.length - 1) {
    process.stderr.write('usage: node bench/measure.mjs [--method auto|preload|time|none] [--report out.json] [--timeout <s>] -- <cmd> [args...]\n');
    return 2;
  }
  const own = argv.slice(0, sep);
  const [cmd, ...args] = argv.slice(sep + 1);
  let method = 'auto';
  let report = null;
  let timeoutMs = 0;
  for (let k = 0; k < own.length; k++) {
    if (own[k] === '--method') method = own[++k];
    else if (own[k] === '--report') report = own[++k];
    else if (own[k] === '--timeout') timeoutMs = Number(own[++k]) * 1000;
    else {
      process.stderr.write(`measure: unknown option ${own[k]}\n`);
      return 2;
    }
  }
  const forward = (sig) => killActive(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const r = await measureCommand(cmd, args, { method, capture: false, timeoutMs });
  const rss = r.maxRssMB === null ? 'peak RSS n/a' : `peak RSS ${r.maxRssMB} MB`;
  process.stderr.write(`measure: ${r.spawnError ? `failed to start: ${r.spawnError}` : r.signal ? `killed by ${r.signal}` : `exit ${r.code}`}, wall ${(r.wallMs / 1000).toFixed(3)} s, ${rss} (${r.rssMethod})${r.timedOut ? ', timed out' : ''}\n`);
  if (report) {
    const { stdout, stderr, ...rest } = r;
    fs.writeFileSync(report, JSON.stringify({ command: [cmd, ...args], ...rest }, null, 2) + '\n');
  }
  return r.spawnError ? 127 : r.code ?? 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
