/**
 * What every command receives: the IO object and the loaded configuration. Built from the global
 * flags once, in one place.
 */
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
  io.secrets.add(secretValues(loaded.config));
  io.debug(`config: ${loaded.envFile ? `env file ${loaded.envFile}` : 'no env file'}; data dir ${loaded.dataDir}`);
  return { io, loaded };
}
