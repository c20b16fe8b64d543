// Breaking one field of a valid request body at a time, for the dialect contract's parse-error check.

/** A path to a value inside a JSON body. */
export type Path = readonly (string | number)[];

/** The path as clients write it: `messages[0].content`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? key : `.${key}`;
  return out;
}

/** Every path to a value inside `value` (not the root), depth first. */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const paths: Path[] = [];
  if (Array.isArray(value)) {
    value.forEach((item: unknown, index) => {
      paths.push([...prefix, index], ...pathsOf(item, [...prefix, index]));
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value))
      paths.push([...prefix, key], ...pathsOf(item, [...prefix, key]));
  }
  return paths;
}

/** A copy of `body` with the value at `path` replaced by one of the wrong type. */
export function breakAt(body: unknown, path: Path): unknown {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  parent[last] = typeof parent[last] === 'number' ? 'not a number' : 12345;
  return copy;
}

/** Whether `path` is at or under one of `patterns` (`[*]` matches any index). */
export function isFreeForm(path: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => {
    const expression = new RegExp(
      `^${pattern.replace(/[.]/g, '\\.').replace(/\[\*\]/g, '\\[\\d+\\]')}(?:[.[]|$)`,
    );
    return expression.test(path);
  });
}
