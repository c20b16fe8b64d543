import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  applyExceptions,
  checkLayers,
  findCycles,
  parseLayerTable,
  type LayerTable,
} from './check-layers.ts';
import { layerExceptions } from './layer-exceptions.ts';

const table: LayerTable = parseLayerTable(`
# A page
<!-- layer-table -->
| layer | may import |
| --- | --- |
| \`core\` | nothing of ours |
| \`errors\` | \`core\` |
| \`policies\` | \`core\`, \`errors\` |
| \`server\` | \`core\`, \`policies\` |
| \`server/admin\` | \`persistence/repositories.ts\` |
| \`persistence\` | \`core\` |
| \`main.ts\` | \`*\` |
<!-- /layer-table -->
`);

const trees: string[] = [];

/** Writes a source tree `<tmp>/src/...` from path → text; returns its root. */
function tree(files: Record<string, string>): string {
  const base = mkdtempSync(join(tmpdir(), 'layers-'));
  trees.push(base);
  for (const [path, text] of Object.entries(files)) {
    const full = join(base, 'src', path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  return join(base, 'src');
}

afterEach(() => {
  for (const base of trees.splice(0)) rmSync(base, { recursive: true, force: true });
});

const clean = {
  'core/chat.ts': 'export interface Chat { readonly text: string }\n',
  'errors/error.ts': "import type { Chat } from '../core/chat.ts';\nexport type E = Chat;\n",
  'policies/retry.ts': "import type { E } from '../errors/error.ts';\nexport const retry = (e: E) => e;\n",
  'server/route.ts': "export { retry } from '../policies/retry.ts';\n",
  'server/admin/spend.ts':
    "import type { Rows } from '../../persistence/repositories.ts';\nexport type S = Rows;\n",
  'persistence/repositories.ts': 'export interface Rows { readonly n: number }\n',
  'persistence/sqlite.ts': "import type { Rows } from './repositories.ts';\nexport type R = Rows;\n",
  'main.ts': "import './persistence/sqlite.ts';\nimport './server/route.ts';\n",
};

describe('checkLayers', () => {
  it('is silent on a tree that keeps its arrows', () => {
    expect(checkLayers(tree(clean), table)).toEqual([]);
  });

  it('reports a wrong-way import with the file, the import and the rule', () => {
    const root = tree({
      ...clean,
      'core/chat.ts': "import type { E } from '../errors/error.ts';\nexport type C = E;\n",
    });
    const violations = checkLayers(root, table);
    expect(violations.map((violation) => violation.message)).toEqual([
      `src/core/chat.ts: imports '../errors/error.ts' (src/errors/error.ts): layer "core" may not import "errors" (rule: layer table of docs/architecture.md; it may import nothing of ours)`,
      'src/core/chat.ts: import cycle src/core/chat.ts → src/errors/error.ts → src/core/chat.ts (rule: no import cycles among src/ files)',
    ]);
  });

  it('allows a file entry only for that file, and a folder row only inside that folder', () => {
    const root = tree({
      ...clean,
      'server/admin/open.ts': "import '../../persistence/sqlite.ts';\n",
      'server/spend.ts':
        "import type { Rows } from '../persistence/repositories.ts';\nexport type S = Rows;\n",
    });
    expect(
      checkLayers(root, table).map((violation) => [violation.rule, violation.file, violation.importText]),
    ).toEqual([
      ['layer', 'src/server/admin/open.ts', '../../persistence/sqlite.ts'],
      ['layer', 'src/server/spend.ts', '../persistence/repositories.ts'],
    ]);
  });

  it('reports a cycle of three files, also through dynamic imports and re-exports', () => {
    const root = tree({
      ...clean,
      'policies/a.ts': "export { b } from './b.ts';\nexport const a = 1;\n",
      'policies/b.ts': "export const b = () => import('./c.ts');\n",
      'policies/c.ts': "import { a } from './a.ts';\nexport const c = a;\n",
    });
    expect(checkLayers(root, table)).toEqual([
      {
        rule: 'cycle',
        file: 'src/policies/a.ts',
        importText: 'src/policies/a.ts → src/policies/b.ts → src/policies/c.ts → src/policies/a.ts',
        message:
          'src/policies/a.ts: import cycle src/policies/a.ts → src/policies/b.ts → src/policies/c.ts → src/policies/a.ts (rule: no import cycles among src/ files)',
      },
    ]);
  });

  it('lets tests cross layers and import test support, but not product code', () => {
    const root = tree({
      ...clean,
      'core/chat.test.ts': "import '../server/route.ts';\nimport '../../test/support/fake.ts';\n",
      'policies/retry-double.ts': "export { fake } from '../../test/support/fake.ts';\n",
    });
    expect(checkLayers(root, table).map((violation) => violation.message)).toEqual([
      "src/policies/retry-double.ts: imports '../../test/support/fake.ts', outside src/ (rule: only tests import test support, scripts or other trees)",
    ]);
  });

  it('reports a file in no layer', () => {
    const root = tree({ ...clean, 'gadgets/gadget.ts': 'export const gadget = 1;\n' });
    expect(checkLayers(root, table).map((violation) => violation.rule)).toEqual(['unlisted']);
  });

  it('leaves out excused violations and lists an exception that excuses nothing', () => {
    const root = tree({ ...clean, 'core/chat.ts': "import '../persistence/repositories.ts';\n" });
    const violations = checkLayers(root, table);
    const [violation] = violations;
    if (violation === undefined) throw new Error('expected a violation');
    const owned = { message: violation.message, reason: 'owned' };
    expect(applyExceptions(violations, [owned])).toEqual({ violations: [], unused: [] });
    expect(applyExceptions(checkLayers(tree(clean), table), [owned])).toEqual({
      violations: [],
      unused: [owned],
    });
  });
});

describe('findCycles', () => {
  it('finds each strongly connected component once, and no acyclic paths', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['a', 'c']],
      ['c', ['d']],
      ['d', []],
    ]);
    expect(findCycles(graph)).toEqual([['a', 'b', 'a']]);
  });
});

describe('the repository', () => {
  it('keeps the layer table of docs/architecture.md and has no import cycles', () => {
    const root = join(import.meta.dirname, '..');
    const docs = parseLayerTable(readFileSync(join(root, 'docs', 'architecture.md'), 'utf8'));
    const { violations } = applyExceptions(checkLayers(join(root, 'src'), docs), layerExceptions);
    expect(violations.map((violation) => violation.message)).toEqual([]);
  });
});
