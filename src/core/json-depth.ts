/**
 * Nesting depth of parsed JSON values, measured without recursion. JSON.parse itself takes any
 * depth, but JSON.stringify and every recursive walker after it overflow the stack somewhere past a
 * few thousand levels ("Maximum call stack size exceeded"): a value is checked here first, so what
 * runs later only ever sees a bounded depth.
 */

/** The deepest nesting a request body (and a JSON value inside one, e.g. tool call arguments) may have. */
export const maxJsonDepth = 128;

/** One step of a path into a JSON value: an object key or an array index. */
export type JsonPathKey = string | number;

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/**
 * True when `value` nests arrays/objects more than `maxDepth` levels (a bare `{}` or `[]` is depth
 * 1, a primitive depth 0). Visits each value at most once, iteratively, and stops at the first
 * container past the limit.
 */
export function exceedsJsonDepth(value: unknown, maxDepth: number = maxJsonDepth): boolean {
  if (!isContainer(value)) return false;
  if (maxDepth < 1) return true;
  const values: object[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const current = values.pop() as object;
    const depth = depths.pop() as number;
    if (Array.isArray(current)) {
      for (const item of current as unknown[]) {
        if (!isContainer(item)) continue;
        if (depth >= maxDepth) return true;
        values.push(item);
        depths.push(depth + 1);
      }
    } else {
      for (const key in current) {
        const item = (current as Record<string, unknown>)[key];
        if (!isContainer(item)) continue;
        if (depth >= maxDepth) return true;
        values.push(item);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

interface Visit {
  readonly value: object;
  readonly depth: number;
  readonly parent: Visit | undefined;
  readonly key: JsonPathKey;
}

function pathOf(visit: Visit): JsonPathKey[] {
  const path: JsonPathKey[] = [];
  let step = visit;
  while (step.parent !== undefined) {
    path.push(step.key);
    step = step.parent;
  }
  return path.reverse();
}

/**
 * The path of the first container nested deeper than `maxDepth` (e.g. `['tools', 0, 'function',
 * 'parameters', 'properties', ...]`), or undefined when `value` is within the limit. Iterative and
 * linear in the size of `value`; the path is built only when there is one to report.
 */
export function findTooDeepPath(value: unknown, maxDepth: number = maxJsonDepth): JsonPathKey[] | undefined {
  if (!exceedsJsonDepth(value, maxDepth)) return undefined;
  const root: Visit = { value: value as object, depth: 1, parent: undefined, key: '' };
  if (maxDepth < 1) return [];
  const stack: Visit[] = [root];
  while (stack.length > 0) {
    const visit = stack.pop() as Visit;
    const entries: [JsonPathKey, unknown][] = Array.isArray(visit.value)
      ? (visit.value as unknown[]).map((item, index): [JsonPathKey, unknown] => [index, item])
      : Object.entries(visit.value);
    if (visit.depth >= maxDepth) {
      const deep = entries.find(([, item]) => isContainer(item));
      if (deep !== undefined) {
        return pathOf({ value: deep[1] as object, depth: visit.depth + 1, parent: visit, key: deep[0] });
      }
      continue;
    }
    // Pushed in reverse so the first key is searched first: the path reported is the first in document order.
    for (let index = entries.length - 1; index >= 0; index -= 1) {
      const [key, item] = entries[index] as [JsonPathKey, unknown];
      if (isContainer(item)) stack.push({ value: item, depth: visit.depth + 1, parent: visit, key });
    }
  }
  return [];
}
