import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { createTracing, tracesEnabled } from './tracing.ts';
import { east, haiku, scriptedConfig, scriptedEvents } from '../../test/support/telemetry/scripted-events.ts';
import { MetricLabelDomain } from './metric-label-domain.ts';

const clientTraceId = '0af7651916cd43dd8448eb211c80319c';
const clientSpanId = 'b7ad6b7169203331';

function hrToMs(time: readonly [number, number]): number {
  return time[0] * 1000 + time[1] / 1e6;
}

async function run() {
  const exporter = new InMemorySpanExporter();
  const clock = new FakeClock(1_700_000_000_000);
  const tracing = createTracing({
    exporter,
    synchronousExport: true,
    clock,
    env: {},
    serverAddress: (target) => (target.providerType === 'anthropic' ? 'api.anthropic.com' : undefined),
  });
  const traceparents = new Map<string, string | undefined>();
  for (const event of scriptedEvents) {
    await clock.advance(event.type === 'attempt-finished' ? event.durationMs : 1);
    tracing.sink.emit(event);
    if (event.type === 'request-started')
      traceparents.set(event.requestId, tracing.traceparentFor(event.requestId));
  }
  await tracing.forceFlush();
  const spans = exporter.getFinishedSpans();
  await tracing.shutdown();
  return { spans, traceparents, tracing };
}

function requestSpan(spans: readonly ReadableSpan[], requestId: string): ReadableSpan {
  const span = spans.find(
    (s) => s.kind === SpanKind.SERVER && s.attributes['spillway.request_id'] === requestId,
  );
  if (span === undefined) throw new Error(`no span for ${requestId}`);
  return span;
}

function childrenOf(spans: readonly ReadableSpan[], parent: ReadableSpan): ReadableSpan[] {
  return spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
}

