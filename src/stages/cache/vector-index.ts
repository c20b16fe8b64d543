import type { Clock } from '../../core/clock.ts';

/** One kept answer in the index: its store key, its prompt's unit vector (none: exact shape only). */
export interface IndexEntry {
  readonly key: string;
  readonly vector: Float32Array | undefined;
  /** The hash of the prompt text the vector is of (an identical prompt needs no embedding). */
  readonly textHash?: string | undefined;
  readonly expiresAt: number;
}

/** The nearest entry of a shape and its cosine similarity (1 for an entry without a vector). */
export interface Nearest {
  readonly key: string;
  readonly similarity: number;
}

/** A vector scaled to unit length (cosine similarity is then a dot product); undefined for a zero or non-finite vector. */
export function unitVector(values: ArrayLike<number>): Float32Array | undefined {
  const vector = Float32Array.from(values);
  let norm = 0;
  for (const value of vector) norm += value * value;
  if (!(norm > 0) || !Number.isFinite(norm)) return undefined;
  const scale = 1 / Math.sqrt(norm);
  for (let index = 0; index < vector.length; index += 1) vector[index] = (vector[index] ?? 0) * scale;
  return vector;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < a.length; index += 1) sum += (a[index] ?? 0) * (b[index] ?? 0);
  return sum;
}

/**
 * The semantic cache's index in this process: per shape (scope + group + exact shape hash, see
 * semantic-key.ts) at most `maxEntries` entries, the oldest leaving first, expired ones dropped when
 * met. `nearest` is a linear scan over Float32Arrays: `maxEntries` × dimensions multiply-adds at
 * most (decision 0023 measures it). Shapes left empty are removed; the number of shapes is bounded
 * by the answers kept, which the answer store bounds in bytes and TTL.
 */
export class VectorIndex {
  private readonly shapes = new Map<string, IndexEntry[]>();
  private readonly maxEntries: number;
  private readonly clock: Clock;

  constructor(options: { maxEntries: number; clock: Clock }) {
    this.maxEntries = options.maxEntries;
    this.clock = options.clock;
  }

  /** Entries held now (tests, the benchmark). */
  get size(): number {
    let total = 0;
    for (const entries of this.shapes.values()) total += entries.length;
    return total;
  }

  add(shape: string, entry: IndexEntry): void {
    let entries = this.shapes.get(shape);
    if (entries === undefined) {
      entries = [];
      this.shapes.set(shape, entries);
    }
    entries.push(entry);
    if (entries.length > this.maxEntries) entries.splice(0, entries.length - this.maxEntries);
  }

  /** The newest live entry of `shape` whose prompt text has this hash (no vector needed). */
  identical(shape: string, textHash: string): string | undefined {
    const entries = this.shapes.get(shape);
    if (entries === undefined) return undefined;
    const now = this.clock.now();
    for (let index = entries.length - 1; index >= 0; index -= 1) {
      const entry = entries[index];
      if (entry !== undefined && entry.textHash === textHash && entry.expiresAt > now) return entry.key;
    }
    return undefined;
  }

  /**
   * The most similar live entry of `shape` to `vector` (the newest of equals); with no vector, the
   * newest live entry without one. Undefined when the shape has none of dimension `vector.length`.
   */
  nearest(shape: string, vector: Float32Array | undefined): Nearest | undefined {
    const entries = this.shapes.get(shape);
    if (entries === undefined) return undefined;
    const now = this.clock.now();
    let live = 0;
    let best: Nearest | undefined;
    for (const entry of entries) {
      if (entry.expiresAt <= now) continue;
      entries[live] = entry;
      live += 1;
      if (vector === undefined || entry.vector === undefined) {
        if (vector === entry.vector) best = { key: entry.key, similarity: 1 };
        continue;
      }
      if (entry.vector.length !== vector.length) continue;
      const similarity = dot(vector, entry.vector);
      if (best === undefined || similarity >= best.similarity) best = { key: entry.key, similarity };
    }
    entries.length = live;
    if (live === 0) this.shapes.delete(shape);
    return best;
  }
}
