import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The documentation stands alone in the repository: a user who clones it has nothing beside it, so no
 * tracked file may point at a sibling `../shared` folder, and every link and path the README and the
 * docs give resolves to a file of the repository.
 */

const root = resolve(import.meta.dirname, '..');

/** Tracked files that may name `../shared`, each with why. */
const allowedSharedMentions: Readonly<Record<string, string>> = {
  // The CI script's header comment describes the machine layout it runs on; nothing reads the folder.
  '.ci/run': 'describes the CI layout in a comment',
  // This test names the folder it looks for.
  'test/docs-standalone.test.ts': 'the pattern this test searches for',
};

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file !== '' && existsSync(join(root, file)) && statSync(join(root, file)).isFile());
}

function isText(buffer: Buffer): boolean {
  return !buffer.subarray(0, 8000).includes(0);
}

/** `../shared` (any number of `../`) written in `file`, resolving outside the repository or to nothing in it. */
function strayReferences(file: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?:\.\.\/)+shared\b[^\s`'")\]]*/g)) {
    const folder = resolve(
      root,
      dirname(file),
      match[0].slice(0, match[0].indexOf('shared') + 'shared'.length),
    );
    const inside = folder.startsWith(root + sep);
    // Code imports of a sibling `shared/` folder (src/providers/shared/...) are the repository's own.
    if (!inside || !existsSync(folder)) {
      const line = text.slice(0, match.index).split('\n').length;
      found.push(`${file}:${line}: ${match[0]}`);
    }
  }
  return found;
}

/** README.md, docs/**.md and the simulator's README: the pages a user reads. */
function documentationPages(): string[] {
  const pages = ['README.md', 'src/simulator/README.md'];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) pages.push(path);
    }
  };
  walk('docs');
  return pages;
}

/** Whether git ignores `path`: a file a run writes (bench/results/...), named but never tracked. */
function isIgnored(path: string): boolean {
  return spawnSync('git', ['check-ignore', '-q', path], { cwd: root }).status === 0;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/&[a-z]+;/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsIn(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (!inFence && heading?.[1] !== undefined) anchors.add(anchorOf(heading[1]));
  }
  return anchors;
}

/** Markdown text outside fenced code blocks. */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '');
}

/** Every relative link of `page` and every repository path it names in backticks, each with what is wrong. */
function brokenReferences(page: string): string[] {
  const text = prose(readFileSync(join(root, page), 'utf8'));
  const problems: string[] = [];
  for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = match[1] ?? '';
    if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
    const [pathPart = '', anchor] = target.split('#');
    const file = pathPart === '' ? join(root, page) : resolve(root, dirname(page), pathPart);
    if (!file.startsWith(root + sep) || !existsSync(file)) {
      problems.push(`${page}: link (${target}) resolves to nothing in the repository`);
      continue;
    }
    if (anchor !== undefined && file.endsWith('.md') && !anchorsIn(readFileSync(file, 'utf8')).has(anchor)) {
      problems.push(`${page}: link (${target}) names no heading of ${relative(root, file)}`);
    }
  }
  // Paths given in backticks are relative to the repository's root (globs and placeholders aside).
  for (const match of text.matchAll(/`((?:docs|src|test|examples|deploy|bench|scripts|bin)\/[^`\s*<{]*)`/g)) {
    const path = match[1] ?? '';
    if (!existsSync(join(root, path)) && !isIgnored(path)) {
      problems.push(`${page}: \`${path}\` is not in the repository`);
    }
  }
  return problems;
}

describe('the documentation stands alone in the repository', () => {
  it('no tracked file points at a ../shared folder outside the repository', () => {
    const stray = trackedFiles()
      .filter((file) => allowedSharedMentions[file] === undefined)
      .flatMap((file) => {
        const buffer = readFileSync(join(root, file));
        return isText(buffer) ? strayReferences(file, buffer.toString('utf8')) : [];
      });
    expect(stray).toEqual([]);
  });

  it('every relative link and repository path in the README and the docs resolves', () => {
    const pages = documentationPages();
    expect(pages).toContain('docs/configuration.md');
    expect(pages.flatMap(brokenReferences)).toEqual([]);
  });

  it('the README links every page of docs/', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const unlinked = readdirSync(join(root, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .filter((name) => !readme.includes(`](docs/${name})`));
    expect(unlinked).toEqual([]);
  });
});
