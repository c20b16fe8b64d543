import type { GatewayCounters } from './gateway-counters.ts';
import type { DrillSample } from './drill-sample.ts';

/** p50, p95 and p99 of a latency in milliseconds (nearest rank). */
export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/** USD per request against the cheapest feasible route's. */
export interface CostFigures {
  readonly usd_per_request: number;
  readonly cheapest_usd_per_request: number;
  /** usd / cheapest (1 = the cheapest); null when the cheapest costs nothing. */
  readonly ratio: number | null;
}

/** One client's figures over a stretch of the drill. */
export interface ClientStats {
  readonly requests: number;
  readonly ok: number;
  /** ok / requests (1 with no requests). */
  readonly success_rate: number;
  readonly ttft_ms: Percentiles | null;
  readonly ttlt_ms: Percentiles | null;
  readonly requests_per_s: number;
  readonly tokens_per_s: number;
  readonly cost: CostFigures | null;
  /** Successful requests by region, account and deployment. */
  readonly by_region: Record<string, number>;
  readonly by_account: Record<string, number>;
  readonly by_deployment: Record<string, number>;
  /** Failed requests by status (0: no response). */
  readonly errors: Record<string, number>;
  /** Successes served after a failed attempt or by a fallback group. */
  readonly failovers: number;
  /** Upstream attempts beyond the first (`x-spillway-attempts` - 1, summed). */
  readonly retries: number;
  /**
   * Hedges started (won, lost or failed) and won (the hedge served), from the gateway's counters
   * over the phase; null for the naive client or when the counters could not be read.
   */
  readonly hedges: number | null;
  readonly hedges_won: number | null;
  /** Hedges the hedge budget did not allow (the request waited for its first attempt). */
  readonly hedges_denied: number | null;
  /** Streams cut after their first byte and continued on another deployment (decision 0015). */
  readonly stream_recoveries: number | null;
  /** Cut streams whose continuation failed or was refused. */
  readonly stream_recoveries_failed: number | null;
}

/** A sample with its cost: what it paid and what the cheapest feasible route would have. */
export interface CostedSample extends DrillSample {
  readonly account?: string | undefined;
  readonly cost_usd?: number | undefined;
  readonly cheapest_usd?: number | undefined;
}

/** Nearest-rank percentiles of `values`, or null when empty. */
export function percentiles(values: readonly number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  const round = (value: number) => Math.round(value * 10) / 10;
  return { p50: round(rank(50)), p95: round(rank(95)), p99: round(rank(99)) };
}

function count(values: readonly (string | undefined)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value ?? '?'] = (counts[value ?? '?'] ?? 0) + 1;
  return counts;
}

/** The figures of `samples` (one client's) over `seconds`; `requestedGroup` tells fallbacks apart. */
export function clientStats(
  samples: readonly CostedSample[],
  seconds: number,
  requestedGroup: string,
  counters?: GatewayCounters,
): ClientStats {
  const sum = (counts: Readonly<Record<string, number>> | undefined, ...outcomes: string[]) =>
    counts === undefined ? null : outcomes.reduce((total, outcome) => total + (counts[outcome] ?? 0), 0);
  const ok = samples.filter((sample) => sample.ok);
  const costed = ok.filter((sample) => sample.cost_usd !== undefined && sample.cheapest_usd !== undefined);
  let cost: CostFigures | null = null;
  if (costed.length > 0) {
    const paid = costed.reduce((sum, sample) => sum + (sample.cost_usd ?? 0), 0);
    const cheapest = costed.reduce((sum, sample) => sum + (sample.cheapest_usd ?? 0), 0);
    cost = {
      usd_per_request: paid / costed.length,
      cheapest_usd_per_request: cheapest / costed.length,
      ratio: cheapest > 0 ? Math.round((paid / cheapest) * 1000) / 1000 : null,
    };
  }
  const tokens = ok.reduce((sum, sample) => sum + sample.output_tokens, 0);
  const seconds_ = Math.max(seconds, 1e-9);
  return {
    requests: samples.length,
    ok: ok.length,
    success_rate: samples.length === 0 ? 1 : ok.length / samples.length,
    ttft_ms: percentiles(ok.map((sample) => sample.ttft_ms ?? sample.ttlt_ms)),
    ttlt_ms: percentiles(ok.map((sample) => sample.ttlt_ms)),
    requests_per_s: Math.round((ok.length / seconds_) * 100) / 100,
    tokens_per_s: Math.round((tokens / seconds_) * 10) / 10,
    cost,
    by_region: count(ok.map((sample) => sample.region)),
    by_account: count(ok.map((sample) => sample.account)),
    by_deployment: count(ok.map((sample) => sample.deployment)),
    errors: count(samples.filter((sample) => !sample.ok).map((sample) => String(sample.status))),
    failovers: ok.filter(
      (sample) =>
        (sample.attempts ?? 1) > 1 || (sample.group !== undefined && sample.group !== requestedGroup),
    ).length,
    retries: samples.reduce((sum, sample) => sum + Math.max(0, (sample.attempts ?? 1) - 1), 0),
    hedges: sum(counters?.hedges, 'won', 'lost', 'failed'),
    hedges_won: sum(counters?.hedges, 'won'),
    hedges_denied: sum(counters?.hedges, 'denied'),
    stream_recoveries: sum(counters?.stream_recoveries, 'continued'),
    stream_recoveries_failed: sum(counters?.stream_recoveries, 'failed', 'refused'),
  };
}
