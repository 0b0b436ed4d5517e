/**
 * What every command receives: the IO object and the loaded configuration. Built from the global
 * flags once, in one place.
 */
import { statSync } from 'node:fs';
import { createIO, type IO, type Verbosity } from '../io/io.js';
import { loadConfig, secretValues, type LoadedConfig } from '../config/load.js';
import type { ConfigKey } from '../config/schema.js';

export interface GlobalFlags {
  envFile?: string;
  dataDir?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  color?: boolean;
}

export interface CommandContext {
  io: IO;
  loaded: LoadedConfig;
}

export function createIOFromFlags(flags: GlobalFlags): IO {
  const verbosity: Verbosity = flags.quiet ? 'quiet' : flags.verbose ? 'verbose' : 'normal';
  return createIO({ json: flags.json ?? false, verbosity, noColor: flags.color === false });
}

export function buildContext(flags: GlobalFlags, extra: Partial<Record<ConfigKey, string | undefined>> = {}): CommandContext {
  const io = createIOFromFlags(flags);
  const loaded = loadConfig({
    envFile: flags.envFile,
    flags: { ...(flags.dataDir !== undefined ? { DATA_DIR: flags.dataDir } : {}), ...extra },
  });
  const secrets = secretValues(loaded.config);
  io.secrets.add(secrets);
  if (loaded.envFile && secrets.length && process.platform !== 'win32') {
    try {
      const mode = statSync(loaded.envFile).mode & 0o777;
      if (mode & 0o077) io.warn(`${loaded.envFile} holds passwords but is readable by others (mode ${mode.toString(8)}); run: chmod 600 ${loaded.envFile}`);
    } catch {
      /* the file was readable a moment ago; nothing to warn about */
    }
  }
  io.debug(`config: ${loaded.envFile ? `env file ${loaded.envFile}` : 'no env file'}; data dir ${loaded.dataDir}`);
  return { io, loaded };
}
