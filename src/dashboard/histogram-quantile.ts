/** One cumulative histogram bucket: how many observations were at most `le` (Infinity for +Inf). */
export interface CumulativeBucket {
  readonly le: number;
  readonly count: number;
}

/**
 * The q-quantile (0..1) of a cumulative histogram, interpolated linearly inside the bucket it falls
 * in, as Prometheus' `histogram_quantile` does; undefined when the histogram is empty. A quantile in
 * the +Inf bucket answers the highest finite bound (what Prometheus does too).
 */
export function histogramQuantile(q: number, buckets: readonly CumulativeBucket[]): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let previousBound = 0;
  let previousCount = 0;
  for (const bucket of sorted) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return previousBound;
      const inBucket = bucket.count - previousCount;
      if (inBucket <= 0) return bucket.le;
      return previousBound + ((bucket.le - previousBound) * (rank - previousCount)) / inBucket;
    }
    previousBound = bucket.le;
    previousCount = bucket.count;
  }
  return previousBound;
}

/** Bucket-wise difference `later - earlier` (same bounds), for the observations between two scrapes. */
export function subtractBuckets(
  later: readonly CumulativeBucket[],
  earlier: readonly CumulativeBucket[] | undefined,
): CumulativeBucket[] {
  if (earlier === undefined) return [...later];
  const before = new Map(earlier.map((bucket) => [bucket.le, bucket.count]));
  return later.map((bucket) => ({
    le: bucket.le,
    count: Math.max(0, bucket.count - (before.get(bucket.le) ?? 0)),
  }));
}
