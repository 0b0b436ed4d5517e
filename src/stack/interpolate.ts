/**
 * Compose-file variable interpolation, as `docker compose` does it: `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `$VAR` and `$$` for a literal `$`. Used to
 * check a compose file without the engine (and to name missing settings before `up`).
 */

export class InterpolationError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'InterpolationError';
  }
}

const PATTERN = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

export function interpolateString(value: string, env: Record<string, string | undefined>): string {
  return value.replace(PATTERN, (m, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
    if (m === '$$') return '$';
    const name = braced ?? bare!;
    const v = env[name];
    const unsetOrEmpty = v === undefined || v === '';
    switch (op) {
      case ':-':
        return unsetOrEmpty ? interpolateString(arg ?? '', env) : v!;
      case '-':
        return v === undefined ? interpolateString(arg ?? '', env) : v;
      case ':?':
        if (unsetOrEmpty) throw new InterpolationError(name, `${name}: ${arg || 'required variable is not set'}`);
        return v!;
      case '?':
        if (v === undefined) throw new InterpolationError(name, `${name}: ${arg || 'required variable is not set'}`);
        return v;
      default:
        return v ?? '';
    }
  });
}

/** Interpolates every string in a parsed compose document (keys are left alone, as compose does). */
export function interpolate<T>(doc: T, env: Record<string, string | undefined>): T {
  if (typeof doc === 'string') return interpolateString(doc, env) as T;
  if (Array.isArray(doc)) return doc.map((d) => interpolate(d, env)) as T;
  if (doc && typeof doc === 'object') {
    return Object.fromEntries(Object.entries(doc as Record<string, unknown>).map(([k, v]) => [k, interpolate(v, env)])) as T;
  }
  return doc;
}

/** Every variable a compose file requires with `:?`/`?` (what `mailops up` checks first). */
export function requiredVariables(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)) out.add(m[1]!);
  return [...out];
}
