/**
 * Secret redaction for every line mailops prints. The IO object owns one redactor; the configured
 * secrets (passwords, API keys) are added to it as soon as configuration is loaded, and anything that
 * looks like `SOMETHING_PASS=…` is masked as well.
 */

export interface Redactor {
  add(values: Iterable<string | undefined>): void;
  redact(text: string): string;
}

const ASSIGNMENT = /\b([A-Z0-9_]*(?:PASS|PASSWORD|SECRET|TOKEN|API_KEY|APIKEY)[A-Z0-9_]*)\s*=\s*("[^"]*"|'[^']*'|\S+)/gi;

export function createRedactor(): Redactor {
  const secrets = new Set<string>();
  return {
    add(values) {
      for (const v of values) if (v && v.length >= 4) secrets.add(v);
    },
    redact(text) {
      let out = text;
      for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
      return out.replace(ASSIGNMENT, (_m, name: string) => `${name}=***`);
    },
  };
}
