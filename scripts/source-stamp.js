// Whether dist/ was compiled from the sources in this checkout (decision 0026). `npm run build`
// records a digest of its inputs in dist/.source-stamp: computed BEFORE tsc runs (`begin`: the old
// stamp is removed first) and put in place only after tsc and the asset copy succeeded (`end`), so
// a failed, interrupted or raced build never leaves a stamp that matches. bin/spillway.js runs
// dist/ only when the stamp equals the digest of the sources as they are now (contents, not
// mtimes: a checkout, a copy or an edit that keeps the size and time cannot pass as current).
// Plain JavaScript: bin/spillway.js imports it before anything is type-stripped.
//
// Usage (package.json "build"): node scripts/source-stamp.js begin|end [outDir]
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, matchesGlob, relative, sep } from 'node:path';

/** The stamp's name inside the out dir. */
export const stampName = '.source-stamp';

/** Every input of `npm run build`: the two tsconfig files, the asset copy, and src/ minus the build's exclusions. */
export function buildInputs(root) {
  const config = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8'));
  const exclude = config.exclude ?? [];
  const sources = (config.include ?? ['src']).flatMap((directory) =>
    readdirSync(join(root, directory), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
      .filter((file) => !exclude.some((pattern) => matchesGlob(file, pattern))),
  );
  return ['tsconfig.json', 'tsconfig.build.json', 'scripts/copy-build-assets.ts', ...sources.sort()];
}

/** SHA-256 over each input's path, length and bytes, in a fixed order. */
export function sourceDigest(root) {
  const hash = createHash('sha256');
  for (const file of buildInputs(root)) {
    const bytes = readFileSync(join(root, file));
    hash.update(`${file}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

/**
 * Which entry to run: `dist` when dist/cli/main.js exists and its stamp matches the sources (or the
 * sources are absent, as in a package of dist/ only), else `source`. `SPILLWAY_RUN=source` forces the
 * sources; `SPILLWAY_RUN=dist` asks for dist/ but still refuses a stale one.
 */
export function currentEntry(root, env = process.env) {
  if (env.SPILLWAY_RUN === 'source') return 'source';
  const compiled = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(compiled)) return 'source';
  if (!existsSync(join(root, 'src', 'cli', 'main.ts'))) return 'dist';
  let stamp;
  try {
    stamp = readFileSync(join(root, 'dist', stampName), 'utf8').trim();
  } catch {
    return 'source';
  }
  return stamp === sourceDigest(root) ? 'dist' : 'source';
}

if (import.meta.main) {
  const [step, outDir = 'dist'] = process.argv.slice(2);
  const pending = join(outDir, `${stampName}.building`);
  if (step === 'begin') {
    rmSync(join(outDir, stampName), { force: true });
    mkdirSync(outDir, { recursive: true });
    writeFileSync(pending, `${sourceDigest('.')}\n`);
  } else if (step === 'end') {
    renameSync(pending, join(outDir, stampName));
  } else {
    process.stderr.write('usage: node scripts/source-stamp.js begin|end [outDir]\n');
    process.exit(2);
  }
}
