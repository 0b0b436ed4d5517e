/**
 * Loads configuration with the precedence flags > environment > .env > defaults, validates it up
 * front and remembers where each value came from.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { configError } from '../errors.js';
import { CONFIG_KEYS, SECRET_KEYS, configSchema, type Config, type ConfigKey } from './schema.js';

export type ValueSource = 'flag' | 'environment' | 'env-file' | 'default';

export interface LoadedConfig {
  config: Config;
  sources: Partial<Record<ConfigKey, ValueSource>>;
  envFile: string | undefined;
  /** The data directory, resolved against the working directory. */
  dataDir: string;
}

export interface LoadConfigOptions {
  /** Path given with --env-file; when set the file must exist. */
  envFile?: string | undefined;
  /** Values set by flags, already mapped to variable names. */
  flags?: Partial<Record<ConfigKey, string | undefined>>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function readEnvFile(file: string): Record<string, string> {
  return parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
}

export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  let fileValues: Record<string, string> = {};
  let envFile: string | undefined;
  const candidate = path.resolve(cwd, opts.envFile ?? '.env');
  try {
    fileValues = readEnvFile(candidate);
    envFile = candidate;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (opts.envFile !== undefined || code !== 'ENOENT') {
      throw configError(
        `cannot read env file ${candidate}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
        code === 'ENOENT' ? 'Create it with `cp .env.example .env`, or drop --env-file to use the environment only.' : undefined,
      );
    }
  }

  const raw: Record<string, string> = {};
  const sources: Partial<Record<ConfigKey, ValueSource>> = {};
  for (const key of CONFIG_KEYS) {
    const flag = opts.flags?.[key];
    const fromEnv = env[key];
    const fromFile = fileValues[key];
    if (flag !== undefined) {
      raw[key] = flag;
      sources[key] = 'flag';
    } else if (fromEnv !== undefined && fromEnv !== '') {
      raw[key] = fromEnv;
      sources[key] = 'environment';
    } else if (fromFile !== undefined && fromFile !== '') {
      raw[key] = fromFile;
      sources[key] = 'env-file';
    } else {
      sources[key] = 'default';
    }
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const where = sources[key as ConfigKey] ?? 'default';
      const shown = SECRET_KEYS.includes(key as ConfigKey) ? '' : ` (got ${JSON.stringify(raw[key] ?? '')} from ${describeSource(where, envFile)})`;
      return `${key}: ${issue.message}${shown}`;
    });
    throw configError(`invalid configuration:\n  ${lines.join('\n  ')}`, 'Fix the value in .env or the environment; `.env.example` documents every variable.');
  }
  return { config: parsed.data, sources, envFile, dataDir: path.resolve(cwd, parsed.data.DATA_DIR) };
}

function describeSource(source: ValueSource, envFile: string | undefined): string {
  switch (source) {
    case 'flag':
      return 'a flag';
    case 'environment':
      return 'the environment';
    case 'env-file':
      return envFile ?? '.env';
    default:
      return 'the default';
  }
}

export function secretValues(config: Config): string[] {
  return SECRET_KEYS.map((k) => config[k]).filter((v): v is string => typeof v === 'string' && v.length > 0);
}
