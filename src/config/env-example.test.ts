import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from './schema.js';
import { loadConfig } from './load.js';
import { COMPOSE_KEYS } from '../stack/compose-keys.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('.env.example', () => {
  it('documents exactly the variables mailops and the compose stack read', () => {
    const names = readFileSync(path.join(root, '.env.example'), 'utf8')
      .split('\n')
      .map((l) => /^([A-Z][A-Z0-9_]*)=/.exec(l)?.[1])
      .filter((n): n is string => !!n);
    expect([...names].sort()).toEqual([...CONFIG_KEYS, ...COMPOSE_KEYS].sort());
  });

  it('is itself a valid configuration', () => {
    expect(() => loadConfig({ cwd: root, envFile: '.env.example', env: {} })).not.toThrow();
  });
});
