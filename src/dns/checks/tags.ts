/**
 * The `tag=value; …` record grammar that MTA-STS (RFC 8461 §3.1), TLS-RPT (RFC 8460 §3) and BIMI
 * records share, and the answer shape of their parsers. (DMARC has its own: case-insensitive tag
 * names and failure positions, see dmarc.ts.)
 */

/** A parser's answer: the value with advisory warnings, or every reason it is invalid. */
export type Parsed<T> = { ok: true; value: T; warnings: string[] } | { ok: false; errors: string[]; warnings: string[] };

export type TagList = Array<{ name: string; value: string }>;

/**
 * Split `v=X; a=b; c=d;` into tags (RFC 8461 §3.1, RFC 8460 §3): fields separated by `;` with
 * optional blanks around it, one optional trailing `;`, no empty field, no tag twice.
 */
export function splitTagList(text: string): { ok: true; tags: TagList } | { ok: false; error: string } {
  const parts = text.trim().split(';');
  const tags: TagList = [];
  for (let i = 0; i < parts.length; i++) {
    const field = parts[i]!.replace(/^[ \t]+|[ \t]+$/g, '');
    if (!field) {
      if (i === parts.length - 1 && i > 0) continue;
      return { ok: false, error: 'empty field between semicolons' };
    }
    const m = /^([A-Za-z][A-Za-z0-9_]*)[ \t]*=[ \t]*(.*)$/s.exec(field);
    if (!m) return { ok: false, error: `\`${field}\` is not a tag=value field` };
    if (tags.some((t) => t.name === m[1])) return { ok: false, error: `tag ${m[1]}= appears more than once` };
    tags.push({ name: m[1]!, value: m[2]! });
  }
  return { ok: true, tags };
}

/**
 * Parse a record whose first tag must be `v=<version>` and whose other tags must be among
 * `allowed`: the tags by name, or why not.
 */
export function parseVersionedTags(text: string, version: string, allowed: string[]): { ok: true; tags: Map<string, string> } | { ok: false; error: string } {
  const split = splitTagList(text);
  if (!split.ok) return split;
  const [first, ...rest] = split.tags;
  if (!first || first.name !== 'v' || first.value !== version) return { ok: false, error: `the record must start with v=${version}` };
  const unknown = rest.find((t) => !allowed.includes(t.name));
  if (unknown) return { ok: false, error: `unknown tag ${unknown.name}= (allowed: ${['v', ...allowed].join(', ')})` };
  return { ok: true, tags: new Map(split.tags.map((t) => [t.name, t.value])) };
}
