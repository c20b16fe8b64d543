import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type {
  AttemptFinished,
  CircuitState,
  EventSink,
  GatewayEvent,
  RequestFinished,
  Target,
} from '../core/gateway-events.ts';
import { createMetricInstruments, type MetricInstruments } from './metric-instruments.ts';
import type { CounterSlot, GaugeSlot, HistogramSlot } from './metric-series.ts';
import { MetricLabelDomain, UNKNOWN_LABEL } from './metric-label-domain.ts';
import {
  errorCodeLabel,
  limitLabel,
  NO_ERROR,
  NOT_APPLICABLE,
  recoveryOutcomeLabel,
  retryDenialLabel,
  hedgeOutcomeLabel,
  cacheResultLabel,
  scopeLabel,
  statusClassLabel,
} from './metric-labels.ts';

export interface MetricsOptions {
  /** Register process default metrics (CPU, memory, event loop, GC) on the registry. Default true. */
  readonly defaultMetrics?: boolean;
  /** Deployments whose breaker gauge starts at 0 (closed) before any transition is seen. */
  readonly deployments?: readonly string[];
  /**
   * Where label values come from: configured names, anything else `unknown` (and whether tenant
   * labels are exposed). Default: no configured names, so every name is `unknown`.
   */
  readonly labels?: MetricLabelDomain | undefined;
}

export interface Metrics {
  /** The registry every Spillway metric lives on (never prom-client's global one). */
  readonly registry: Registry;
  /** Updates the metrics from pipeline events; cheap, never throws on well-formed events. */
  readonly sink: EventSink;
  /** Serves the Prometheus text exposition (GET or HEAD; 405 otherwise). Mounted at /metrics. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Reports whether the shared state store is degraded (spillway_state_store_degraded 1/0). */
  setStateStoreDegraded(degraded: boolean): void;
}

const circuitStateValue: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** A circuit state label: one of the three states (else UNKNOWN_LABEL). */
function circuitStateLabel(state: string): string {
  return Object.hasOwn(circuitStateValue, state) ? state : UNKNOWN_LABEL;
}

/**
 * The slots a target's successful attempts and served requests update, kept on the target (one per
 * deployment for the life of a routing table) so the hot path does one WeakMap lookup instead of a
 * label-map walk per series. Each slot is resolved on its first use, so a series still appears in
 * the exposition only once it has been updated, in the same order as before. The target's label
 * values are bounded once, when its slots are made.
 */
class TargetSlots {
  readonly group: string;
  readonly deployment: string;
  readonly provider: string;
  readonly region: string;
  attempts: CounterSlot | undefined;
  attemptDuration: HistogramSlot | undefined;
  upstreamFirstToken: HistogramSlot | undefined;
  duration: HistogramSlot | undefined;
  streamDuration: HistogramSlot | undefined;
  timeToFirstToken: HistogramSlot | undefined;
  timeToLastToken: HistogramSlot | undefined;
  /** By tenant label (bounded), not by the event's tenant. */
  readonly tenants = new Map<string, TenantSlots>();

  constructor(target: Target, labels: MetricLabelDomain) {
    this.group = labels.group(target.group);
    this.deployment = labels.deployment(target.deployment);
    this.provider = labels.provider(target.provider);
    this.region = labels.region(target.region);
  }
}

/** A tenant's token and cost counters on one target, resolved on first use. */
class TenantSlots {
  inputTokens: CounterSlot | undefined;
  outputTokens: CounterSlot | undefined;
  cacheReadTokens: CounterSlot | undefined;
  cacheWriteTokens: CounterSlot | undefined;
  costUsd: CounterSlot | undefined;
}

