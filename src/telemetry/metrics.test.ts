import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from './metrics.ts';
import {
  findSamples,
  parsePrometheusText,
  sumSamples,
  type MetricFamily,
} from '../../test/support/telemetry/prometheus-text.ts';
import { scriptedEvents } from '../../test/support/telemetry/scripted-events.ts';

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
    const metrics = createMetrics({ defaultMetrics: false, deployments: ['sonnet-east', 'sonnet-west'] });
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
});
