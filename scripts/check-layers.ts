import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * The layer rule and the cycle rule of docs/architecture.md, checked over every import of a source
 * tree: a file may import only what its layer's row of the layer table allows, a non-test file may
 * import nothing outside the tree, and no files import each other in a cycle. `npm run lint` runs it
 * (scripts/lint-layers.ts) so a wrong-way import fails the build.
 */

/** The layer table: for each layer (or a folder inside one), what its files may import. */
export interface LayerTable {
  /** Row key (`core`, `server/admin`, `main.ts`) → allowed targets (`errors`, `persistence/repositories.ts`, `*`). */
  readonly rows: ReadonlyMap<string, readonly string[]>;
}

/** One broken rule, with what to tell the reader. */
export interface LayerViolation {
  /** `layer` (a wrong-way import), `outside` (an import out of the tree), `unlisted` (a file in no layer), `cycle`. */
  readonly rule: 'layer' | 'outside' | 'unlisted' | 'cycle';
  /** The importing file (for a cycle, its first member), relative to the tree's parent (`src/...`). */
  readonly file: string;
  /** The import as written (for a cycle, the whole cycle). */
  readonly importText: string;
  /** One line naming the file, the import and the rule. */
  readonly message: string;
}

/** Violations known and owned: each names who removes it. Matched on the message. */
export interface LayerException {
  /** The exact violation message it excuses. */
  readonly message: string;
  /** Who removes it, and why it is there meanwhile. */
  readonly reason: string;
}

const tableStart = '<!-- layer-table -->';
const tableEnd = '<!-- /layer-table -->';

/**
 * Reads the layer table between `<!-- layer-table -->` and `<!-- /layer-table -->` of a markdown
 * page: rows `| \`layer\` | \`allowed\`, \`allowed\` |` (backticked names; `*` allows everything).
 */
export function parseLayerTable(markdown: string): LayerTable {
  const start = markdown.indexOf(tableStart);
  const end = markdown.indexOf(tableEnd);
  if (start < 0 || end < start) throw new Error(`no ${tableStart} ... ${tableEnd} section`);
  const rows = new Map<string, string[]>();
  for (const line of markdown.slice(start + tableStart.length, end).split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells.length < 4) continue;
    const key = /^`([^`]+)`$/.exec(cells[1] ?? '')?.[1];
    if (key === undefined) continue;
    const allowed = [...(cells[2] ?? '').matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');
    rows.set(
      key.replace(/\/$/, ''),
      allowed.map((entry) => entry.replace(/\/$/, '')),
    );
  }
  if (rows.size === 0) throw new Error('the layer table has no rows');
  return { rows };
}

/** Test code may cross layers (it wires real components together); it still may not form cycles. */
export function isTestFile(path: string): boolean {
  return /\.(test|contract)\.ts$/.test(path) || path.split('/').includes('__fixtures__');
}

function listTsFiles(directory: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...listTsFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.ts')) files.push(path);
  }
  return files.sort();
}

/** Every relative import (static, `export from`, dynamic) of a file, as written. */
function relativeImports(path: string): string[] {
  const info = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
  return info.importedFiles.map((file) => file.fileName).filter((name) => name.startsWith('.'));
}

/** The path inside the tree with `/` separators (`server/admin/x.ts`). */
function inside(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

/** The most specific row whose key is the file's layer or a folder above it; undefined: none. */
function rowsFor(table: LayerTable, file: string): string[] | undefined {
  let allowed: string[] | undefined;
  for (const [key, targets] of table.rows) {
    if (file === key || file.startsWith(`${key}/`)) allowed = [...(allowed ?? []), ...targets];
  }
  return allowed;
}

function layerOf(file: string): string {
  return file.split('/')[0] ?? file;
}

function allows(allowed: readonly string[], target: string): boolean {
  return allowed.some((entry) => entry === '*' || target === entry || target.startsWith(`${entry}/`));
}

/** Strongly connected components of two or more files (Tarjan), each as a cycle path through it. */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(target) ?? 0));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(target) ?? 0));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component);
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return components.map((component) => cyclePath(graph, new Set(component)));
}

/** A shortest cycle through the component's first file (sorted), closed on that file. */
function cyclePath(graph: ReadonlyMap<string, readonly string[]>, members: ReadonlySet<string>): string[] {
  const start = [...members].sort()[0] ?? '';
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift() ?? '';
    for (const target of graph.get(node) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0] ?? '') ?? start);
        return [...path, start];
      }
      if (!previous.has(target)) {
        previous.set(target, node);
        queue.push(target);
      }
    }
  }
  return [...members, start];
}

/** Checks every `.ts` file under `root` (a folder named like `src`) against the table. */
export function checkLayers(root: string, table: LayerTable): LayerViolation[] {
  const base = resolve(root);
  const name = base.split(sep).pop() ?? 'src';
  const shown = (file: string): string => `${name}/${file}`;
  const violations: LayerViolation[] = [];
  const graph = new Map<string, string[]>();
  for (const path of listTsFiles(base)) {
    const file = inside(base, path);
    const test = isTestFile(file);
    const allowed = rowsFor(table, file);
    const edges: string[] = [];
    graph.set(file, edges);
    if (allowed === undefined && !test) {
      violations.push({
        rule: 'unlisted',
        file: shown(file),
        importText: '',
        message: `${shown(file)}: layer "${layerOf(file)}" is not in the layer table (rule: every file belongs to a layer of docs/architecture.md "Layers")`,
      });
    }
    for (const importText of relativeImports(path)) {
      const target = inside(base, resolve(dirname(path), importText));
      if (target.startsWith('..')) {
        if (!test) {
          violations.push({
            rule: 'outside',
            file: shown(file),
            importText,
            message: `${shown(file)}: imports '${importText}', outside ${name}/ (rule: only tests import test support, scripts or other trees)`,
          });
        }
        continue;
      }
      edges.push(target);
      if (test || allowed === undefined || layerOf(target) === layerOf(file)) continue;
      if (!allows(allowed, target)) {
        const list = allowed.length === 0 ? 'nothing of ours' : allowed.join(', ');
        violations.push({
          rule: 'layer',
          file: shown(file),
          importText,
          message: `${shown(file)}: imports '${importText}' (${shown(target)}): layer "${layerOf(file)}" may not import "${layerOf(target)}" (rule: layer table of docs/architecture.md; it may import ${list})`,
        });
      }
    }
  }
  for (const cycle of findCycles(graph)) {
    const text = cycle.map(shown).join(' → ');
    violations.push({
      rule: 'cycle',
      file: shown(cycle[0] ?? ''),
      importText: text,
      message: `${shown(cycle[0] ?? '')}: import cycle ${text} (rule: no import cycles among ${name}/ files)`,
    });
  }
  return violations;
}

/** What is left once the exceptions are applied, and the exceptions that excuse nothing any more. */
export interface ExceptedViolations {
  readonly violations: readonly LayerViolation[];
  /** Stale entries: the violation is gone, remove them (reported, never failing: a fix must not break the build). */
  readonly unused: readonly LayerException[];
}

/** Leaves out the violations an exception names (by message) and lists the exceptions that match nothing. */
export function applyExceptions(
  violations: readonly LayerViolation[],
  exceptions: readonly LayerException[],
): ExceptedViolations {
  const messages = new Set(violations.map((violation) => violation.message));
  const excused = new Set(exceptions.map((exception) => exception.message));
  return {
    violations: violations.filter((violation) => !excused.has(violation.message)),
    unused: exceptions.filter((exception) => !messages.has(exception.message)),
  };
}
