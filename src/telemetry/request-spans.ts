import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';
import type { Clock } from '../core/clock.ts';
import type {
  AttemptFinished,
  EventSink,
  GatewayEvent,
  RequestFinished,
  RequestStarted,
  Target,
} from '../core/gateway-events.ts';

/**
 * Turns pipeline events into spans: one SERVER span per client request (`chat {group}`, a child of
 * the client's traceparent when it sent one) and one CLIENT span per upstream attempt, with explicit
 * start and end times taken from the events. Attributes follow the OpenTelemetry GenAI semantic
 * conventions (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/), plus `spillway.*`.
 */

export interface RequestSpansOptions {
  readonly tracer: Tracer;
  readonly clock: Clock;
  /** Host of a target's upstream endpoint, for `server.address` (main.ts resolves it from config). */
  readonly serverAddress?: ((target: Target) => string | undefined) | undefined;
  /** Requests tracked at once; beyond it the oldest is ended as abandoned (a lost finish event). */
  readonly maxOpenRequests?: number | undefined;
  /**
   * The name a requested group goes by in span names (MetricLabelDomain.group: a configured group or
   * `unknown`), so a client's made-up model names do not become span names, which tracing backends
   * index as operations. Default: the name itself.
   */
  readonly groupName?: ((group: string) => string) | undefined;
}

/** Longest requested model name kept in `gen_ai.request.model` (it is the client's text). */
const maxRequestedModelLength = 256;

/** `gen_ai.provider.name` values for our provider types (semconv well-known values). */
const genAiProvider: Readonly<Record<string, string>> = {
  bedrock: 'aws.bedrock',
  openai: 'openai',
  anthropic: 'anthropic',
};

interface OpenRequest {
  readonly span: Span;
  readonly startMs: number;
}

export class RequestSpans implements EventSink {
  private readonly tracer: Tracer;
  private readonly clock: Clock;
  private readonly serverAddress: ((target: Target) => string | undefined) | undefined;
  private readonly maxOpenRequests: number;
  private readonly groupName: (group: string) => string;
  private readonly open = new Map<string, OpenRequest>();

  constructor(options: RequestSpansOptions) {
    this.tracer = options.tracer;
    this.clock = options.clock;
    this.serverAddress = options.serverAddress;
    this.maxOpenRequests = options.maxOpenRequests ?? 10_000;
    this.groupName = options.groupName ?? ((group) => group);
  }

  /** Receives pipeline events; never throws. */
  emit(event: GatewayEvent): void {
    try {
      this.handle(event);
    } catch {
      // tracing must never break the request path; the span simply misses this event
    }
  }

  /**
   * The W3C traceparent naming the request's span, for propagating to an upstream (OpenAI-style
   * `traceparent` header); undefined when the request is not (or no longer) traced.
   */
  traceparentFor(requestId: string): string | undefined {
    const open = this.open.get(requestId);
    if (open === undefined) return undefined;
    const context = open.span.spanContext();
    const flags = (context.traceFlags & 0xff).toString(16).padStart(2, '0');
    return `00-${context.traceId}-${context.spanId}-${flags}`;
  }

  /** Requests whose span is still open. */
  openRequests(): number {
    return this.open.size;
  }

  private handle(event: GatewayEvent): void {
    switch (event.type) {
      case 'request-started':
        this.start(event, this.clock.now());
        return;
      case 'attempt-finished':
        this.attempt(event);
        return;
      case 'retry-scheduled':
        this.open.get(event.requestId)?.span.addEvent('spillway.retry_scheduled', {
          'spillway.deployment': event.fromDeployment,
          'spillway.retry_delay_ms': event.delayMs,
          'error.type': event.errorCode,
        });
        return;
      case 'retry-denied':
        this.open
          .get(event.requestId)
          ?.span.addEvent('spillway.retry_denied', { 'spillway.reason': event.reason });
        return;
      case 'hedge-finished':
        this.open.get(event.requestId)?.span.addEvent('spillway.hedge_finished', {
          'spillway.outcome': event.outcome,
          'spillway.deployment': event.deployment ?? '',
        });
        return;
      case 'fallback-taken':
        this.open.get(event.requestId)?.span.addEvent('spillway.fallback_taken', {
          'spillway.from_group': event.fromGroup,
          'spillway.to_group': event.toGroup,
          'error.type': event.errorCode,
        });
        return;
      case 'rate-limited':
        this.open.get(event.requestId)?.span.addEvent('spillway.rate_limited', {
          'spillway.limit_scope': event.scope,
          'spillway.limit': event.limit,
          ...(event.deployment === undefined ? {} : { 'spillway.deployment': event.deployment }),
        });
        return;
      case 'request-finished':
        this.finish(event);
        return;
      case 'stream-recovered':
        this.open.get(event.requestId)?.span.addEvent('spillway.stream_recovered', {
          'spillway.outcome': event.outcome,
          'error.type': event.errorCode,
        });
        return;
      case 'stream-event-skipped':
        return; // counted in metrics; one span event per skipped event would be noise
      case 'route-decided': {
        const span = this.open.get(event.requestId)?.span;
        if (span === undefined) return;
        const attributes: Record<string, string | number | boolean> = {
          'spillway.router': event.router,
          'spillway.route_rule': event.rule,
          'spillway.route_target': event.target,
        };
        if (event.complexity !== undefined) {
          attributes['spillway.complexity'] = event.complexity.score;
          for (const [name, value] of Object.entries(event.complexity.features)) {
            attributes[`spillway.complexity.${name}`] = value;
          }
        }
        span.addEvent('spillway.route_decided', attributes);
        return;
      }
      case 'guardrail-applied':
        this.open.get(event.requestId)?.span.addEvent('spillway.guardrail', {
          'spillway.guardrail': event.guardrail,
          'spillway.guardrail_action': event.action,
          'spillway.guardrail_direction': event.direction,
          'spillway.guardrail_entities': Object.keys(event.entities).join(','),
        });
        return;
      case 'cache-lookup':
        this.open.get(event.requestId)?.span.addEvent('spillway.cache_lookup', {
          'spillway.cache_result': event.result,
          ...(event.savedUsd === undefined ? {} : { 'spillway.cache_saved_usd': event.savedUsd }),
        });
        return;
      case 'circuit-changed':
      case 'cooldown-started':
        return; // not about one request: metrics carry these
    }
  }

