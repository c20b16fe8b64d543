import type { Registry } from 'prom-client';
import type { SpillwayConfig } from '../config/schema.ts';
import type { Clock } from '../core/clock.ts';
import { histogramQuantile, subtractBuckets } from './histogram-quantile.ts';
import { takeMetricSnapshot, type CacheCounters, type MetricSnapshot } from './metric-snapshot.ts';

/** One model group in `GET /admin/dashboard/summary`. */
export interface GroupSummary {
  readonly name: string;
  readonly description: string | null;
  readonly strategy: string;
  /** Client requests finished (by requested group) since the process started. */
  readonly requests_total: number;
  readonly errors_total: number;
  readonly in_flight: number;
  /** Over `window_seconds`; null until the summary has an earlier sample to compare with. */
  readonly requests_per_second: number | null;
  /** Errors / requests over the window; null when the window saw no request. */
  readonly error_ratio: number | null;
  /** Time to first token (successful requests served by the group), over the window when it saw any, else since start. */
  readonly ttft_p50_ms: number | null;
  readonly ttft_p95_ms: number | null;
  readonly ttft_scope: 'window' | 'since_start' | null;
  /** Requests per second between successive samples, oldest first (for a sparkline). */
  readonly history: readonly number[];
}

/** One deployment in the summary. */
export interface DeploymentSummary {
  readonly id: string;
  readonly group: string;
  readonly provider: string;
  readonly model: string;
  readonly region: string;
  readonly account: string;
  readonly circuit: 'closed' | 'half-open' | 'open';
  /** Cooldowns started since the process started. */
  readonly cooldowns_total: number;
  readonly attempts: { readonly success: number; readonly error: number };
}

/** One rule of a router group in the summary: how many requests it routed since the process started. */
export interface RouteSummary {
  readonly router: string;
  /** The rule's name, `rule-<n>`, `default`, or `cascade-<check>` for a cascade's escalations. */
  readonly rule: string;
  readonly target: string;
  readonly decisions_total: number;
}

/** One group's response cache in the summary, since the process started. */
export interface CacheSummary {
  readonly group: string;
  readonly hits_total: number;
  readonly misses_total: number;
  readonly bypasses_total: number;
  /** Hits / (hits + misses); null before any lookup. */
  readonly hit_ratio: number | null;
  /** What the hits' answers cost when a deployment made them. */
  readonly saved_usd: number;
}

/** The body of `GET /admin/dashboard/summary`: what the dashboard page shows, for this replica. */
export interface DashboardSummary {
  /** ISO 8601 time of the read. */
  readonly time: string;
  /** Seconds the rates cover; null until a sample at least a second old exists (the first read). */
  readonly window_seconds: number | null;
  readonly totals: {
    readonly requests_total: number;
    readonly errors_total: number;
    readonly in_flight: number;
    readonly requests_per_second: number | null;
    readonly error_ratio: number | null;
  };
  readonly groups: readonly GroupSummary[];
  readonly deployments: readonly DeploymentSummary[];
  /** Routing decisions by router group and rule (most first). */
  readonly routing: readonly RouteSummary[];
  /** Response caches by group (groups with a lookup). */
  readonly cache: readonly CacheSummary[];
  /** Guardrail actions since the process started (spillway_guardrail_actions_total). */
  readonly guardrails: readonly GuardrailSummary[];
}

/** One guardrail, action and direction with its count since start. */
export interface GuardrailSummary {
  readonly guardrail: string;
  readonly action: string;
  readonly direction: string;
  readonly count: number;
}

export interface DashboardSummaryOptions {
  /** The metrics registry; undefined when `telemetry.metrics` is off (the summary then has zeros). */
  readonly registry: Registry | undefined;
  /** Reads the registry to summarize instead (a worker thread of several: the process's merged one). */
  readonly readRegistry?: () => Promise<Registry | undefined>;
  /** The current configuration (read per call, so reloads apply). */
  readonly config: () => SpillwayConfig;
  readonly clock: Clock;
  /** Rates cover about this much recent time (default 30 s). */
  readonly windowMs?: number;
  /** Samples kept for rates and sparklines at most this often (default 1 s) and this many (default 40). */
  readonly sampleIntervalMs?: number;
  readonly maxSamples?: number;
}

const circuitNames = ['closed', 'half-open', 'open'] as const;
const round = (value: number, digits = 3): number => Number(value.toFixed(digits));
const ratio = (part: number, whole: number): number | null => (whole > 0 ? round(part / whole, 4) : null);

function regionAndAccount(
  config: SpillwayConfig,
  providerName: string,
): { region?: string; account: string } {
  const provider = config.providers[providerName];
  const account = provider?.account ?? providerName;
  return provider?.region === undefined ? { account } : { region: provider.region, account };
}

/**
 * Builds dashboard summaries from the metrics registry. Keeps a short history of samples (taken when
 * the summary is read, at most one per `sampleIntervalMs`) so it can answer rates and sparklines
 * without a second scrape by the browser.
 */
export class DashboardSummaryBuilder {
  readonly #options: DashboardSummaryOptions;
  readonly #samples: MetricSnapshot[] = [];

  constructor(options: DashboardSummaryOptions) {
    this.#options = options;
  }

  /** Reads the registry now and answers the summary. */
  async read(): Promise<DashboardSummary> {
    const now = this.#options.clock.now();
    const registry =
      this.#options.readRegistry === undefined ? this.#options.registry : await this.#options.readRegistry();
    const current: MetricSnapshot =
      registry === undefined
        ? { time: now, groups: new Map(), deployments: new Map(), guardrails: new Map() }
        : await takeMetricSnapshot(registry, now);
    const reference = this.#reference(now);
    this.#remember(current);
    return this.#summarize(current, reference);
  }

