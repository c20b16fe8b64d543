import { Gauge, type Registry } from 'prom-client';
import { CounterSeries, GaugeSeries, HistogramSeries } from './metric-series.ts';

/** Seconds; LLM calls span milliseconds (a cached refusal) to minutes (a long generation). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600,
];

/** Seconds; the gateway's own time per request (docs/performance.md, overhead definition 2). */
export const OVERHEAD_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
];

/** Every Spillway metric, registered on one registry. Names follow Prometheus conventions. */
export interface MetricInstruments {
  readonly requests: CounterSeries<'tenant' | 'group' | 'endpoint' | 'stream' | 'status_class' | 'outcome'>;
  readonly requestErrors: CounterSeries<'tenant' | 'group' | 'error_code'>;
  readonly inFlight: GaugeSeries<'group'>;
  readonly requestDuration: HistogramSeries<'group' | 'deployment' | 'stream'>;
  readonly timeToFirstToken: HistogramSeries<'group' | 'deployment'>;
  readonly timeToLastToken: HistogramSeries<'group' | 'deployment'>;
  readonly overhead: HistogramSeries<'endpoint' | 'stream'>;
  readonly attempts: CounterSeries<'group' | 'deployment' | 'provider' | 'region' | 'outcome' | 'error_code'>;
  readonly attemptDuration: HistogramSeries<'deployment' | 'provider' | 'region' | 'outcome'>;
  readonly upstreamFirstToken: HistogramSeries<'deployment' | 'provider' | 'region'>;
  readonly fallbacks: CounterSeries<'from_group' | 'to_group' | 'error_code'>;
  readonly retries: CounterSeries<'group' | 'deployment' | 'error_code'>;
  readonly retryDenials: CounterSeries<'group' | 'reason'>;
  readonly hedges: CounterSeries<'group' | 'outcome'>;
  readonly hedgeLoserCostUsd: CounterSeries<'group'>;
  readonly rateLimited: CounterSeries<'scope' | 'limit' | 'tenant' | 'deployment'>;
  readonly circuitState: GaugeSeries<'deployment'>;
  readonly circuitTransitions: CounterSeries<'deployment' | 'from' | 'to'>;
  readonly cooldowns: CounterSeries<'deployment' | 'error_code'>;
  readonly malformedEvents: CounterSeries<'deployment' | 'provider'>;
  readonly streamRecoveries: CounterSeries<'group' | 'outcome'>;
  readonly inputTokens: CounterSeries<'tenant' | 'group' | 'deployment'>;
  readonly outputTokens: CounterSeries<'tenant' | 'group' | 'deployment'>;
  readonly cacheReadTokens: CounterSeries<'tenant' | 'group' | 'deployment'>;
  readonly cacheWriteTokens: CounterSeries<'tenant' | 'group' | 'deployment'>;
  readonly costUsd: CounterSeries<'tenant' | 'group' | 'deployment'>;
  readonly cacheLookups: CounterSeries<'group' | 'result'>;
  readonly routeDecisions: CounterSeries<'router' | 'rule' | 'target'>;
  readonly cacheSavedUsd: CounterSeries<'group'>;
  readonly guardrailActions: CounterSeries<'guardrail' | 'action' | 'direction'>;
  readonly stateStoreDegraded: Gauge;
}

export interface MetricInstrumentsOptions {
  /** False: the `tenant` label is left out of every metric (`telemetry.tenant_labels`). Default true. */
  readonly tenantLabels?: boolean | undefined;
}

