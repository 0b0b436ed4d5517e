#!/usr/bin/env node
// Baseline for the ingest benchmark: parse every .eml under the given paths
// with mailparser's simpleParser, one file at a time, read from disk, and
// nothing else. Prints one JSON line:
//
//   {"messages":..., "seconds":..., "msgsPerSec":..., "maxRssMB":..., ...}
//
//   node bench/bare-mailparser.mjs <dir|file.eml>... [--lean]
//
// --lean passes skipHtmlToText/skipTextToHtml/skipTextLinks/skipImageLinks,
// for comparison only; the benchmark uses simpleParser's defaults.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { simpleParser } from 'mailparser';

const require = createRequire(import.meta.url);

function listEml(p, out) {
  const st = fs.statSync(p);
  if (st.isFile()) {
    out.push(p);
    return out;
  }
  const entries = fs.readdirSync(p, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const full = path.join(p, e.name);
    if (e.isDirectory()) listEml(full, out);
    else if (e.isFile() && e.name.toLowerCase().endsWith('.eml')) out.push(full);
  }
  return out;
}

async function main(argv) {
  const lean = argv.includes('--lean');
  const inputs = argv.filter((a) => !a.startsWith('--'));
  if (!inputs.length) {
    process.stderr.write('usage: node bench/bare-mailparser.mjs <dir|file.eml>... [--lean]\n');
    return 2;
  }
  const options = lean ? { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true } : {};

  const t0 = process.hrtime.bigint();
  const files = [];
  for (const p of inputs) listEml(p, files);
  const tList = process.hrtime.bigint();

  let bytes = 0;
  let errors = 0;
  let firstError = null;
  let attachments = 0;
  let withText = 0;
  let withHtml = 0;
  for (const file of files) {
    const buf = await fs.promises.readFile(file);
    bytes += buf.length;
    try {
      const mail = await simpleParser(buf, options);
      attachments += mail.attachments.length;
      if (mail.text) withText++;
      if (mail.html) withHtml++;
    } catch (err) {
      errors++;
      firstError ??= `${file}: ${err.message}`;
    }
  }
  const t1 = process.hrtime.bigint();
  const seconds = Number(t1 - t0) / 1e9;
  const usage = process.resourceUsage();
  let mailparserVersion = null;
  try {
    mailparserVersion = require('mailparser/package.json').version;
  } catch {
    // not resolvable through exports; not important
  }
  const result = {
    messages: files.length,
    seconds: Number(seconds.toFixed(3)),
    listSeconds: Number((Number(tList - t0) / 1e9).toFixed(3)),
    msgsPerSec: Number((files.length / seconds).toFixed(1)),
    bytes,
    maxRssMB: Number((usage.maxRSS / 1024).toFixed(1)),
    cpuSeconds: Number(((usage.userCPUTime + usage.systemCPUTime) / 1e6).toFixed(3)),
    errors,
    firstError,
    attachments,
    withText,
    withHtml,
    options: lean ? 'lean' : 'default',
    node: process.version,
    mailparser: mailparserVersion,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  return errors ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`bare-mailparser: ${err.stack || err}\n`);
    process.exitCode = 1;
  },
);