  #reference(now: number): MetricSnapshot | undefined {
    const windowMs = this.#options.windowMs ?? 30_000;
    // A rate over a few milliseconds says nothing: compare only with samples a sample interval old.
    const minimumMs = this.#options.sampleIntervalMs ?? 1000;
    const earlier = this.#samples.filter((sample) => sample.time <= now - minimumMs);
    return earlier.find((sample) => sample.time >= now - windowMs) ?? earlier.at(-1);
  }

  #remember(current: MetricSnapshot): void {
    const last = this.#samples.at(-1);
    if (last !== undefined && current.time - last.time < (this.#options.sampleIntervalMs ?? 1000)) return;
    this.#samples.push(current);
    const excess = this.#samples.length - (this.#options.maxSamples ?? 40);
    if (excess > 0) this.#samples.splice(0, excess);
  }

  #history(group: string): number[] {
    const points: number[] = [];
    for (let i = 1; i < this.#samples.length; i++) {
      const before = this.#samples[i - 1];
      const after = this.#samples[i];
      if (before === undefined || after === undefined) continue;
      const seconds = (after.time - before.time) / 1000;
      const delta = (after.groups.get(group)?.requests ?? 0) - (before.groups.get(group)?.requests ?? 0);
      points.push(round(Math.max(0, delta) / seconds));
    }
    return points;
  }

  #summarize(current: MetricSnapshot, reference: MetricSnapshot | undefined): DashboardSummary {
    const config = this.#options.config();
    const seconds = reference === undefined ? undefined : (current.time - reference.time) / 1000;
    const names = new Set([...Object.keys(config.models), ...current.groups.keys()]);
    const groups = [...names].sort().map((name): GroupSummary => {
      const now = current.groups.get(name);
      const before = reference?.groups.get(name);
      const requests = (now?.requests ?? 0) - (before?.requests ?? 0);
      const errors = (now?.errors ?? 0) - (before?.errors ?? 0);
      const recent = subtractBuckets(now?.timeToFirstToken ?? [], before?.timeToFirstToken);
      const useWindow = reference !== undefined && (recent.at(-1)?.count ?? 0) > 0;
      const buckets = useWindow ? recent : (now?.timeToFirstToken ?? []);
      const p50 = histogramQuantile(0.5, buckets);
      const p95 = histogramQuantile(0.95, buckets);
      const group = config.models[name];
      return {
        name,
        description: group?.description ?? null,
        strategy: group?.strategy ?? 'unknown',
        requests_total: now?.requests ?? 0,
        errors_total: now?.errors ?? 0,
        in_flight: now?.inFlight ?? 0,
        requests_per_second: seconds === undefined ? null : round(requests / seconds),
        error_ratio: seconds === undefined ? null : ratio(errors, requests),
        ttft_p50_ms: p50 === undefined ? null : round(p50 * 1000, 1),
        ttft_p95_ms: p95 === undefined ? null : round(p95 * 1000, 1),
        ttft_scope: p50 === undefined ? null : useWindow ? 'window' : 'since_start',
        history: this.#history(name),
      };
    });
    const deployments = Object.entries(config.models).flatMap(([group, settings]) =>
      settings.deployments.map((deployment): DeploymentSummary => {
        const counters = current.deployments.get(deployment.id);
        const place = regionAndAccount(config, deployment.provider);
        return {
          id: deployment.id,
          group,
          provider: deployment.provider,
          model: deployment.model,
          region: deployment.region ?? place.region ?? 'unknown',
          account: place.account,
          circuit: circuitNames[counters?.circuit ?? 0] ?? 'closed',
          cooldowns_total: counters?.cooldowns ?? 0,
          attempts: { success: counters?.attempts.success ?? 0, error: counters?.attempts.error ?? 0 },
        };
      }),
    );
    const sum = (pick: (group: GroupSummary) => number): number =>
      groups.reduce((total, group) => total + pick(group), 0);
    const windowDelta = (field: 'requests' | 'errors'): number =>
      [...names].reduce(
        (total, name) =>
          total + (current.groups.get(name)?.[field] ?? 0) - (reference?.groups.get(name)?.[field] ?? 0),
        0,
      );
    const windowRequests = windowDelta('requests');
    const windowErrors = windowDelta('errors');
    return {
      time: new Date(current.time).toISOString(),
      window_seconds: seconds === undefined ? null : round(seconds, 1),
      totals: {
        requests_total: sum((group) => group.requests_total),
        errors_total: sum((group) => group.errors_total),
        in_flight: sum((group) => group.in_flight),
        requests_per_second: seconds === undefined ? null : round(windowRequests / seconds),
        error_ratio: seconds === undefined ? null : ratio(windowErrors, windowRequests),
      },
      groups,
      deployments,
      guardrails: [...current.guardrails].map(([key, count]) => {
        const [guardrail = '', action = '', direction = ''] = key.split('\u0000');
        return { guardrail, action, direction, count };
      }),
      routing: routingOf(current),
      cache: cacheOf(current),
    };
  }
}

function routingOf(snapshot: MetricSnapshot): RouteSummary[] {
  return (snapshot.routes ?? [])
    .map(({ router, rule, target, decisions }) => ({ router, rule, target, decisions_total: decisions }))
    .sort((a, b) => a.router.localeCompare(b.router) || b.decisions_total - a.decisions_total);
}

function cacheOf(snapshot: MetricSnapshot): CacheSummary[] {
  return [...(snapshot.cache ?? new Map<string, CacheCounters>())]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, counters]) => ({
      group,
      hits_total: counters.hit,
      misses_total: counters.miss,
      bypasses_total: counters.bypass,
      hit_ratio: ratio(counters.hit, counters.hit + counters.miss),
      saved_usd: round(counters.savedUsd, 6),
    }));
}