describe('tracing', () => {
  it('makes one server span per request with a client span per attempt', async () => {
    const { spans } = await run();
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER);
    // req-4 never finished: its span is still open, not exported
    expect(servers.map((s) => s.attributes['spillway.request_id']).sort()).toEqual([
      'req-1',
      'req-2',
      'req-3',
      'req-5',
    ]);

    const first = requestSpan(spans, 'req-1');
    expect(first.name).toBe('chat sonnet');
    expect(first.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'sonnet',
      'gen_ai.response.model': 'anthropic.claude-sonnet',
      'gen_ai.provider.name': 'aws.bedrock',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 50,
      'spillway.deployment': 'sonnet-west',
      'spillway.region': 'us-west-2',
      'spillway.attempts': 2,
      'spillway.cost_usd': 0.0015,
      'http.response.status_code': 200,
    });
    expect(first.status.code).toBe(SpanStatusCode.UNSET);
    const attempts = childrenOf(spans, first);
    expect(
      attempts.map((s) => [s.kind, s.attributes['spillway.deployment'], s.attributes['error.type']]),
    ).toEqual([
      [SpanKind.CLIENT, 'sonnet-east', 'upstream_rate_limited'],
      [SpanKind.CLIENT, 'sonnet-west', undefined],
    ]);
    expect(attempts[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempts[0]?.attributes['http.response.status_code']).toBe(429);
    expect(attempts.every((s) => s.spanContext().traceId === first.spanContext().traceId)).toBe(true);
    // explicit times: each attempt lasts exactly its durationMs
    expect(attempts.map((s) => hrToMs(s.endTime) - hrToMs(s.startTime))).toEqual([120, 800]);
    expect(first.events.map((e) => e.name)).toContain('spillway.retry_scheduled');
    expect(hrToMs(first.endTime) - 1_700_000_000_000).toBe(1000);
  });

  it("honours the client's traceparent and hands out the request span's", async () => {
    const { spans, traceparents } = await run();
    const second = requestSpan(spans, 'req-2');
    expect(second.spanContext().traceId).toBe(clientTraceId);
    expect(second.parentSpanContext?.spanId).toBe(clientSpanId);
    expect(second.parentSpanContext?.isRemote).toBe(true);
    expect(traceparents.get('req-2')).toBe(`00-${clientTraceId}-${second.spanContext().spanId}-01`);
    // no client traceparent: a new root trace
    const first = requestSpan(spans, 'req-1');
    expect(first.parentSpanContext).toBeUndefined();
    expect(first.spanContext().traceId).not.toBe(clientTraceId);

    const attempts = childrenOf(spans, second);
    expect(attempts.map((s) => s.attributes['spillway.deployment'])).toEqual([
      east.deployment,
      haiku.deployment,
    ]);
    expect(attempts[1]?.attributes['server.address']).toBe('api.anthropic.com');
    expect(attempts[1]?.attributes['gen_ai.provider.name']).toBe('anthropic');
    expect(second.events.find((e) => e.name === 'spillway.fallback_taken')?.attributes).toMatchObject({
      'spillway.from_group': 'sonnet',
      'spillway.to_group': 'haiku',
    });
  });

  it('marks failures with error.type; a client-side 4xx is not a span error', async () => {
    const { spans } = await run();
    const limited = requestSpan(spans, 'req-3');
    expect(limited.attributes['error.type']).toBe('rate_limited');
    expect(limited.status.code).toBe(SpanStatusCode.UNSET);
    expect(limited.events.map((e) => e.name)).toEqual(['spillway.rate_limited']);
    const interrupted = requestSpan(spans, 'req-5');
    expect(interrupted.attributes['error.type']).toBe('upstream_stream_interrupted');
    expect(interrupted.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('forgets finished requests, bounds open ones and ignores a malformed traceparent', async () => {
    const { tracing } = await run();
    expect(tracing.traceparentFor('req-1')).toBeUndefined();
    expect(tracing.traceparentFor('req-4')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    const exporter = new InMemorySpanExporter();
    const bounded = createTracing({ exporter, synchronousExport: true, env: {}, maxOpenRequests: 2 });
    for (const requestId of ['a', 'b', 'c']) {
      bounded.sink.emit({
        type: 'request-started',
        requestId,
        tenant: 't',
        group: 'g',
        stream: false,
        traceparent: 'garbage',
      });
    }
    expect(bounded.traceparentFor('a')).toBeUndefined();
    expect(bounded.traceparentFor('c')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const abandoned = exporter.getFinishedSpans();
    expect(
      abandoned.map((s) => [s.attributes['spillway.request_id'], s.attributes['spillway.abandoned']]),
    ).toEqual([['a', true]]);
    expect(abandoned[0]?.parentSpanContext).toBeUndefined();
    await bounded.shutdown();
  });
});

describe('tracesEnabled', () => {
  it('is off by default and follows config and the OTEL_* variables', () => {
    expect(tracesEnabled(undefined, {})).toBe(false);
    expect(tracesEnabled(false, {})).toBe(false);
    expect(tracesEnabled(true, {})).toBe(true);
    expect(tracesEnabled(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(
      tracesEnabled(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector/v1/traces' }),
    ).toBe(true);
    expect(tracesEnabled(undefined, { OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(tracesEnabled(true, { OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(tracesEnabled(true, { OTEL_SDK_DISABLED: 'true' })).toBe(false);
  });

  it('names spans after configured groups only: a made-up model is `unknown` in the name, kept (bounded) as an attribute', async () => {
    const exporter = new InMemorySpanExporter();
    const domain = new MetricLabelDomain({ config: () => scriptedConfig });
    const tracing = createTracing({
      exporter,
      synchronousExport: true,
      clock: new FakeClock(1_700_000_000_000),
      env: {},
      groupName: (group) => domain.group(group),
    });
    const madeUp = `made-up-${'x'.repeat(1000)}`;
    const finished = scriptedEvents.find((event) => event.type === 'request-finished');
    if (finished === undefined) throw new Error('no request-finished event');
    for (const [requestId, group, endpoint] of [
      ['r-chat', madeUp, 'chat'],
      ['r-embed', madeUp, 'embeddings'],
      ['r-known', 'sonnet', 'chat'],
    ] as const) {
      tracing.sink.emit({ type: 'request-started', requestId, tenant: 'acme', group, stream: false });
      tracing.sink.emit({ ...finished, requestId, requestedGroup: group, endpoint, target: undefined });
    }
    await tracing.forceFlush();
    const spans = exporter.getFinishedSpans();
    await tracing.shutdown();
    expect(requestSpan(spans, 'r-chat').name).toBe('chat unknown');
    expect(requestSpan(spans, 'r-embed').name).toBe('embeddings unknown');
    expect(requestSpan(spans, 'r-known').name).toBe('chat sonnet');
    expect(requestSpan(spans, 'r-chat').attributes['gen_ai.request.model']).toBe(madeUp.slice(0, 256));
  });
});
