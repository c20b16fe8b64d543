import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * bin/spillway.js runs dist/ only when `npm run build` compiled it from the sources as they are now
 * (decision 0026). A miniature checkout holds the real bin and stamp script, a src/cli/main.ts and a
 * dist/cli/main.js that each say which one ran; the stamp is written by the real build steps.
 */

const repository = resolve(import.meta.dirname, '..');
let root = '';

function checkout(): string {
  root = mkdtempSync(join(tmpdir(), 'spillway-bin-entry-'));
  for (const file of ['bin/spillway.js', 'scripts/source-stamp.js', 'tsconfig.build.json'])
    cpSync(join(repository, file), join(root, file));
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(root, 'tsconfig.json'), '{}\n');
  mkdirSync(join(root, 'scripts'), { recursive: true });
  writeFileSync(join(root, 'scripts/copy-build-assets.ts'), '// assets\n');
  for (const directory of ['src/cli', 'src/dashboard/static', 'dist/cli'])
    mkdirSync(join(root, directory), { recursive: true });
  writeFileSync(join(root, 'src/cli/main.ts'), "const ran: string = 'source';\nconsole.log(ran);\n");
  writeFileSync(join(root, 'src/cli/main.test.ts'), '// a test, not compiled\n');
  writeFileSync(join(root, 'src/dashboard/static/page.html'), '<p>dashboard</p>\n');
  writeFileSync(join(root, 'dist/cli/main.js'), "console.log('dist');\n");
  return root;
}

/** `npm run build`'s stamp steps around an (already written) compile. */
function build(): void {
  for (const step of ['begin', 'end']) {
    const result = spawnSync(process.execPath, ['scripts/source-stamp.js', step, 'dist'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  }
}

/** Which entry `spillway --version` ran. */
function ran(env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync(process.execPath, [join(root, 'bin/spillway.js'), '--version'], {
    encoding: 'utf8',
    env: { ...process.env, SPILLWAY_RUN: '', ...env },
  });
  expect(result.stderr).toBe('');
  return result.stdout.trim();
}

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('which code bin/spillway.js runs', () => {
  it('runs dist/ when it was built from the current sources', () => {
    checkout();
    build();
    expect(ran()).toBe('dist');
    // A file the build excludes (a test) does not make dist/ stale.
    writeFileSync(join(root, 'src/cli/main.test.ts'), '// edited\n');
    expect(ran()).toBe('dist');
    expect(ran({ SPILLWAY_RUN: 'source' })).toBe('source');
  });

  it('runs the sources when any build input changed after the build', () => {
    checkout();
    build();
    // Same length, same directory: only the contents differ.
    writeFileSync(join(root, 'src/cli/main.ts'), "const ran: string = 'sourcE';\nconsole.log(ran);\n");
    expect(ran()).toBe('sourcE');
    expect(ran({ SPILLWAY_RUN: 'dist' })).toBe('sourcE');
    for (const change of [
      (): void => {
        writeFileSync(join(root, 'src/cli/new-module.ts'), 'export {};\n');
      },
      (): void => {
        writeFileSync(join(root, 'src/dashboard/static/page.html'), '<p>changed</p>\n');
      },
      (): void => {
        writeFileSync(join(root, 'tsconfig.json'), '{ }\n');
      },
    ]) {
      checkout();
      build();
      change();
      expect(ran()).toMatch(/^source/);
    }
  });

  it('runs the sources without a finished build, and dist/ when there are no sources', () => {
    checkout();
    expect(ran()).toBe('source'); // dist/ with no stamp
    spawnSync(process.execPath, ['scripts/source-stamp.js', 'begin', 'dist'], { cwd: root });
    expect(ran()).toBe('source'); // begun, compile not finished
    build();
    expect(ran()).toBe('dist');
    spawnSync(process.execPath, ['scripts/source-stamp.js', 'begin', 'dist'], { cwd: root });
    expect(ran()).toBe('source'); // a rebuild in progress removes the old stamp first
    rmSync(join(root, 'src'), { recursive: true });
    expect(ran()).toBe('dist'); // a package of dist/ only
  });
});
