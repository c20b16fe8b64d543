import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayEvent, RequestFinished, Target } from '../core/gateway-events.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import {
  findSamples,
  parsePrometheusText,
  sumSamples,
  type MetricFamily,
} from '../../test/support/telemetry/prometheus-text.ts';
import { scriptedConfig, scriptedEvents } from '../../test/support/telemetry/scripted-events.ts';
import { MetricLabelDomain } from './metric-label-domain.ts';

let server: Server | undefined;

afterEach(async () => {
  const open = server;
  server = undefined;
  if (open !== undefined) await new Promise((resolve) => open.close(resolve));
});

async function serve(metrics: Metrics): Promise<string> {
  server = createServer((req, res) => {
    void metrics.handle(req, res);
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(listening.address() as AddressInfo).port}/metrics`;
}

async function scrape(metrics: Metrics): Promise<MetricFamily[]> {
  const url = await serve(metrics);
  const response = await request(url);
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toContain('text/plain');
  return parsePrometheusText(await response.body.text());
}

describe('createMetrics', () => {
  it('counts what the scripted events say happened', async () => {
    const metrics = createMetrics({
      defaultMetrics: false,
      deployments: ['sonnet-east', 'sonnet-west'],
      labels: new MetricLabelDomain({ config: () => scriptedConfig }),
    });
    for (const event of scriptedEvents) metrics.sink.emit(event);
    const families = await scrape(metrics);
    const value = (name: string, labels: Record<string, string> = {}): number =>
      sumSamples(families, name, labels);

    expect(value('spillway_requests_total')).toBe(4);
    expect(
      value('spillway_requests_total', {
        tenant: 'acme',
        group: 'sonnet',
        status_class: '2xx',
        outcome: 'success',
      }),
    ).toBe(2);
    expect(
      value('spillway_requests_total', {
        tenant: 'acme',
        stream: 'true',
        outcome: 'error',
        status_class: '2xx',
      }),
    ).toBe(1);
    expect(value('spillway_requests_total', { tenant: 'noisy', status_class: '4xx', outcome: 'error' })).toBe(
      1,
    );
    expect(value('spillway_request_errors_total', { error_code: 'rate_limited' })).toBe(1);
    expect(value('spillway_request_errors_total', { error_code: 'upstream_stream_interrupted' })).toBe(1);

    expect(value('spillway_upstream_attempts_total')).toBe(5);
    expect(value('spillway_upstream_attempts_total', { deployment: 'sonnet-east', outcome: 'error' })).toBe(
      2,
    );
    expect(
      value('spillway_upstream_attempts_total', { error_code: 'upstream_rate_limited', region: 'us-east-1' }),
    ).toBe(1);
    expect(
      value('spillway_upstream_attempts_total', {
        deployment: 'sonnet-west',
        outcome: 'success',
        error_code: 'none',
      }),
    ).toBe(1);
    // an unknown error code is bounded to "other", never echoed as a label
    expect(value('spillway_upstream_attempts_total', { error_code: 'other' })).toBe(1);
    expect(
      findSamples(families, 'spillway_upstream_attempts_total', {
        error_code: 'a_code_outside_the_taxonomy',
      }),
    ).toEqual([]);

    expect(
      value('spillway_fallbacks_total', {
        from_group: 'sonnet',
        to_group: 'haiku',
        error_code: 'upstream_overloaded',
      }),
    ).toBe(1);
    expect(value('spillway_retries_total', { group: 'sonnet', deployment: 'sonnet-east' })).toBe(1);
    expect(value('spillway_retry_denials_total', { reason: 'budget-exhausted' })).toBe(1);
    expect(
      value('spillway_rate_limited_total', {
        scope: 'tenant',
        limit: 'rpm',
        tenant: 'noisy',
        deployment: 'none',
      }),
    ).toBe(1);
    expect(
      value('spillway_rate_limited_total', { scope: 'deployment', limit: 'tpm', deployment: 'sonnet-west' }),
    ).toBe(1);

    expect(value('spillway_circuit_state', { deployment: 'sonnet-east' })).toBe(2);
    expect(value('spillway_circuit_state', { deployment: 'sonnet-west' })).toBe(0);
    expect(
      value('spillway_circuit_transitions_total', { deployment: 'sonnet-east', from: 'closed', to: 'open' }),
    ).toBe(1);
    expect(value('spillway_cooldowns_total', { deployment: 'sonnet-east' })).toBe(1);

    expect(value('spillway_requests_in_flight')).toBe(1);
    expect(value('spillway_requests_in_flight', { group: 'haiku' })).toBe(1);

    expect(value('spillway_input_tokens_total')).toBe(170);
    expect(
      value('spillway_output_tokens_total', { group: 'haiku', deployment: 'haiku-east', tenant: 'acme' }),
    ).toBe(400);
    expect(value('spillway_cache_read_input_tokens_total')).toBe(10);
    expect(value('spillway_cost_usd_total')).toBeCloseTo(0.0035, 10);

    // histograms: counts equal the requests observed, buckets land where the latencies are
    expect(value('spillway_request_duration_seconds_count')).toBe(4);
    expect(value('spillway_request_duration_seconds_bucket', { le: '1', deployment: 'sonnet-west' })).toBe(1);
    expect(value('spillway_request_duration_seconds_bucket', { le: '+Inf', deployment: 'sonnet-west' })).toBe(
      2,
    );
    expect(value('spillway_time_to_first_token_seconds_count')).toBe(2);
    expect(value('spillway_time_to_first_token_seconds_bucket', { le: '0.5', group: 'haiku' })).toBe(1);
    expect(value('spillway_time_to_first_token_seconds_sum')).toBeCloseTo(1.45, 10);
    expect(value('spillway_time_to_last_token_seconds_count')).toBe(2);
    expect(value('spillway_upstream_attempt_duration_seconds_count', { outcome: 'error' })).toBe(3);
    expect(value('spillway_upstream_time_to_first_token_seconds_count')).toBe(2);
    expect(value('spillway_gateway_overhead_seconds_count')).toBe(4);
    expect(value('spillway_gateway_overhead_seconds_bucket', { le: '0.0001' })).toBe(1);
    expect(value('spillway_gateway_overhead_seconds_bucket', { le: '0.001' })).toBe(2);
    expect(value('spillway_gateway_overhead_seconds_sum')).toBeCloseTo(0.00385, 10);
    expect(value('spillway_state_store_degraded')).toBe(0);
  });

  it('never uses request ids or key ids as label values', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    for (const event of scriptedEvents) metrics.sink.emit(event);
    const families = await scrape(metrics);
    const values = families.flatMap((family) =>
      family.samples.flatMap((sample) => Object.values(sample.labels)),
    );
    expect(values.some((value) => value.startsWith('req-') || value.startsWith('key-'))).toBe(false);
  });

  it('decrements in-flight only for requests it saw start', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const finishedOnly = scriptedEvents.filter((event) => event.type === 'request-finished');
    for (const event of finishedOnly) metrics.sink.emit(event);
    const families = await scrape(metrics);
    expect(findSamples(families, 'spillway_requests_in_flight').every((sample) => sample.value >= 0)).toBe(
      true,
    );
    expect(sumSamples(families, 'spillway_requests_total')).toBe(4);
  });

  it('reports state-store degradation and process metrics', async () => {
    const metrics = createMetrics();
    metrics.setStateStoreDegraded(true);
    const families = await scrape(metrics);
    expect(sumSamples(families, 'spillway_state_store_degraded')).toBe(1);
    expect(findSamples(families, 'process_resident_memory_bytes').length).toBe(1);
    expect(families.find((family) => family.name === 'spillway_requests_total')?.type).toBe('counter');
  });

  it('answers 405 to anything but GET and HEAD, and HEAD without a body', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const url = await serve(metrics);
    const post = await request(url, { method: 'POST', body: '' });
    expect(post.statusCode).toBe(405);
    await post.body.dump();
    const head = await request(url, { method: 'HEAD' });
    expect(head.statusCode).toBe(200);
    expect(await head.body.text()).toBe('');
  });

  it('survives a malformed event without throwing', () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const broken = JSON.parse(
      '{"type":"attempt-finished","requestId":"r"}',
    ) as (typeof scriptedEvents)[number];
    expect(() => {
      metrics.sink.emit(broken);
    }).not.toThrow();
  });

  it('bounds label values to configured names: 5,000 made-up model names add one `unknown` group', async () => {
    const metrics = createMetrics({
      defaultMetrics: false,
      labels: new MetricLabelDomain({ config: () => scriptedConfig }),
    });
    const unknownModel = (index: number): GatewayEvent[] => {
      const requestId = `req-unknown-${index}`;
      const model = `made-up-model-${index}`;
      return [
        { type: 'request-started', requestId, tenant: 'acme', group: model, stream: false },
        {
          ...(scriptedEvents.find((event) => event.type === 'request-finished') as RequestFinished),
          requestId,
          requestedGroup: model,
          target: undefined,
          status: 404,
          errorCode: 'unknown_model',
          inputTokens: 0,
          outputTokens: 0,
          costUsd: undefined,
        },
      ];
    };
    const series = async (): Promise<number> =>
      (await scrape(metrics)).reduce((total, family) => total + family.samples.length, 0);
    for (const event of unknownModel(0)) metrics.sink.emit(event);
    const afterOne = await series();
    for (let index = 1; index < 5000; index += 1)
      for (const event of unknownModel(index)) metrics.sink.emit(event);
    expect(await series()).toBe(afterOne);
    const families = await scrape(metrics);
    const labelValues = families.flatMap((family) =>
      family.samples.flatMap((sample) => Object.values(sample.labels)),
    );
    expect(labelValues.some((value) => value.startsWith('made-up-model'))).toBe(false);
    expect(
      sumSamples(families, 'spillway_requests_total', {
        group: 'unknown',
        status_class: '4xx',
        outcome: 'error',
      }),
    ).toBe(5000);
    expect(
      sumSamples(families, 'spillway_request_errors_total', {
        group: 'unknown',
        error_code: 'unknown_model',
      }),
    ).toBe(5000);
    expect(sumSamples(families, 'spillway_requests_in_flight', { group: 'unknown' })).toBe(0);
  });

  it('maps every name the configuration does not declare to `unknown`, on every label', async () => {
    const metrics = createMetrics({
      defaultMetrics: false,
      labels: new MetricLabelDomain({ config: () => scriptedConfig }),
    });
    const stranger: Target = {
      group: 'not-a-group',
      deployment: 'not-a-deployment',
      provider: 'not-a-provider',
      providerType: 'openai',
      region: 'not-a-region',
      account: 'not-an-account',
      model: 'not-a-model',
    };
    const events: GatewayEvent[] = [
      {
        type: 'request-started',
        requestId: 'r1',
        tenant: 'not-a-tenant',
        group: 'not-a-group',
        stream: false,
      },
      {
        type: 'attempt-finished',
        requestId: 'r1',
        tenant: 'not-a-tenant',
        target: stranger,
        attempt: 1,
        outcome: 'success',
        durationMs: 5,
      },
      {
        type: 'attempt-finished',
        requestId: 'r1',
        tenant: 'not-a-tenant',
        target: stranger,
        attempt: 2,
        outcome: 'error',
        errorCode: 'timeout',
        durationMs: 5,
      },
      {
        type: 'retry-scheduled',
        requestId: 'r1',
        group: 'not-a-group',
        fromDeployment: 'not-a-deployment',
        delayMs: 1,
        errorCode: 'timeout',
      },
      {
        type: 'fallback-taken',
        requestId: 'r1',
        fromGroup: 'not-a-group',
        toGroup: 'also-not',
        errorCode: 'timeout',
      },
      {
        type: 'rate-limited',
        requestId: 'r1',
        scope: 'deployment',
        tenant: 'not-a-tenant',
        deployment: 'not-a-deployment',
        limit: 'rpm',
      },
      { type: 'circuit-changed', deployment: 'not-a-deployment', from: 'closed', to: 'open' },
      { type: 'cooldown-started', deployment: 'not-a-deployment', durationMs: 1, errorCode: 'timeout' },
      {
        ...(scriptedEvents.find((event) => event.type === 'request-finished') as RequestFinished),
        requestId: 'r1',
        tenant: 'not-a-tenant',
        requestedGroup: 'not-a-group',
        target: stranger,
        inputTokens: 3,
        outputTokens: 4,
        costUsd: 0.5,
      },
    ];
    for (const event of events) metrics.sink.emit(event);
    const families = await scrape(metrics);
    const samples = families.flatMap((family) => family.samples);
    const labelValues = samples.flatMap((sample) => Object.values(sample.labels));
    expect(labelValues.filter((value) => value.startsWith('not-') || value.startsWith('also-'))).toEqual([]);
    expect(samples.filter((sample) => sample.name.startsWith('spillway_')).length).toBeGreaterThan(0);
    expect(
      sumSamples(families, 'spillway_cost_usd_total', {
        tenant: 'unknown',
        group: 'unknown',
        deployment: 'unknown',
      }),
    ).toBe(0.5);
    expect(
      sumSamples(families, 'spillway_upstream_attempts_total', {
        group: 'unknown',
        deployment: 'unknown',
        provider: 'unknown',
        region: 'unknown',
      }),
    ).toBe(2);
  });

  it('leaves the tenant label out when tenant labels are off, totals unchanged', async () => {
    const metrics = createMetrics({
      defaultMetrics: false,
      labels: new MetricLabelDomain({ config: () => scriptedConfig, tenantLabels: false }),
    });
    for (const event of scriptedEvents) metrics.sink.emit(event);
    const text = await metrics.registry.metrics();
    expect(text).not.toMatch(/tenant=/);
    const families = parsePrometheusText(text);
    expect(sumSamples(families, 'spillway_requests_total')).toBe(4);
    expect(sumSamples(families, 'spillway_cost_usd_total')).toBeCloseTo(0.0035, 10);
    expect(findSamples(families, 'spillway_cost_usd_total').length).toBe(2);
    expect(sumSamples(families, 'spillway_rate_limited_total')).toBe(2);
  });

  it('learns the names a reload adds, and reads known tenants beyond the file', async () => {
    let config = scriptedConfig;
    const metrics = createMetrics({
      defaultMetrics: false,
      labels: new MetricLabelDomain({
        config: () => config,
        knownTenant: (name) => name === 'from-admin-api',
      }),
    });
    const started = (requestId: string, group: string): GatewayEvent => ({
      type: 'request-started',
      requestId,
      tenant: 'acme',
      group,
      stream: false,
    });
    metrics.sink.emit(started('r1', 'opus'));
    config = {
      ...scriptedConfig,
      models: { ...scriptedConfig.models, opus: scriptedConfig.models['sonnet']! },
    };
    metrics.sink.emit(started('r2', 'opus'));
    metrics.sink.emit({
      type: 'rate-limited',
      requestId: 'r3',
      scope: 'tenant',
      tenant: 'from-admin-api',
      limit: 'rpm',
    });
    const families = await scrape(metrics);
    expect(sumSamples(families, 'spillway_requests_in_flight', { group: 'unknown' })).toBe(1);
    expect(sumSamples(families, 'spillway_requests_in_flight', { group: 'opus' })).toBe(1);
    expect(sumSamples(families, 'spillway_rate_limited_total', { tenant: 'from-admin-api' })).toBe(1);
  });
});
