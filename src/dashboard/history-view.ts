import type { SpillwayConfig } from '../config/schema.ts';
import type { DeploymentTimeline } from './breaker-timeline.ts';
import {
  countsOf,
  errorClasses,
  latenciesOf,
  latencyQuantile,
  type CounterFamily,
  type HistoryBucket,
  type LatencyFamily,
} from './history-bucket.ts';
import type { HistoryRange, HistoryTier } from './traffic-history.ts';

/** The ranges the dashboard offers (`?range=`), in milliseconds. */
export const historyRanges: Readonly<Record<string, number>> = {
  '15m': 15 * 60_000,
  '1h': 60 * 60_000,
  '6h': 6 * 60 * 60_000,
};

/** Named series, each one value per bucket. */
export type SeriesMap = Record<string, number[]>;

/** First-token time percentiles of one series, in ms per bucket (null: no successful request then). */
export interface LatencySeries {
  readonly p50: (number | null)[];
  readonly p99: (number | null)[];
}

/** One deployment's lane of the breaker and cooldown timeline. */
export interface DeploymentLane extends DeploymentTimeline {
  readonly id: string;
  readonly group: string;
}

/** The body of `GET /admin/dashboard/history?range=15m|1h|6h`. */
export interface DashboardHistory {
  /** ISO 8601 time of the read, and the same in epoch ms. */
  readonly time: string;
  readonly now: number;
  readonly range: string;
  readonly interval_seconds: number;
  /** Start of each bucket (epoch ms), oldest first; the last bucket is still being counted. */
  readonly buckets: number[];
  readonly requests: { readonly total: number[]; readonly by_group: SeriesMap };
  readonly errors: { readonly total: number[]; readonly by_class: SeriesMap; readonly by_group: SeriesMap };
  readonly attempts: {
    readonly by_deployment: SeriesMap;
    readonly failed_by_deployment: SeriesMap;
    readonly by_region: SeriesMap;
    readonly by_account: SeriesMap;
  };
  readonly ttft_ms: {
    readonly by_group: Record<string, LatencySeries>;
    readonly by_deployment: Record<string, LatencySeries>;
  };
  readonly spend_usd: { readonly total: number[]; readonly by_group: SeriesMap };
  readonly deployments: DeploymentLane[];
  /** What the history keeps (this process only). */
  readonly retention: {
    readonly fine: { readonly interval_seconds: number; readonly buckets: number };
    readonly coarse: { readonly interval_seconds: number; readonly buckets: number };
  };
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/** One series per name any bucket has in `family`, zero where a bucket has none; names sorted. */
function seriesOf(buckets: readonly HistoryBucket[], family: CounterFamily, digits = 0): SeriesMap {
  const names = new Set<string>();
  const counts = buckets.map((bucket) => countsOf(bucket, family));
  for (const map of counts) for (const name of map.keys()) names.add(name);
  const series: SeriesMap = {};
  for (const name of [...names].sort()) {
    series[name] = counts.map((map) => round(map.get(name) ?? 0, digits));
  }
  return series;
}

function totalOf(series: SeriesMap, length: number, digits = 0): number[] {
  const total = new Array<number>(length).fill(0);
  for (const values of Object.values(series))
    values.forEach((value, i) => (total[i] = (total[i] ?? 0) + value));
  return total.map((value) => round(value, digits));
}

function latencyOf(buckets: readonly HistoryBucket[], family: LatencyFamily): Record<string, LatencySeries> {
  const names = new Set<string>();
  const cells = buckets.map((bucket) => latenciesOf(bucket, family));
  for (const map of cells) for (const name of map.keys()) names.add(name);
  const result: Record<string, LatencySeries> = {};
  for (const name of [...names].sort()) {
    const at = (q: number) =>
      cells.map((map) => {
        const value = latencyQuantile(q, map.get(name));
        return value === undefined ? null : round(value, 1);
      });
    result[name] = { p50: at(0.5), p99: at(0.99) };
  }
  return result;
}

const tierOf = (tier: HistoryTier) => ({ interval_seconds: tier.intervalMs / 1000, buckets: tier.buckets });

/** Builds the history endpoint's body for one of `historyRanges`. */
export function historyView(
  read: HistoryRange,
  range: string,
  config: SpillwayConfig,
  tiers: { readonly fine: HistoryTier; readonly coarse: HistoryTier },
): DashboardHistory {
  const buckets = read.buckets;
  const byGroup = seriesOf(buckets, 'requests');
  const byClass = seriesOf(buckets, 'error_classes');
  // Every class a line, so the legend does not shift as errors come and go.
  for (const name of errorClasses) byClass[name] ??= new Array<number>(buckets.length).fill(0);
  const spendByGroup = seriesOf(buckets, 'spend_usd', 6);
  const configured = Object.entries(config.models).flatMap(([group, settings]) =>
    settings.deployments.map((deployment) => ({ id: deployment.id, group })),
  );
  const known = new Set(configured.map((deployment) => deployment.id));
  const lanes = [
    ...configured,
    ...read.timelineDeployments.filter((id) => !known.has(id)).map((id) => ({ id, group: 'unknown' })),
  ];
  return {
    time: new Date(read.now).toISOString(),
    now: read.now,
    range,
    interval_seconds: read.intervalMs / 1000,
    buckets: read.starts,
    requests: { total: totalOf(byGroup, buckets.length), by_group: byGroup },
    errors: {
      total: totalOf(byClass, buckets.length),
      by_class: byClass,
      by_group: seriesOf(buckets, 'group_errors'),
    },
    attempts: {
      by_deployment: seriesOf(buckets, 'attempts'),
      failed_by_deployment: seriesOf(buckets, 'failed_attempts'),
      by_region: seriesOf(buckets, 'regions'),
      by_account: seriesOf(buckets, 'accounts'),
    },
    ttft_ms: { by_group: latencyOf(buckets, 'group'), by_deployment: latencyOf(buckets, 'deployment') },
    spend_usd: { total: totalOf(spendByGroup, buckets.length, 6), by_group: spendByGroup },
    deployments: lanes.map((lane) => ({ ...lane, ...read.timeline(lane.id) })),
    retention: { fine: tierOf(tiers.fine), coarse: tierOf(tiers.coarse) },
  };
}
