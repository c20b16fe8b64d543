import type { DestinationStream } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { EventSink, Target } from '../core/gateway-events.ts';
import type { ProviderConfig, SpillwayConfig } from '../config/schema.ts';
import { createAccessLog, type AccessLog } from './access-log.ts';
import { combineSinks, type SinkErrorHandler } from './combine-sinks.ts';
import { MetricLabelDomain } from './metric-label-domain.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import type { Tracing } from './tracing.ts';
import { tracesEnabled, type Environment } from './traces-enabled.ts';

export interface TelemetryOptions {
  readonly config: SpillwayConfig;
  /** OTEL_* variables (default process.env). */
  readonly env?: Environment | undefined;
  readonly clock?: Clock | undefined;
  /** Access-log destination (default: asynchronous stdout). */
  readonly accessLogDestination?: DestinationStream | undefined;
  /** Told when a telemetry sink throws (the request path never is). */
  readonly onSinkError?: SinkErrorHandler | undefined;
  /** The configuration in force, after reloads (metric label values are its names). Default: `config`. */
  readonly currentConfig?: (() => SpillwayConfig) | undefined;
  /** True for a tenant known besides the config file's (admin API tenants, `anonymous`). */
  readonly knownTenant?: ((name: string) => boolean) | undefined;
}

export interface Telemetry {
  /** Metrics, traces and access log behind one sink; a throwing part never reaches the caller. */
  readonly sink: EventSink;
  /** Undefined when `telemetry.metrics` is false. */
  readonly metrics: Metrics | undefined;
  /** Undefined unless traces are on (config or OTEL_*). */
  readonly tracing: Tracing | undefined;
  /** Undefined when `telemetry.access_log` is false. */
  readonly accessLog: AccessLog | undefined;
  /** The traceparent to send upstream for a request in flight; undefined when traces are off. */
  traceparentFor(requestId: string): string | undefined;
  /** Flushes the access log and exports the remaining spans. */
  shutdown(): Promise<void>;
}

/**
 * Builds the telemetry the config asks for (what main.ts calls once). OpenTelemetry is loaded only
 * when traces are on.
 */
export async function createTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const { config } = options;
  const settings = config.telemetry;
  const deployments = Object.values(config.models).flatMap((group) => group.deployments.map((d) => d.id));
  const labels = new MetricLabelDomain({
    config: options.currentConfig ?? (() => config),
    knownTenant: options.knownTenant,
    tenantLabels: settings?.tenant_labels ?? true,
  });
  const metrics = (settings?.metrics ?? true) ? createMetrics({ deployments, labels }) : undefined;
  const tracing = tracesEnabled(settings?.traces, options.env)
    ? (await import('./tracing.ts')).createTracing({
        clock: options.clock,
        env: options.env,
        serverAddress: (target: Target) => serverAddressOf(config.providers[target.provider]),
        groupName: (group: string) => labels.group(group),
      })
    : undefined;
  const accessLog =
    (settings?.access_log ?? true)
      ? createAccessLog({ level: config.server.log_level, destination: options.accessLogDestination })
      : undefined;
  const sinks = [metrics?.sink, tracing?.sink, accessLog?.sink].filter((sink) => sink !== undefined);
  return {
    sink: combineSinks(sinks, options.onSinkError),
    metrics,
    tracing,
    accessLog,
    traceparentFor: (requestId) => tracing?.traceparentFor(requestId),
    async shutdown() {
      await Promise.allSettled([accessLog?.flush(), tracing?.shutdown()]);
    },
  };
}

/** The upstream host a target's provider is called at (OpenTelemetry `server.address`). */
export function serverAddressOf(provider: ProviderConfig | undefined): string | undefined {
  if (provider === undefined) return undefined;
  switch (provider.type) {
    case 'bedrock':
      return provider.endpoint === undefined
        ? `bedrock-runtime.${provider.region}.amazonaws.com`
        : new URL(provider.endpoint).hostname;
    case 'openai':
    case 'anthropic':
      return new URL(provider.base_url).hostname;
  }
}
