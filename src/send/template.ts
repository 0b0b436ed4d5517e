/**
 * Message templates: plain text, Markdown (rendered to HTML with a text alternative) or HTML, with
 * `{{field}}` placeholders from the list row. Handlebars fills them: HTML-escaped in HTML, literal in
 * text, and strict, so a field the list lacks is found before anything is sent.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { marked } from 'marked';
import { usageError } from '../errors.js';
import { htmlToText } from '../ingest/html.js';

export type TemplateKind = 'text' | 'markdown' | 'html';

export interface RenderedBody {
  text: string;
  html: string | undefined;
}

export interface MessageTemplate {
  kind: TemplateKind;
  file: string;
  /** Every field name the subject and body use. */
  fields: string[];
  render(fields: Record<string, string>): { subject: string; body: RenderedBody };
}

type Delegate = (ctx: Record<string, string>) => string;

/** Field names used by a template, from Handlebars' own parser (not a regex). */
function fieldsOf(source: string): string[] {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as { type?: string; original?: string; parts?: string[]; body?: unknown[]; path?: unknown; params?: unknown[]; program?: unknown; inverse?: unknown };
    if (n.type === 'PathExpression' && n.parts?.length) names.add(n.parts[0]!);
    for (const key of ['body', 'params'] as const) for (const child of (n[key] as unknown[] | undefined) ?? []) visit(child);
    for (const key of ['path', 'program', 'inverse'] as const) visit(n[key]);
  };
  visit(Handlebars.parse(source));
  return [...names];
}

function compile(source: string, escape: boolean, where: string): Delegate {
  try {
    const hb = Handlebars.create();
    const fn = hb.compile(source, { strict: true, noEscape: !escape });
    return (ctx) => fn(ctx);
  } catch (err) {
    throw usageError(`${where}: ${(err as Error).message}`);
  }
}

export function templateKind(file: string): TemplateKind {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.md' || ext === '.markdown') return 'markdown';
  if (ext === '.html' || ext === '.htm') return 'html';
  return 'text';
}

export function loadTemplate(file: string, subject: string): MessageTemplate {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read template ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return makeTemplate(source, templateKind(file), subject, file);
}

export function makeTemplate(source: string, kind: TemplateKind, subject: string, file = '(inline)'): MessageTemplate {
  let fields: string[];
  try {
    fields = [...new Set([...fieldsOf(source), ...fieldsOf(subject)])];
  } catch (err) {
    throw usageError(`template ${file} does not parse: ${(err as Error).message}`);
  }
  const subjectFn = compile(subject, false, 'subject');
  let text: Delegate;
  let html: Delegate | undefined;
  if (kind === 'markdown') {
    // Markdown → HTML first (placeholders survive as text), then fill with escaping.
    const htmlSource = marked.parse(source, { async: false, gfm: true }) as string;
    html = compile(htmlSource, true, file);
    text = compile(source, false, file);
  } else if (kind === 'html') {
    html = compile(source, true, file);
    text = (ctx) => htmlToText(html!(ctx));
  } else {
    text = compile(source, false, file);
  }
  return {
    kind,
    file,
    fields,
    render(ctx) {
      return { subject: subjectFn(ctx).replace(/[\r\n]+/g, ' ').trim(), body: { text: text(ctx), html: html?.(ctx) } };
    },
  };
}
