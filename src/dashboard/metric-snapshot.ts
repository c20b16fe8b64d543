import type { Registry } from 'prom-client';
import type { CumulativeBucket } from './histogram-quantile.ts';

/** Counters of one model group at one instant (cumulative since the process started). */
export interface GroupCounters {
  /** Client requests finished, by requested group. */
  requests: number;
  /** Of those, requests that ended in an error. */
  errors: number;
  /** Requests in flight now. */
  inFlight: number;
  /** Time to first token of successful requests served by this group (seconds, cumulative buckets). */
  timeToFirstToken: CumulativeBucket[];
}

/** Counters and gauges of one deployment at one instant. */
export interface DeploymentCounters {
  /** spillway_circuit_state: 0 closed, 1 half-open, 2 open. */
  circuit: number;
  /** Cooldowns started since the process started. */
  cooldowns: number;
  /** Upstream attempts by outcome since the process started. */
  attempts: { success: number; error: number };
}

/** Routing decisions of one rule of a router group (cumulative). */
export interface RouteCounter {
  readonly router: string;
  readonly rule: string;
  readonly target: string;
  readonly decisions: number;
}

/** Response-cache lookups of one group by result, and what its hits saved (cumulative). */
export interface CacheCounters {
  hit: number;
  miss: number;
  bypass: number;
  savedUsd: number;
}

/** What the dashboard needs from the metrics registry, read at `time`. */
export interface MetricSnapshot {
  /** Epoch milliseconds of the read. */
  readonly time: number;
  readonly groups: Map<string, GroupCounters>;
  readonly deployments: Map<string, DeploymentCounters>;
  /** Guardrail actions since start, keyed `guardrail\u0000action\u0000direction`. */
  readonly guardrails: Map<string, number>;
  /** Routing decisions by router, rule and target (absent when read without a registry). */
  readonly routes?: readonly RouteCounter[] | undefined;
  /** Response-cache counters by requested group. */
  readonly cache?: ReadonlyMap<string, CacheCounters> | undefined;
}

interface SampleValue {
  readonly value: number;
  readonly labels: Partial<Record<string, string | number>>;
  readonly metricName?: string;
}

async function valuesOf(registry: Registry, name: string): Promise<readonly SampleValue[]> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return [];
  const read = await metric.get();
  return read.values;
}

const label = (value: SampleValue, name: string): string => String(value.labels[name] ?? '');

function groupOf(groups: Map<string, GroupCounters>, name: string): GroupCounters {
  let group = groups.get(name);
  if (group === undefined) {
    group = { requests: 0, errors: 0, inFlight: 0, timeToFirstToken: [] };
    groups.set(name, group);
  }
  return group;
}

function deploymentOf(deployments: Map<string, DeploymentCounters>, id: string): DeploymentCounters {
  let deployment = deployments.get(id);
  if (deployment === undefined) {
    deployment = { circuit: 0, cooldowns: 0, attempts: { success: 0, error: 0 } };
    deployments.set(id, deployment);
  }
  return deployment;
}

function addBucket(buckets: CumulativeBucket[], le: number, count: number): CumulativeBucket[] {
  const index = buckets.findIndex((bucket) => bucket.le === le);
  if (index === -1) return [...buckets, { le, count }];
  return buckets.map((bucket, i) => (i === index ? { le, count: bucket.count + count } : bucket));
}

/**
 * Reads the few Spillway metrics the dashboard shows (never the process default metrics) and folds
 * them by model group and by deployment.
 */
export async function takeMetricSnapshot(registry: Registry, time: number): Promise<MetricSnapshot> {
  const groups = new Map<string, GroupCounters>();
  const deployments = new Map<string, DeploymentCounters>();
  for (const value of await valuesOf(registry, 'spillway_requests_total')) {
    const group = groupOf(groups, label(value, 'group'));
    group.requests += value.value;
    if (label(value, 'outcome') === 'error') group.errors += value.value;
  }
  for (const value of await valuesOf(registry, 'spillway_requests_in_flight')) {
    groupOf(groups, label(value, 'group')).inFlight += value.value;
  }
  for (const value of await valuesOf(registry, 'spillway_time_to_first_token_seconds')) {
    if (value.metricName !== 'spillway_time_to_first_token_seconds_bucket') continue;
    const bound = label(value, 'le');
    const le = bound === '+Inf' ? Infinity : Number(bound);
    const group = groupOf(groups, label(value, 'group'));
    group.timeToFirstToken = addBucket(group.timeToFirstToken, le, value.value);
  }
  for (const value of await valuesOf(registry, 'spillway_circuit_state')) {
    deploymentOf(deployments, label(value, 'deployment')).circuit = value.value;
  }
  for (const value of await valuesOf(registry, 'spillway_cooldowns_total')) {
    deploymentOf(deployments, label(value, 'deployment')).cooldowns += value.value;
  }
  for (const value of await valuesOf(registry, 'spillway_upstream_attempts_total')) {
    const attempts = deploymentOf(deployments, label(value, 'deployment')).attempts;
    if (label(value, 'outcome') === 'success') attempts.success += value.value;
    else attempts.error += value.value;
  }
  const guardrails = new Map<string, number>();
  for (const value of await valuesOf(registry, 'spillway_guardrail_actions_total')) {
    const key = [label(value, 'guardrail'), label(value, 'action'), label(value, 'direction')].join('\u0000');
    guardrails.set(key, (guardrails.get(key) ?? 0) + value.value);
  }
  const routes: RouteCounter[] = [];
  for (const value of await valuesOf(registry, 'spillway_route_decisions_total')) {
    const [router, rule, target] = [label(value, 'router'), label(value, 'rule'), label(value, 'target')];
    routes.push({ router, rule, target, decisions: value.value });
  }
  const cache = new Map<string, CacheCounters>();
  const cacheOf = (group: string): CacheCounters => {
    let counters = cache.get(group);
    if (counters === undefined) cache.set(group, (counters = { hit: 0, miss: 0, bypass: 0, savedUsd: 0 }));
    return counters;
  };
  for (const value of await valuesOf(registry, 'spillway_cache_lookups_total')) {
    const result = label(value, 'result');
    if (result === 'hit' || result === 'miss' || result === 'bypass')
      cacheOf(label(value, 'group'))[result] += value.value;
  }
  for (const value of await valuesOf(registry, 'spillway_cache_saved_usd_total')) {
    cacheOf(label(value, 'group')).savedUsd += value.value;
  }
  return { time, groups, deployments, guardrails, routes, cache };
}
