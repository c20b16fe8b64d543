import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { olderNode } from './support/older-node.ts';

/**
 * `npm run setup` (the README's first command) installs the dependencies under the project's Node 24
 * even on a machine whose own Node is older, so npm checks the engines against Node 24 and prints no
 * EBADENGINE warning (a plain `npm ci` under Node 20 warns for spillway, commander, undici and vitest).
 * Run as `npm ci --dry-run` in a copy of package.json, the lock file and the script: nothing is installed.
 */

const node = olderNode();
const root = resolve(import.meta.dirname, '..');
const node24 = join(root, '.spillway', 'node');
const work = mkdtempSync(join(tmpdir(), 'spillway-setup-'));

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(node === undefined || !existsSync(node24))('npm run setup under an older system Node', () => {
  it('installs under Node 24: no EBADENGINE warning', () => {
    for (const file of ['package.json', 'package-lock.json', 'scripts/with-node24.sh', 'scripts/setup.sh']) {
      mkdirSync(dirname(join(work, file)), { recursive: true });
      copyFileSync(join(root, file), join(work, file));
    }
    mkdirSync(join(work, '.spillway'));
    symlinkSync(node24, join(work, '.spillway', 'node'));
    // The older Node first on PATH, as on a machine that ships one.
    const path = [dirname(node!), ...(process.env['PATH'] ?? '').split(':')].join(':');
    const result = spawnSync('npm', ['run', 'setup', '--', '--dry-run', '--offline'], {
      cwd: work,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, PATH: path },
    });
    expect(result.stderr).not.toContain('EBADENGINE');
    expect(result.status).toBe(0);
  });
});
