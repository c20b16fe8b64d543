import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { systemClock, type Clock } from '../core/clock.ts';
import type { EventSink, Target } from '../core/gateway-events.ts';
import { RequestSpans } from './request-spans.ts';
import type { Environment } from './traces-enabled.ts';

/**
 * Optional OpenTelemetry traces, off by default. On when the config says `telemetry.traces: true`
 * or the standard variables ask for it (OTEL_TRACES_EXPORTER=otlp|console, or an
 * OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT); OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn
 * them off. The exporter (OTLP over HTTP/JSON), the batch processor (OTEL_BSP_*), the sampler
 * (OTEL_TRACES_SAMPLER) and the resource (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) read their
 * usual variables.
 */

export { tracesEnabled, type Environment } from './traces-enabled.ts';

export interface TracingOptions {
  /** Exports spans here instead of the exporter OTEL_TRACES_EXPORTER names (tests: InMemorySpanExporter). */
  readonly exporter?: SpanExporter | undefined;
  /** Export each span as it ends instead of in batches (tests). Default false. */
  readonly synchronousExport?: boolean | undefined;
  readonly clock?: Clock | undefined;
  readonly env?: Environment | undefined;
  /** Host of a target's upstream endpoint, for `server.address`. */
  readonly serverAddress?: ((target: Target) => string | undefined) | undefined;
  /** Requests tracked at once before the oldest is ended as abandoned. Default 10 000. */
  readonly maxOpenRequests?: number | undefined;
  /** The name a requested group goes by in span names (configured, else `unknown`). Default: itself. */
  readonly groupName?: ((group: string) => string) | undefined;
}

export interface Tracing {
  /** Turns pipeline events into spans; never throws. */
  readonly sink: EventSink;
  /**
   * The traceparent to send upstream for a request in flight (its server span), or undefined when
   * the request is unknown. The pipeline adds it as the `traceparent` header on OpenAI-style calls.
   */
  traceparentFor(requestId: string): string | undefined;
  /** Exports every ended span now. */
  forceFlush(): Promise<void>;
  /** Flushes and stops exporting (on shutdown). */
  shutdown(): Promise<void>;
}

/** Builds the tracer provider and the span sink. Call only when `tracesEnabled(...)` says so. */
export function createTracing(options: TracingOptions = {}): Tracing {
  const env = options.env ?? process.env;
  const exporter = options.exporter ?? exporterFromEnvironment(env);
  const processor: SpanProcessor =
    options.synchronousExport === true ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'spillway' }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const spans = new RequestSpans({
    tracer: provider.getTracer('spillway'),
    clock: options.clock ?? systemClock,
    serverAddress: options.serverAddress,
    maxOpenRequests: options.maxOpenRequests,
    groupName: options.groupName,
  });
  return {
    sink: spans,
    traceparentFor: (requestId) => spans.traceparentFor(requestId),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

function exporterFromEnvironment(env: Environment): SpanExporter {
  const name = env['OTEL_TRACES_EXPORTER']?.split(',')[0]?.trim().toLowerCase() ?? 'otlp';
  if (name === 'console') return new ConsoleSpanExporter();
  // otlp (the default); the exporter reads OTEL_EXPORTER_OTLP_* itself
  return new OTLPTraceExporter();
}
