/**
 * Caches metric children (prom-client `metric.labels(...)`) by label values in nested maps, so the
 * hot path looks a child up without building a key string or a labels object. Positional
 * parameters instead of a rest array: no allocation on a hit.
 */
export class ChildCache<C> {
  private readonly root = new Map<string, unknown>();
  private readonly depth: number;
  private readonly create: (values: string[]) => C;

  /** `depth`: the number of labels (1..6); `create` builds the child for a new combination. */
  constructor(depth: number, create: (values: string[]) => C) {
    if (depth < 1 || depth > 6) throw new RangeError(`label depth ${depth} is not in 1..6`);
    this.depth = depth;
    this.create = create;
  }

  /** The child for these label values, in the metric's label order. */
  get(a: string, b = '', c = '', d = '', e = '', f = ''): C {
    let level = this.root;
    for (let index = 0; index < this.depth - 1; index++) {
      const value = index === 0 ? a : index === 1 ? b : index === 2 ? c : index === 3 ? d : e;
      let next = level.get(value) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map<string, unknown>();
        level.set(value, next);
      }
      level = next;
    }
    const last =
      this.depth === 1
        ? a
        : this.depth === 2
          ? b
          : this.depth === 3
            ? c
            : this.depth === 4
              ? d
              : this.depth === 5
                ? e
                : f;
    const found = level.get(last) as C | undefined;
    if (found !== undefined) return found;
    const child = this.create([a, b, c, d, e, f].slice(0, this.depth));
    level.set(last, child);
    return child;
  }
}
