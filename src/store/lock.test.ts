import { mkdirSync, mkdtempSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from './lock.js';

describe('acquireLock', () => {
  it('refuses a lock held by a live process (exit 5)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mailops-lock-'));
    const held = await acquireLock(dir, 'send');
    await expect(acquireLock(dir, 'send')).rejects.toMatchObject({ exitCode: 5 });
    await held.release();
    const again = await acquireLock(dir, 'send');
    await again.release();
  });

  it('takes over a lock left by a process killed before it wrote its owner file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mailops-lock-'));
    const lockDir = path.join(dir, 'state', 'send.lock');
    mkdirSync(lockDir, { recursive: true });
    await expect(acquireLock(dir, 'send')).rejects.toMatchObject({ exitCode: 5 }); // fresh: could be starting up
    const old = new Date(Date.now() - 5000);
    utimesSync(lockDir, old, old);
    const lock = await acquireLock(dir, 'send');
    await lock.release();
  });
});
