import { errorTable, isErrorCode } from '../errors/error-table.ts';

/** The counter families one history bucket keeps, each a count per name. */
export const counterFamilies = [
  /** Client requests finished, by requested model group (`unknown` for a name no group has). */
  'requests',
  /** Of those, the ones that ended in an error, by requested group. */
  'group_errors',
  /** Errors by class (errorClass below). */
  'error_classes',
  /** Upstream attempts by deployment, and the failed ones. */
  'attempts',
  'failed_attempts',
  /** Upstream attempts by the region and the account of the deployment they went to. */
  'regions',
  'accounts',
  /** Cost in US dollars of priced requests, by the model group that served them. */
  'spend_usd',
] as const;

export type CounterFamily = (typeof counterFamilies)[number];

/** Time-to-first-token distributions by served model group and by deployment. */
export type LatencyFamily = 'group' | 'deployment';

/**
 * A latency histogram with logarithmic cells: cell `i` holds values in (GROWTH^(i-1), GROWTH^i] ms
 * (cell 0: up to 1 ms). Sparse (only cells seen), so a quiet series costs next to nothing; at most
 * CELLS entries, whatever the traffic. A quantile read from it is within one cell (25 %) of the exact one.
 */
export type LatencyCells = Map<number, number>;

const GROWTH = 1.25;
const CELLS = 64; // 1.25^63 ms is about 16 hours: every real first-token time fits.
const logGrowth = Math.log(GROWTH);

/** The cell a latency in milliseconds falls in. */
export function latencyCell(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(CELLS - 1, Math.ceil(Math.log(ms) / logGrowth - 1e-9));
}

/** Upper bound (ms) of a cell. */
const cellUpper = (cell: number): number => GROWTH ** cell;
/** Lower bound (ms) of a cell. */
const cellLower = (cell: number): number => (cell === 0 ? 0 : GROWTH ** (cell - 1));

/**
 * The q-quantile (0..1) of the cells in milliseconds, interpolated linearly inside the cell the rank
 * falls in (as Prometheus' histogram_quantile does); undefined for no observation.
 */
export function latencyQuantile(q: number, cells: LatencyCells | undefined): number | undefined {
  if (cells === undefined || cells.size === 0) return undefined;
  const sorted = [...cells.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let seen = 0;
  for (const [cell, count] of sorted) {
    if (seen + count >= rank) {
      const lower = cellLower(cell);
      const fraction = count === 0 ? 1 : (rank - seen) / count;
      return lower + (cellUpper(cell) - lower) * fraction;
    }
    seen += count;
  }
  return cellUpper(sorted.at(-1)?.[0] ?? 0);
}

/** Everything counted in one interval of time (a history bucket). */
export interface HistoryBucket {
  /** Epoch ms the interval starts at. */
  start: number;
  readonly counters: Record<CounterFamily, Map<string, number>>;
  readonly latency: Record<LatencyFamily, Map<string, LatencyCells>>;
}

export function emptyBucket(start: number): HistoryBucket {
  const counters = Object.fromEntries(counterFamilies.map((family) => [family, new Map()])) as Record<
    CounterFamily,
    Map<string, number>
  >;
  return { start, counters, latency: { group: new Map(), deployment: new Map() } };
}

/** Adds `amount` to one counter of a bucket. */
export function count(bucket: HistoryBucket, family: CounterFamily, name: string, amount = 1): void {
  const counters = bucket.counters[family];
  counters.set(name, (counters.get(name) ?? 0) + amount);
}

/** Adds one observation to `cell` of a latency series of a bucket (cell: latencyCell(ms)). */
export function observeLatency(
  bucket: HistoryBucket,
  family: LatencyFamily,
  name: string,
  cell: number,
): void {
  const series = bucket.latency[family];
  const cells = series.get(name);
  if (cells === undefined) series.set(name, new Map([[cell, 1]]));
  else cells.set(cell, (cells.get(cell) ?? 0) + 1);
}

/** Adds everything `from` counted into `into` (the roll-up of a fine bucket into a coarse one). */
export function mergeBucket(into: HistoryBucket, from: HistoryBucket): void {
  for (const family of counterFamilies) {
    for (const [name, amount] of from.counters[family]) count(into, family, name, amount);
  }
  for (const family of ['group', 'deployment'] as const) {
    for (const [name, cells] of from.latency[family]) {
      let target = into.latency[family].get(name);
      if (target === undefined) {
        target = new Map();
        into.latency[family].set(name, target);
      }
      for (const [cell, amount] of cells) target.set(cell, (target.get(cell) ?? 0) + amount);
    }
  }
}

/** A copy of a bucket (to merge into without changing the stored one). */
export function copyBucket(bucket: HistoryBucket): HistoryBucket {
  const copy = emptyBucket(bucket.start);
  mergeBucket(copy, bucket);
  return copy;
}

/** The classes errors are charted by: a fixed set, so the history's series stay bounded. */
export const errorClasses = ['client', 'limited', 'timeout', 'upstream', 'gateway'] as const;
export type ErrorClass = (typeof errorClasses)[number];

/**
 * The class of an error code: `client` (the request's own mistake: bad body, unknown model, bad key),
 * `limited` (the gateway's rate limits, budgets, no capacity), `timeout` (the request's or an
 * upstream's deadline), `upstream` (a provider failed), `gateway` (the gateway itself: internal
 * error, shutting down, state store away). A code outside the table counts as `gateway`.
 */
export function errorClass(code: string): ErrorClass {
  if (code === 'timeout' || code === 'upstream_timeout') return 'timeout';
  if (code === 'rate_limited' || code === 'budget_exceeded' || code === 'no_capacity') return 'limited';
  if (!isErrorCode(code)) return 'gateway';
  const status: number = errorTable[code].status;
  // A provider refusing the request's own content (400, 413) is the client's mistake, as the table says.
  if (code.startsWith('upstream_') && status !== 400 && status !== 413) return 'upstream';
  if (code === 'client_closed' || status < 500) return 'client';
  return 'gateway';
}
