/** mailops cron against a double of the crontab command placed first on PATH. */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cronBlock, withBlock } from './run.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(root, 'bin', 'mailops');

describe('mailops cron', () => {
  it('builds lines with absolute paths that send only problems to cron mail', () => {
    const block = cronBlock({ node: '/usr/bin/node', bin: '/opt/mailops/bin/mailops', envFile: '/srv/mo/.env', cwd: '/srv/mo', dataDir: '/srv/mo/data' });
    expect(block).toMatch(/^\*\/5 \* \* \* \* cd \/srv\/mo && \/usr\/bin\/node \/opt\/mailops\/bin\/mailops --env-file \/srv\/mo\/\.env --data-dir \/srv\/mo\/data ingest --imap --quiet >\/dev\/null$/m);
    expect(block).toMatch(/^15 0 \* \* \* .* rotate --quiet >\/dev\/null$/m);
    expect(block).toMatch(/^0 6 \* \* \* .* dns-check --quiet >\/dev\/null$/m);
    expect(block).toMatch(/^30 6 \* \* \* .* reputation --quiet >\/dev\/null$/m);
    const once = withBlock('MAILTO=ops@x.com\n0 1 * * * backup\n', block);
    expect(withBlock(once, block)).toBe(once); // idempotent
    expect(withBlock(once, undefined)).toBe('MAILTO=ops@x.com\n0 1 * * * backup\n');
  });

  it('--install and --uninstall edit the user crontab through the crontab command, keeping other lines', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mailops-cron-'));
    const store = path.join(dir, 'crontab.txt');
    writeFileSync(store, 'MAILTO=ops@x.com\n0 1 * * * backup\n');
    writeFileSync(path.join(dir, 'crontab'), `#!/bin/sh\nif [ "$1" = "-l" ]; then cat ${store}; exit 0; fi\ncat > ${store}\n`);
    chmodSync(path.join(dir, 'crontab'), 0o755);
    const env = { PATH: `${dir}:/usr/bin:/bin`, HOME: dir };
    for (let i = 0; i < 2; i++) expect(spawnSync(process.execPath, [bin, 'cron', '--install'], { cwd: dir, env, encoding: 'utf8' }).status).toBe(0);
    const installed = readFileSync(store, 'utf8');
    expect(installed.match(/# BEGIN mailops/g)).toHaveLength(1);
    expect(installed).toMatch(/^MAILTO=ops@x\.com\n0 1 \* \* \* backup\n\n# BEGIN mailops/);
    expect(spawnSync(process.execPath, [bin, 'cron', '--uninstall'], { cwd: dir, env, encoding: 'utf8' }).status).toBe(0);
    expect(readFileSync(store, 'utf8')).toBe('MAILTO=ops@x.com\n0 1 * * * backup\n');
    expect(existsSync(store)).toBe(true);
  });
});