  private start(
    event: Pick<RequestStarted, 'requestId' | 'group' | 'tenant' | 'stream' | 'traceparent'>,
    startMs: number,
  ): OpenRequest {
    const parent = event.traceparent === undefined ? undefined : parseTraceParent(event.traceparent);
    const context =
      parent === null || parent === undefined
        ? ROOT_CONTEXT
        : trace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: true });
    const span = this.tracer.startSpan(
      `chat ${this.groupName(event.group)}`,
      {
        kind: SpanKind.SERVER,
        startTime: startMs,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': event.group.slice(0, maxRequestedModelLength),
          'spillway.request_id': event.requestId,
          'spillway.tenant': event.tenant,
          'spillway.stream': event.stream,
        },
      },
      context,
    );
    const open = { span, startMs };
    if (this.open.size >= this.maxOpenRequests) this.abandonOldest();
    this.open.set(event.requestId, open);
    return open;
  }

  private abandonOldest(): void {
    for (const [requestId, oldest] of this.open) {
      oldest.span.setAttribute('spillway.abandoned', true);
      oldest.span.end(this.clock.now());
      this.open.delete(requestId);
      return;
    }
  }

  private attempt(event: AttemptFinished): void {
    const endMs = this.clock.now();
    const startMs = endMs - event.durationMs;
    const parent =
      this.open.get(event.requestId) ??
      this.start(
        { requestId: event.requestId, group: event.target.group, tenant: event.tenant, stream: false },
        startMs,
      );
    const target = event.target;
    const attributes: Attributes = {
      'gen_ai.operation.name': 'chat',
      ...targetAttributes(target),
      'gen_ai.request.model': target.model,
      'spillway.attempt': event.attempt,
      'spillway.tenant': event.tenant,
    };
    const address = this.serverAddress?.(target);
    if (address !== undefined) attributes['server.address'] = address;
    if (event.upstreamStatus !== undefined) attributes['http.response.status_code'] = event.upstreamStatus;
    if (event.outcome === 'success') attributes['gen_ai.response.model'] = target.model;
    const span = this.tracer.startSpan(
      `chat ${target.model}`,
      { kind: SpanKind.CLIENT, startTime: startMs, attributes },
      trace.setSpan(ROOT_CONTEXT, parent.span),
    );
    if (event.firstTokenMs !== undefined) span.addEvent('spillway.first_token', startMs + event.firstTokenMs);
    if (event.outcome === 'error') {
      const errorType = event.errorCode ?? 'error';
      span.setAttribute('error.type', errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
    }
    span.end(endMs);
  }

  private finish(event: RequestFinished): void {
    const open =
      this.open.get(event.requestId) ??
      this.start(
        {
          requestId: event.requestId,
          group: event.requestedGroup,
          tenant: event.tenant,
          stream: event.stream,
          traceparent: undefined,
        },
        event.startedAt,
      );
    this.open.delete(event.requestId);
    const span = open.span;
    const operation = event.endpoint === 'embeddings' ? 'embeddings' : 'chat';
    if (operation !== 'chat') span.updateName(`${operation} ${this.groupName(event.requestedGroup)}`);
    const attributes: Attributes = {
      'gen_ai.operation.name': operation,
      'gen_ai.usage.input_tokens': event.inputTokens,
      'gen_ai.usage.output_tokens': event.outputTokens,
      'http.response.status_code': event.status,
      'spillway.key_id': event.keyId,
      'spillway.attempts': event.attempts,
      'spillway.fallbacks': event.fallbacks,
      'spillway.overhead_ms': event.overheadMs,
    };
    if (event.target !== undefined) {
      Object.assign(attributes, targetAttributes(event.target));
      attributes['gen_ai.response.model'] = event.target.model;
      attributes['spillway.served_group'] = event.target.group;
    }
    if (event.costUsd !== undefined) attributes['spillway.cost_usd'] = event.costUsd;
    if (event.firstTokenMs !== undefined) {
      attributes['spillway.first_token_ms'] = event.firstTokenMs;
      span.addEvent('spillway.first_token', event.startedAt + event.firstTokenMs);
    }
    span.setAttributes(attributes);
    if (event.errorCode !== undefined) {
      span.setAttribute('error.type', event.errorCode);
      // a client's own mistake (4xx) is not a server error; 5xx and in-band stream failures are
      if (event.status >= 500 || event.status < 400)
        span.setStatus({ code: SpanStatusCode.ERROR, message: event.errorCode });
    }
    span.end(Math.max(open.startMs, event.startedAt + event.latencyMs));
  }
}

function targetAttributes(target: Target): Attributes {
  const provider = genAiProvider[target.providerType] ?? target.providerType;
  return {
    'gen_ai.provider.name': provider,
    'gen_ai.system': provider,
    'spillway.provider': target.provider,
    'spillway.deployment': target.deployment,
    'spillway.region': target.region,
    'spillway.account': target.account,
  };
}
