import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * What `npm run build` compiles into `dist/` is production code only: no file it compiles imports
 * vitest or the test support folder, and every file it compiles is reachable from the command line
 * (a file only tests import is a test double or dead code: it belongs in test/support/ or nowhere).
 * The build's exclusions are read from tsconfig.build.json.
 */

const root = path.resolve(import.meta.dirname, '..');

interface BuildConfig {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

const buildConfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')) as BuildConfig;

/** Every file under `dir`, as paths relative to the repository root. */
function filesUnder(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
}

const builtFiles = buildConfig.include
  .flatMap(filesUnder)
  .filter((file) => !buildConfig.exclude.some((pattern) => path.matchesGlob(file, pattern)));

/**
 * Import specifiers of a file (static and dynamic), and relative `.ts` paths it names as string
 * literals: a worker thread's entry is loaded by URL (`new URL('./worker-thread.ts', import.meta.url)`),
 * not imported.
 */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const imports = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((match) => match[1]!);
  const loadedByUrl = [...text.matchAll(/['"](\.\.?\/[^'"\s]+\.ts)['"]/g)].map((match) => match[1]!);
  return [...imports, ...loadedByUrl];
}

/** Files reachable from `entry` through relative imports (static and dynamic). */
function reachableFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of importsOf(file))
      if (specifier.startsWith('.'))
        pending.push(path.relative(root, path.resolve(root, path.dirname(file), specifier)));
  }
  return seen;
}

describe('the build', () => {
  it('compiles the production sources', () => {
    expect(builtFiles).toContain('src/main.ts');
    expect(builtFiles).not.toContain('src/state/memory-state-store.test.ts');
  });

  it('compiles no file that imports vitest or the test support folder', () => {
    const offenders = builtFiles.flatMap((file) =>
      importsOf(file)
        .filter(
          (specifier) =>
            specifier === 'vitest' ||
            specifier.startsWith('vitest/') ||
            path.resolve(root, path.dirname(file), specifier).startsWith(path.join(root, 'test')),
        )
        .map((specifier) => `${file} imports ${specifier}`),
    );
    expect(offenders).toEqual([]);
  });

  it('compiles only files the command line can reach', () => {
    const reachable = reachableFrom('src/cli/main.ts');
    expect(builtFiles.filter((file) => !reachable.has(file))).toEqual([]);
  });
});