export function createMetricInstruments(
  registry: Registry,
  options: MetricInstrumentsOptions = {},
): MetricInstruments {
  const registers = [registry];
  const tokenLabels = ['tenant', 'group', 'deployment'] as const;
  // The sink still passes a (constant) tenant value in place; the exposition leaves the label out.
  const omittedLabels = (options.tenantLabels ?? true) ? [] : (['tenant'] as const);
  return {
    requests: new CounterSeries(registry, {
      name: 'spillway_requests_total',
      help: 'Client requests finished, by tenant, requested model group, endpoint, stream, HTTP status class and outcome (error: every error code, including in-band stream failures)',
      labelNames: ['tenant', 'group', 'endpoint', 'stream', 'status_class', 'outcome'],
      omittedLabels,
    }),
    requestErrors: new CounterSeries(registry, {
      name: 'spillway_request_errors_total',
      help: 'Client requests that ended in an error, by tenant, requested model group and error code',
      labelNames: ['tenant', 'group', 'error_code'],
      omittedLabels,
    }),
    inFlight: new GaugeSeries(registry, {
      name: 'spillway_requests_in_flight',
      help: 'Client requests started and not yet finished (streams until their last event), by requested model group',
      labelNames: ['group'],
    }),
    requestDuration: new HistogramSeries(registry, {
      name: 'spillway_request_duration_seconds',
      help: 'Total time of a client request as the gateway saw it, by served model group and deployment',
      labelNames: ['group', 'deployment', 'stream'],
      buckets: [...LATENCY_BUCKETS_SECONDS],
    }),
    timeToFirstToken: new HistogramSeries(registry, {
      name: 'spillway_time_to_first_token_seconds',
      help: 'Time from request arrival to the first token (whole answer for non-streams), successful requests, by served group and deployment',
      labelNames: ['group', 'deployment'],
      buckets: [...LATENCY_BUCKETS_SECONDS],
    }),
    timeToLastToken: new HistogramSeries(registry, {
      name: 'spillway_time_to_last_token_seconds',
      help: 'Time from request arrival to the last token, successful requests, by served group and deployment',
      labelNames: ['group', 'deployment'],
      buckets: [...LATENCY_BUCKETS_SECONDS],
    }),
    overhead: new HistogramSeries(registry, {
      name: 'spillway_gateway_overhead_seconds',
      help: 'Time spent in the gateway itself per request: total time minus time waiting on upstreams',
      labelNames: ['endpoint', 'stream'],
      buckets: [...OVERHEAD_BUCKETS_SECONDS],
    }),
    attempts: new CounterSeries(registry, {
      name: 'spillway_upstream_attempts_total',
      help: 'Upstream calls, by model group, deployment, provider, region, outcome and error code',
      labelNames: ['group', 'deployment', 'provider', 'region', 'outcome', 'error_code'],
    }),
    attemptDuration: new HistogramSeries(registry, {
      name: 'spillway_upstream_attempt_duration_seconds',
      help: 'Duration of upstream calls, by deployment, provider, region and outcome',
      labelNames: ['deployment', 'provider', 'region', 'outcome'],
      buckets: [...LATENCY_BUCKETS_SECONDS],
    }),
    upstreamFirstToken: new HistogramSeries(registry, {
      name: 'spillway_upstream_time_to_first_token_seconds',
      help: 'Time from sending an upstream call to its first event, successful calls, by deployment, provider and region',
      labelNames: ['deployment', 'provider', 'region'],
      buckets: [...LATENCY_BUCKETS_SECONDS],
    }),
    fallbacks: new CounterSeries(registry, {
      name: 'spillway_fallbacks_total',
      help: 'Fallbacks from one model group to another, by the error code that caused them',
      labelNames: ['from_group', 'to_group', 'error_code'],
    }),
    retries: new CounterSeries(registry, {
      name: 'spillway_retries_total',
      help: 'Retries scheduled, by model group, the deployment that failed and the error code',
      labelNames: ['group', 'deployment', 'error_code'],
    }),
    retryDenials: new CounterSeries(registry, {
      name: 'spillway_retry_denials_total',
      help: 'Retries not taken, by model group and reason (budget-exhausted, deadline)',
      labelNames: ['group', 'reason'],
    }),
    hedges: new CounterSeries(registry, {
      name: 'spillway_hedges_total',
      help: 'Hedged first tokens, by model group and outcome (won: the hedge served, lost: the first attempt served, failed: neither, denied: no hedge budget)',
      labelNames: ['group', 'outcome'],
    }),
    hedgeLoserCostUsd: new CounterSeries(registry, {
      name: 'spillway_hedge_loser_cost_usd_total',
      help: 'What the aborted attempts of hedged requests cost (their input tokens), in USD, by model group',
      labelNames: ['group'],
    }),
    rateLimited: new CounterSeries(registry, {
      name: 'spillway_rate_limited_total',
      help: 'Rate-limit rejections by the gateway, by scope (tenant, key, deployment), limit kind, tenant and deployment',
      labelNames: ['scope', 'limit', 'tenant', 'deployment'],
      omittedLabels,
    }),
    circuitState: new GaugeSeries(registry, {
      name: 'spillway_circuit_state',
      help: 'Circuit breaker state per deployment: 0 closed, 1 half-open, 2 open',
      labelNames: ['deployment'],
    }),
    circuitTransitions: new CounterSeries(registry, {
      name: 'spillway_circuit_transitions_total',
      help: 'Circuit breaker state changes per deployment',
      labelNames: ['deployment', 'from', 'to'],
    }),
    cooldowns: new CounterSeries(registry, {
      name: 'spillway_cooldowns_total',
      help: 'Cooldowns started per deployment, by the error code that caused them',
      labelNames: ['deployment', 'error_code'],
    }),
    malformedEvents: new CounterSeries(registry, {
      name: 'spillway_stream_malformed_events_total',
      help: 'Malformed upstream stream events skipped (the stream went on), per deployment',
      labelNames: ['deployment', 'provider'],
    }),
    streamRecoveries: new CounterSeries(registry, {
      name: 'spillway_stream_recoveries_total',
      help: 'Streams cut after their first byte that stream_recovery tried to continue, by requested group and outcome (continued, failed, refused)',
      labelNames: ['group', 'outcome'],
    }),
    inputTokens: new CounterSeries(registry, {
      name: 'spillway_input_tokens_total',
      help: 'Input tokens, by tenant, served model group and deployment',
      labelNames: tokenLabels,
      omittedLabels,
    }),
    outputTokens: new CounterSeries(registry, {
      name: 'spillway_output_tokens_total',
      help: 'Output tokens, by tenant, served model group and deployment',
      labelNames: tokenLabels,
      omittedLabels,
    }),
    cacheReadTokens: new CounterSeries(registry, {
      name: 'spillway_cache_read_input_tokens_total',
      help: 'Input tokens read from the provider prompt cache, by tenant, served group and deployment',
      labelNames: tokenLabels,
      omittedLabels,
    }),
    cacheWriteTokens: new CounterSeries(registry, {
      name: 'spillway_cache_write_input_tokens_total',
      help: 'Input tokens written to the provider prompt cache, by tenant, served group and deployment',
      labelNames: tokenLabels,
      omittedLabels,
    }),
    costUsd: new CounterSeries(registry, {
      name: 'spillway_cost_usd_total',
      help: 'Cost in US dollars of priced requests, by tenant, served model group and deployment',
      labelNames: tokenLabels,
      omittedLabels,
    }),
    cacheLookups: new CounterSeries(registry, {
      name: 'spillway_cache_lookups_total',
      help: 'Response-cache lookups of chat requests, by requested model group and result (hit, miss, bypass: not looked up)',
      labelNames: ['group', 'result'],
    }),
    routeDecisions: new CounterSeries(registry, {
      name: 'spillway_route_decisions_total',
      help: 'Requests a router group routed, by router group, the rule that matched and the group it chose',
      labelNames: ['router', 'rule', 'target'],
    }),
    cacheSavedUsd: new CounterSeries(registry, {
      name: 'spillway_cache_saved_usd_total',
      help: 'US dollars cache hits saved: what the answers they replayed cost when a deployment made them',
      labelNames: ['group'],
    }),
    guardrailActions: new CounterSeries(registry, {
      name: 'spillway_guardrail_actions_total',
      help: 'Guardrail actions (block, mask, flag), by guardrail and direction (input: the request, output: the answer)',
      labelNames: ['guardrail', 'action', 'direction'],
    }),
    stateStoreDegraded: new Gauge({
      name: 'spillway_state_store_degraded',
      help: '1 while the shared state store (Redis) is unreachable and limits run on local state, else 0',
      registers,
    }),
  };
}