/** Builds the Spillway metrics: a private registry, the event sink that feeds it, and the /metrics handler. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const labels =
    options.labels ?? new MetricLabelDomain({ config: () => ({ models: {}, providers: {}, tenants: {} }) });
  const instruments = createMetricInstruments(registry, { tenantLabels: labels.tenantLabels });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const sink = createMetricsSink(instruments, labels);
  for (const deployment of options.deployments ?? [])
    instruments.circuitState.labels(labels.deployment(deployment)).set(0);
  instruments.stateStoreDegraded.set(0);
  return {
    registry,
    sink,
    async handle(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
        return;
      }
      try {
        const body = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics collection failed: ${message}\n`);
      }
    },
    setStateStoreDegraded(degraded) {
      instruments.stateStoreDegraded.set(degraded ? 1 : 0);
    },
  };
}

function createMetricsSink(m: MetricInstruments, labels: MetricLabelDomain): EventSink {
  const {
    requests,
    requestErrors,
    inFlight: inFlightByGroup,
    requestDuration,
    timeToFirstToken,
    timeToLastToken,
    overhead,
    attempts,
    attemptDuration,
    upstreamFirstToken,
    fallbacks,
    retries,
    retryDenials,
    hedges,
    hedgeLoserCostUsd,
    rateLimited,
    circuitState,
    circuitTransitions,
    cooldowns,
    malformedEvents,
    streamRecoveries,
    inputTokens,
    outputTokens,
    cacheReadTokens,
    cacheWriteTokens,
    costUsd,
    cacheLookups,
    routeDecisions,
    cacheSavedUsd,
    guardrailActions,
  } = m;
  /** The in-flight child each started request incremented, so only started requests decrement. */
  const inFlight = new Map<string, GaugeSlot>();

  const slotsOfTarget = new WeakMap<Target, TargetSlots>();
  function slotsOf(target: Target): TargetSlots {
    let slots = slotsOfTarget.get(target);
    if (slots === undefined) {
      slots = new TargetSlots(target, labels);
      slotsOfTarget.set(target, slots);
    }
    return slots;
  }

  function requestFinished(event: RequestFinished): void {
    const started = inFlight.get(event.requestId);
    if (started !== undefined) {
      started.dec();
      inFlight.delete(event.requestId);
    }
    const failed = event.errorCode !== undefined;
    const stream = event.stream ? 'true' : 'false';
    // The requested group is the client's `model`: any string until checked against the config.
    const requestedGroup = labels.group(event.requestedGroup);
    const tenant = labels.tenant(event.tenant);
    const endpoint = event.endpoint === 'embeddings' ? 'embeddings' : 'chat';
    requests
      .get(
        tenant,
        requestedGroup,
        endpoint,
        stream,
        statusClassLabel(event.status),
        failed ? 'error' : 'success',
      )
      .inc();
    if (failed) requestErrors.get(tenant, requestedGroup, errorCodeLabel(event.errorCode)).inc();
    overhead.get(endpoint, stream).observe(event.overheadMs / 1000);
    if (event.target === undefined) served(event, tenant, requestedGroup, NOT_APPLICABLE, failed);
    else servedBy(event.target, event, tenant, failed);
  }

  /** The served-request series for a request that reached no deployment (label lookups each time). */
  function served(
    event: RequestFinished,
    tenant: string,
    group: string,
    deployment: string,
    failed: boolean,
  ): void {
    requestDuration.get(group, deployment, event.stream ? 'true' : 'false').observe(event.latencyMs / 1000);
    if (!failed) {
      if (event.firstTokenMs !== undefined)
        timeToFirstToken.get(group, deployment).observe(event.firstTokenMs / 1000);
      timeToLastToken.get(group, deployment).observe(event.latencyMs / 1000);
    }
    if (event.inputTokens > 0) inputTokens.get(tenant, group, deployment).inc(event.inputTokens);
    if (event.outputTokens > 0) outputTokens.get(tenant, group, deployment).inc(event.outputTokens);
    if (event.cacheReadInputTokens > 0)
      cacheReadTokens.get(tenant, group, deployment).inc(event.cacheReadInputTokens);
    if (event.cacheWriteInputTokens > 0)
      cacheWriteTokens.get(tenant, group, deployment).inc(event.cacheWriteInputTokens);
    if (event.costUsd !== undefined && event.costUsd > 0)
      costUsd.get(tenant, group, deployment).inc(event.costUsd);
  }

  /** The same series through the target's kept slots. */
  function servedBy(target: Target, event: RequestFinished, tenant: string, failed: boolean): void {
    const slots = slotsOf(target);
    const { group, deployment } = slots;
    const duration = event.stream
      ? (slots.streamDuration ??= requestDuration.get(group, deployment, 'true'))
      : (slots.duration ??= requestDuration.get(group, deployment, 'false'));
    duration.observe(event.latencyMs / 1000);
    if (!failed) {
      if (event.firstTokenMs !== undefined)
        (slots.timeToFirstToken ??= timeToFirstToken.get(group, deployment)).observe(
          event.firstTokenMs / 1000,
        );
      (slots.timeToLastToken ??= timeToLastToken.get(group, deployment)).observe(event.latencyMs / 1000);
    }
    let counters = slots.tenants.get(tenant);
    if (counters === undefined) {
      counters = new TenantSlots();
      slots.tenants.set(tenant, counters);
    }
    if (event.inputTokens > 0)
      (counters.inputTokens ??= inputTokens.get(tenant, group, deployment)).inc(event.inputTokens);
    if (event.outputTokens > 0)
      (counters.outputTokens ??= outputTokens.get(tenant, group, deployment)).inc(event.outputTokens);
    if (event.cacheReadInputTokens > 0)
      (counters.cacheReadTokens ??= cacheReadTokens.get(tenant, group, deployment)).inc(
        event.cacheReadInputTokens,
      );
    if (event.cacheWriteInputTokens > 0)
      (counters.cacheWriteTokens ??= cacheWriteTokens.get(tenant, group, deployment)).inc(
        event.cacheWriteInputTokens,
      );
    if (event.costUsd !== undefined && event.costUsd > 0)
      (counters.costUsd ??= costUsd.get(tenant, group, deployment)).inc(event.costUsd);
  }

  function attemptFinished(event: AttemptFinished): void {
    const t = event.target;
    const seconds = event.durationMs / 1000;
    const slots = slotsOf(t);
    const { group, deployment, provider, region } = slots;
    if (event.outcome === 'success') {
      (slots.attempts ??= attempts.get(group, deployment, provider, region, 'success', NO_ERROR)).inc();
      (slots.attemptDuration ??= attemptDuration.get(deployment, provider, region, 'success')).observe(
        seconds,
      );
      if (event.firstTokenMs !== undefined) {
        (slots.upstreamFirstToken ??= upstreamFirstToken.get(deployment, provider, region)).observe(
          event.firstTokenMs / 1000,
        );
      }
      return;
    }
    const errorCode = errorCodeLabel(event.errorCode);
    attempts.get(group, deployment, provider, region, 'error', errorCode).inc();
    attemptDuration.get(deployment, provider, region, 'error').observe(seconds);
  }

  function handle(event: GatewayEvent): void {
    switch (event.type) {
      case 'request-started': {
        const child = inFlightByGroup.get(labels.group(event.group));
        child.inc();
        inFlight.set(event.requestId, child);
        return;
      }
      case 'request-finished':
        requestFinished(event);
        return;
      case 'attempt-finished':
        attemptFinished(event);
        return;
      case 'retry-scheduled':
        retries
          .get(
            labels.group(event.group),
            labels.deployment(event.fromDeployment),
            errorCodeLabel(event.errorCode),
          )
          .inc();
        return;
      case 'retry-denied':
        retryDenials.get(labels.group(event.group), retryDenialLabel(event.reason)).inc();
        return;
      case 'hedge-finished':
        hedges.get(labels.group(event.group), hedgeOutcomeLabel(event.outcome)).inc();
        if (event.loserCostUsd !== undefined && event.loserCostUsd > 0)
          hedgeLoserCostUsd.get(labels.group(event.group)).inc(event.loserCostUsd);
        return;
      case 'fallback-taken':
        fallbacks
          .get(labels.group(event.fromGroup), labels.group(event.toGroup), errorCodeLabel(event.errorCode))
          .inc();
        return;
      case 'rate-limited':
        rateLimited
          .get(
            scopeLabel(event.scope),
            limitLabel(event.limit),
            labels.tenant(event.tenant),
            event.deployment === undefined ? NOT_APPLICABLE : labels.deployment(event.deployment),
          )
          .inc();
        return;
      case 'circuit-changed':
        circuitState.get(labels.deployment(event.deployment)).set(circuitStateValue[event.to]);
        circuitTransitions
          .get(
            labels.deployment(event.deployment),
            circuitStateLabel(event.from),
            circuitStateLabel(event.to),
          )
          .inc();
        return;
      case 'route-decided':
        // Rule names come from the config (at most 100 per router): a bounded label set.
        routeDecisions.get(labels.group(event.router), event.rule, labels.group(event.target)).inc();
        return;
      case 'guardrail-applied':
        // Guardrail names come from the config: a bounded label set; action and direction are enums.
        guardrailActions.get(event.guardrail, event.action, event.direction).inc();
        return;
      case 'cache-lookup': {
        const group = labels.group(event.group);
        cacheLookups.get(group, cacheResultLabel(event.result)).inc();
        if (event.savedUsd !== undefined && event.savedUsd > 0) cacheSavedUsd.get(group).inc(event.savedUsd);
        return;
      }
      case 'cooldown-started':
        cooldowns.get(labels.deployment(event.deployment), errorCodeLabel(event.errorCode)).inc();
        return;
      case 'stream-event-skipped':
        malformedEvents
          .get(labels.deployment(event.target.deployment), labels.provider(event.target.provider))
          .inc();
        return;
      case 'stream-recovered':
        streamRecoveries.get(labels.group(event.group), recoveryOutcomeLabel(event.outcome)).inc();
        return;
    }
  }

  return {
    emit(event) {
      try {
        handle(event);
      } catch {
        // a malformed event must not reach the request path; the metric simply misses it
      }
    },
  };
}
