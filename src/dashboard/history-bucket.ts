import { errorTable, isErrorCode } from '../errors/error-table.ts';

/**
 * The series a bucket answers, each a value per name: client requests finished by requested model
 * group (`unknown` for a name no group has), the ones that ended in an error by group and by class
 * (errorClass below), upstream attempts and failed ones by deployment, attempts by the region and
 * the account of their deployment, and the cost in US dollars of priced requests by served group.
 */
export const counterFamilies = [
  'requests',
  'group_errors',
  'error_classes',
  'attempts',
  'failed_attempts',
  'regions',
  'accounts',
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

/** What one deployment counted in a bucket; its group, region and account name the derived series. */
export interface DeploymentTally {
  readonly group: string;
  readonly region: string;
  readonly account: string;
  attempts: number;
  failed: number;
  spendUsd: number;
  /** First-token times of the successful requests it served. */
  ttft: LatencyCells | undefined;
}

/**
 * Everything counted in one interval of time (a history bucket). Per request it costs a few map
 * updates: the requested group's counters and one tally per deployment; series by region, account
 * and served group are summed from the tallies when read.
 */
export interface HistoryBucket {
  /** Epoch ms the interval starts at. */
  start: number;
  readonly requests: Map<string, number>;
  readonly groupErrors: Map<string, number>;
  readonly errorClasses: Map<string, number>;
  readonly deployments: Map<string, DeploymentTally>;
}

export function emptyBucket(start: number): HistoryBucket {
  return {
    start,
    requests: new Map(),
    groupErrors: new Map(),
    errorClasses: new Map(),
    deployments: new Map(),
  };
}

/** Adds `amount` to one name of a counter map. */
export function count(counters: Map<string, number>, name: string, amount = 1): void {
  counters.set(name, (counters.get(name) ?? 0) + amount);
}

/** The tally of the deployment `target` names in `bucket`, made on first use. */
export function tallyOf(
  bucket: HistoryBucket,
  target: {
    readonly deployment: string;
    readonly group: string;
    readonly region: string;
    readonly account: string;
  },
): DeploymentTally {
  let tally = bucket.deployments.get(target.deployment);
  if (tally === undefined) {
    const { group, region, account } = target;
    tally = { group, region, account, attempts: 0, failed: 0, spendUsd: 0, ttft: undefined };
    bucket.deployments.set(target.deployment, tally);
  }
  return tally;
}

function addCells(into: LatencyCells, from: LatencyCells): void {
  for (const [cell, amount] of from) into.set(cell, (into.get(cell) ?? 0) + amount);
}

/** Adds one first-token time (its cell: latencyCell(ms)) to a deployment's tally. */
export function observeLatency(tally: DeploymentTally, cell: number): void {
  if (tally.ttft === undefined) tally.ttft = new Map([[cell, 1]]);
  else tally.ttft.set(cell, (tally.ttft.get(cell) ?? 0) + 1);
}

/** Adds everything `from` counted into `into` (the roll-up of a fine bucket into a coarse one). */
export function mergeBucket(into: HistoryBucket, from: HistoryBucket): void {
  for (const [name, amount] of from.requests) count(into.requests, name, amount);
  for (const [name, amount] of from.groupErrors) count(into.groupErrors, name, amount);
  for (const [name, amount] of from.errorClasses) count(into.errorClasses, name, amount);
  for (const [id, tally] of from.deployments) {
    const target = tallyOf(into, { deployment: id, ...tally });
    target.attempts += tally.attempts;
    target.failed += tally.failed;
    target.spendUsd += tally.spendUsd;
    if (tally.ttft !== undefined) {
      target.ttft ??= new Map();
      addCells(target.ttft, tally.ttft);
    }
  }
}

/** A copy of a bucket (to merge into without changing the stored one). */
export function copyBucket(bucket: HistoryBucket): HistoryBucket {
  const copy = emptyBucket(bucket.start);
  mergeBucket(copy, bucket);
  return copy;
}

/** One series family of a bucket, a value per name. */
export function countsOf(bucket: HistoryBucket, family: CounterFamily): Map<string, number> {
  if (family === 'requests') return bucket.requests;
  if (family === 'group_errors') return bucket.groupErrors;
  if (family === 'error_classes') return bucket.errorClasses;
  const counts = new Map<string, number>();
  for (const [id, tally] of bucket.deployments) {
    if (family === 'attempts' && tally.attempts > 0) count(counts, id, tally.attempts);
    else if (family === 'failed_attempts' && tally.failed > 0) count(counts, id, tally.failed);
    else if (family === 'regions' && tally.attempts > 0) count(counts, tally.region, tally.attempts);
    else if (family === 'accounts' && tally.attempts > 0) count(counts, tally.account, tally.attempts);
    else if (family === 'spend_usd' && tally.spendUsd > 0) count(counts, tally.group, tally.spendUsd);
  }
  return counts;
}

/** First-token cells of a bucket by served group or by deployment. */
export function latenciesOf(bucket: HistoryBucket, family: LatencyFamily): Map<string, LatencyCells> {
  const result = new Map<string, LatencyCells>();
  for (const [id, tally] of bucket.deployments) {
    if (tally.ttft === undefined) continue;
    const name = family === 'group' ? tally.group : id;
    let cells = result.get(name);
    if (cells === undefined) {
      cells = new Map();
      result.set(name, cells);
    }
    addCells(cells, tally.ttft);
  }
  return result;
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
