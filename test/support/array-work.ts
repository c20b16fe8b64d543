/**
 * A deterministic count of the array work a function does, for asserting that a parser or translator
 * is linear without timing it: every step of an array iterator (for...of, spread, Array.from,
 * destructuring) and every element `concat` and `slice` copy. Copying a growing array once per input
 * element (the O(n²) merge) shows up as n² steps; a linear pass as a constant times n.
 */

const arrayIteratorPrototype = Object.getPrototypeOf([][Symbol.iterator]()) as {
  next: (this: unknown) => IteratorResult<unknown>;
};

/** Runs `fn` with the counters in place and returns the number of array steps it took. */
export function countArrayWork(fn: () => void): number {
  const originalNext = arrayIteratorPrototype.next;
  const originalConcat = Array.prototype.concat;
  const originalSlice = Array.prototype.slice;
  let steps = 0;
  arrayIteratorPrototype.next = function (this: unknown) {
    steps += 1;
    return originalNext.call(this);
  };
  Array.prototype.concat = function (this: unknown[], ...items: unknown[]) {
    const result = originalConcat.apply(this, items) as unknown[];
    steps += result.length;
    return result;
  };
  Array.prototype.slice = function (this: unknown[], start?: number, end?: number) {
    const result = originalSlice.call(this, start, end) as unknown[];
    steps += result.length;
    return result;
  };
  try {
    fn();
  } finally {
    arrayIteratorPrototype.next = originalNext;
    Array.prototype.concat = originalConcat;
    Array.prototype.slice = originalSlice;
  }
  return steps;
}

/**
 * The growth factor of the work of `run(n)` when n is multiplied by 4: about 4 for linear work,
 * about 16 for quadratic. Runs each size once first so one-time work (lazy schemas) is not counted.
 */
export function workGrowth(run: (n: number) => void, n: number): number {
  run(n);
  run(4 * n);
  const small = countArrayWork(() => {
    run(n);
  });
  const large = countArrayWork(() => {
    run(4 * n);
  });
  return large / Math.max(1, small);
}
