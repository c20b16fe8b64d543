/**
 * Reports over spend records: where requests went (region, account, deployment, group), how they
 * went (success rate, fallbacks), how fast (exact p50/p95/p99 of time to first token and total
 * latency) and what they cost per tenant. Pure: records in, numbers out.
 */

/** One finished request, flattened from RequestFinished (what the spend log stores). */
export interface ReportRecord {
  readonly tenant: string;
  readonly requestedGroup: string;
  /** The group that served it (after fallbacks); "" when no deployment was tried. */
  readonly servedGroup: string;
  /** "" when no deployment was tried (e.g. rejected by a rate limit). */
  readonly deployment: string;
  readonly provider: string;
  readonly region: string;
  readonly account: string;
  /** HTTP status sent to the client. */
  readonly status: number;
  /** Set when the request failed, including a stream that failed in-band after a 200. */
  readonly errorCode?: string | undefined;
  readonly attempts: number;
  readonly fallbacks: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Undefined when the deployment has no price. */
  readonly costUsd?: number | undefined;
  readonly latencyMs: number;
  readonly firstTokenMs?: number | undefined;
  /** Epoch ms when the request arrived. */
  readonly startedAt: number;
}

/** Requests sharing one value of a dimension (one region, one account, ...). */
export interface DistributionRow {
  /** The dimension's value; "(none)" for requests that reached no deployment. */
  readonly key: string;
  readonly count: number;
  /** Share of all requests in the window, in percent. */
  readonly sharePercent: number;
  readonly success: number;
  readonly failed: number;
  readonly successRatePercent: number;
  /** Mean total latency of these requests, in ms. */
  readonly averageLatencyMs: number;
}

/** Exact nearest-rank percentiles, in ms; undefined fields when there were no samples. */
export interface LatencySummary {
  readonly count: number;
  readonly p50?: number;
  readonly p95?: number;
  readonly p99?: number;
}

export interface TenantCost {
  readonly tenant: string;
  readonly requests: number;
  readonly success: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

export interface Report {
  /** The window asked for (epoch ms), when given. */
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly total: number;
  readonly success: number;
  readonly failed: number;
  readonly successRatePercent: number;
  /** Requests that took at least one fallback, and fallbacks taken in all. */
  readonly requestsWithFallback: number;
  readonly fallbacks: number;
  /** Upstream attempts in all (more than the requests when retries or fallbacks happened). */
  readonly attempts: number;
  readonly byRegion: readonly DistributionRow[];
  readonly byAccount: readonly DistributionRow[];
  readonly byDeployment: readonly DistributionRow[];
  /** By served group (the group that answered). */
  readonly byGroup: readonly DistributionRow[];
  readonly byRequestedGroup: readonly DistributionRow[];
  /** Over successful requests that reported a first token. */
  readonly timeToFirstToken: LatencySummary;
  /** Over successful requests. */
  readonly latency: LatencySummary;
  readonly costUsd: number;
  /** Largest cost first. */
  readonly byTenant: readonly TenantCost[];
}

export interface ReportWindow {
  /** Inclusive lower bound on startedAt (epoch ms). */
  readonly since?: number | undefined;
  /** Exclusive upper bound on startedAt (epoch ms). */
  readonly until?: number | undefined;
}

const NONE = '(none)';

/** A request succeeded when it carries no error code and its status is not an error. */
export function isSuccess(record: ReportRecord): boolean {
  return record.errorCode === undefined && record.status < 400;
}

/**
 * The nearest-rank percentile (https://en.wikipedia.org/wiki/Percentile#The_nearest-rank_method):
 * the smallest sample with at least p% of samples at or below it. `sorted` must be ascending.
 */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

function summarize(samples: number[]): LatencySummary {
  samples.sort((a, b) => a - b);
  const p50 = percentile(samples, 50);
  const p95 = percentile(samples, 95);
  const p99 = percentile(samples, 99);
  return {
    count: samples.length,
    ...(p50 === undefined ? {} : { p50 }),
    ...(p95 === undefined ? {} : { p95 }),
    ...(p99 === undefined ? {} : { p99 }),
  };
}

function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : (part / whole) * 100;
}

function distribution(
  records: readonly ReportRecord[],
  keyOf: (record: ReportRecord) => string,
): DistributionRow[] {
  const groups = new Map<string, { count: number; success: number; latency: number }>();
  for (const record of records) {
    const key = keyOf(record) || NONE;
    const entry = groups.get(key) ?? { count: 0, success: 0, latency: 0 };
    entry.count++;
    if (isSuccess(record)) entry.success++;
    entry.latency += record.latencyMs;
    groups.set(key, entry);
  }
  return [...groups.entries()]
    .map(([key, entry]) => ({
      key,
      count: entry.count,
      sharePercent: ratio(entry.count, records.length),
      success: entry.success,
      failed: entry.count - entry.success,
      successRatePercent: ratio(entry.success, entry.count),
      averageLatencyMs: entry.latency / entry.count,
    }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

function tenantCosts(records: readonly ReportRecord[]): TenantCost[] {
  const tenants = new Map<string, TenantCost>();
  for (const record of records) {
    const entry = tenants.get(record.tenant) ?? {
      tenant: record.tenant,
      requests: 0,
      success: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
    };
    tenants.set(record.tenant, {
      tenant: record.tenant,
      requests: entry.requests + 1,
      success: entry.success + (isSuccess(record) ? 1 : 0),
      inputTokens: entry.inputTokens + record.inputTokens,
      outputTokens: entry.outputTokens + record.outputTokens,
      costUsd: entry.costUsd + (record.costUsd ?? 0),
    });
  }
  return [...tenants.values()].sort((a, b) => b.costUsd - a.costUsd || a.tenant.localeCompare(b.tenant));
}

/** Computes the report over the records whose startedAt falls in the window. */
export function computeReport(all: readonly ReportRecord[], window: ReportWindow = {}): Report {
  const { since, until } = window;
  const records = all.filter(
    (record) =>
      (since === undefined || record.startedAt >= since) && (until === undefined || record.startedAt < until),
  );
  const successes = records.filter(isSuccess);
  const firstTokens: number[] = [];
  for (const record of successes)
    if (record.firstTokenMs !== undefined) firstTokens.push(record.firstTokenMs);
  return {
    since,
    until,
    total: records.length,
    success: successes.length,
    failed: records.length - successes.length,
    successRatePercent: ratio(successes.length, records.length),
    requestsWithFallback: records.filter((record) => record.fallbacks > 0).length,
    fallbacks: records.reduce((sum, record) => sum + record.fallbacks, 0),
    attempts: records.reduce((sum, record) => sum + record.attempts, 0),
    byRegion: distribution(records, (record) => record.region),
    byAccount: distribution(records, (record) => record.account),
    byDeployment: distribution(records, (record) => record.deployment),
    byGroup: distribution(records, (record) => record.servedGroup),
    byRequestedGroup: distribution(records, (record) => record.requestedGroup),
    timeToFirstToken: summarize(firstTokens),
    latency: summarize(successes.map((record) => record.latencyMs)),
    costUsd: records.reduce((sum, record) => sum + (record.costUsd ?? 0), 0),
    byTenant: tenantCosts(records),
  };
}
