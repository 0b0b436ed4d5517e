/**
 * Edits .env files the way an operator expects: every comment, blank line, ordering, quoting
 * style, `export` prefix, unknown key and line ending is kept byte for byte; only the managed keys
 * change. Writes are atomic (temp file in the same directory, fsync, rename) with mode 0600 and a
 * `.env.bak` of the previous version.
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

export interface EnvLine {
  raw: string;
  key?: string;
}

export interface EnvDocument {
  lines: EnvLine[];
  eol: '\n' | '\r\n';
  /** Whether the text ended with a line break. */
  finalEol: boolean;
}

const ENTRY = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=/;

export function parseEnvDocument(text: string): EnvDocument {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const finalEol = text.endsWith('\n');
  const body = finalEol ? text.slice(0, text.length - (text.endsWith('\r\n') ? 2 : 1)) : text;
  const rawLines = body === '' && !finalEol ? [] : body.split(/\r?\n/);
  const lines: EnvLine[] = [];
  // A double-quoted value may span lines; keep such an entry as one raw block.
  for (let i = 0; i < rawLines.length; i++) {
    let raw = rawLines[i]!;
    const m = ENTRY.exec(raw);
    if (m) {
      const rest = raw.slice(m[0].length).trimStart();
      if (rest.startsWith('"') && !closesQuote(rest)) {
        while (i + 1 < rawLines.length && !closesQuote(rest + raw.slice(raw.indexOf(rest) + rest.length))) {
          raw += eol + rawLines[++i]!;
          if (closesQuote(raw.slice(raw.indexOf('"')))) break;
        }
      }
      lines.push({ raw, key: m[1]! });
    } else {
      lines.push({ raw });
    }
  }
  return { lines, eol, finalEol };
}

function closesQuote(s: string): boolean {
  // s starts with a double quote; is there an unescaped closing one?
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return true;
  }
  return false;
}

export function serializeEnvDocument(doc: EnvDocument): string {
  if (!doc.lines.length) return doc.finalEol ? doc.eol : '';
  return doc.lines.map((l) => l.raw).join(doc.eol) + (doc.finalEol ? doc.eol : '');
}

/** The values as mailops reads them (Node's own .env parser). */
export function envValues(doc: EnvDocument): Record<string, string> {
  return parseEnv(serializeEnvDocument(doc)) as Record<string, string>;
}

/** Quotes a value so that Node's .env parser reads it back exactly. */
export function formatEnvValue(value: string): string {
  if (value === '') return '';
  if (/^[A-Za-z0-9_./:@,+%=-]+$/.test(value)) return value;
  if (!value.includes("'") && !/[\r\n]/.test(value)) return `'${value}'`;
  if (!value.includes('"')) return `"${value.replace(/\n/g, '\\n')}"`;
  if (!value.includes('`') && !/[\r\n]/.test(value)) return `\`${value}\``;
  throw new Error('value cannot be written to .env (it mixes all quote characters with line breaks)');
}

/**
 * Sets (or, with undefined, removes) managed keys. An existing entry keeps its place, its `export`
 * prefix and its surrounding whitespace; a new key is appended at the end.
 */
export function setEnvValues(doc: EnvDocument, updates: Record<string, string | undefined>): EnvDocument {
  const lines = doc.lines.map((l) => ({ ...l }));
  const done = new Set<string>();
  for (const [key, value] of Object.entries(updates)) {
    const idxs = lines.map((l, i) => (l.key === key ? i : -1)).filter((i) => i >= 0);
    if (value === undefined) {
      for (const i of idxs.reverse()) lines.splice(i, 1);
      done.add(key);
      continue;
    }
    if (idxs.length) {
      // The last definition wins when a key repeats; change that one.
      const i = idxs[idxs.length - 1]!;
      const old = lines[i]!.raw;
      const prefix = /^(\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=\s*)/.exec(old)![1]!;
      lines[i] = { raw: `${prefix}${formatEnvValue(value)}`, key };
      done.add(key);
    }
  }
  const added = Object.entries(updates).filter(([k, v]) => v !== undefined && !done.has(k));
  for (const [k, v] of added) lines.push({ raw: `${k}=${formatEnvValue(v!)}`, key: k });
  return { ...doc, lines, finalEol: doc.finalEol || added.length > 0 };
}

export function readEnvDocument(file: string): EnvDocument {
  return parseEnvDocument(readFileSync(file, 'utf8'));
}

/**
 * Replaces `file` atomically with mode 0600 (temp file, fsync, rename); the previous version is kept
 * as `<file>.bak` (also 0600). A crash at any point leaves either the old or the new file whole.
 */
export function writeEnvFileAtomic(file: string, text: string, opts: { backup?: boolean } = {}): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  if (opts.backup !== false && existsSync(file)) {
    copyFileSync(file, `${file}.bak`);
    chmodSync(`${file}.bak`, 0o600);
  }
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  if ((statSync(file).mode & 0o777) !== 0o600) chmodSync(file, 0o600);
  try {
    const dfd = openSync(dir, 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    /* some filesystems cannot fsync a directory */
  }
}
