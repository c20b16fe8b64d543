import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { packageVersion } from '../src/version.ts';
import { olderNode } from './support/older-node.ts';

/**
 * `npx spillway …` and the installed bin start under the machine's own Node, which may be older
 * than 24: the bin must then run under the project's Node 24 (installed by scripts/with-node24.sh)
 * or say exactly what to run.
 */

const node = olderNode();
const node24Installed = existsSync('.spillway/node');

describe.skipIf(node === undefined || !node24Installed)('the spillway bin under an older system Node', () => {
  it('runs the command under the project Node 24', () => {
    const result = spawnSync(node!, ['bin/spillway.js', '--version'], { encoding: 'utf8', timeout: 20_000 });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(packageVersion);
    expect(result.status).toBe(0);
  });

  it('passes on the exit code of the command', () => {
    const result = spawnSync(node!, ['bin/spillway.js', 'config', 'check', 'no-such-file.yaml'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
  });

  it('says exactly what to run when Node 24 is not there', () => {
    const result = spawnSync(node!, ['bin/spillway.js', 'spend', '--by', 'tenant'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, SPILLWAY_REEXEC: '1' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('npm run spillway -- spend --by tenant');
  });
});
