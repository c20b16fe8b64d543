import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/config/schema.ts';
import { DashboardSummaryBuilder } from '../src/dashboard/dashboard-summary.ts';
import { histogramQuantile } from '../src/dashboard/histogram-quantile.ts';
import { createMetricInstruments } from '../src/telemetry/metric-instruments.ts';
import { FakeClock } from './support/fake-clock.ts';

// The summary's arithmetic: percentiles from histogram buckets as Prometheus computes them, and
// rates over the window between samples, driven by a fake clock.

describe('histogramQuantile', () => {
  it('interpolates inside the bucket the rank falls in', () => {
    const buckets = [
      { le: 0.1, count: 50 },
      { le: 0.5, count: 90 },
      { le: 1, count: 100 },
      { le: Infinity, count: 100 },
    ];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1);
    expect(histogramQuantile(0.25, buckets)).toBeCloseTo(0.05);
    expect(histogramQuantile(0.7, buckets)).toBeCloseTo(0.3);
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(0.75);
  });

  it('answers undefined for no observations and the top finite bound for the +Inf bucket', () => {
    expect(histogramQuantile(0.5, [])).toBeUndefined();
    expect(histogramQuantile(0.5, [{ le: Infinity, count: 0 }])).toBeUndefined();
    expect(
      histogramQuantile(0.99, [
        { le: 1, count: 1 },
        { le: Infinity, count: 10 },
      ]),
    ).toBe(1);
  });
});

describe('DashboardSummaryBuilder', () => {
  const config = configSchema.parse({
    providers: { p: { type: 'openai', base_url: 'http://127.0.0.1:1/v1', region: 'eu-west-1' } },
    models: { g: { deployments: [{ id: 'd', provider: 'p', model: 'm' }] } },
  });

  it('answers rates over the window since an earlier sample, and the window TTFT', async () => {
    const registry = new Registry();
    const metrics = createMetricInstruments(registry);
    const clock = new FakeClock();
    const builder = new DashboardSummaryBuilder({ registry, config: () => config, clock });
    const request = (outcome: 'success' | 'error', firstTokenSeconds?: number) => {
      metrics.requests.labels('t', 'g', 'chat', 'false', outcome === 'error' ? '5xx' : '2xx', outcome).inc();
      if (firstTokenSeconds !== undefined)
        metrics.timeToFirstToken.labels('g', 'd').observe(firstTokenSeconds);
    };
    request('success', 4);

    const first = await builder.read();
    expect(first.window_seconds).toBeNull();
    expect(first.groups[0]).toMatchObject({ name: 'g', requests_total: 1, requests_per_second: null });
    expect(first.groups[0]?.ttft_scope).toBe('since_start');
    expect(first.deployments[0]).toMatchObject({ id: 'd', region: 'eu-west-1', circuit: 'closed' });

    for (let i = 0; i < 18; i++) request('success', 0.2);
    request('error');
    request('error');
    metrics.circuitState.labels('d').set(2);
    await clock.advance(10_000);

    const second = await builder.read();
    expect(second.window_seconds).toBe(10);
    const group = second.groups[0]!;
    expect(group.requests_total).toBe(21);
    expect(group.requests_per_second).toBe(2);
    expect(group.error_ratio).toBe(0.1);
    expect(group.ttft_scope).toBe('window');
    expect(group.ttft_p95_ms).toBeLessThanOrEqual(250);
    expect(group.history).toEqual([2]);
    expect(second.totals).toMatchObject({
      requests_total: 21,
      errors_total: 2,
      requests_per_second: 2,
      error_ratio: 0.1,
    });
    expect(second.deployments[0]?.circuit).toBe('open');
  });

  it('answers routing decisions by rule and cache hits, misses and savings by group', async () => {
    const registry = new Registry();
    const metrics = createMetricInstruments(registry);
    const builder = new DashboardSummaryBuilder({ registry, config: () => config, clock: new FakeClock() });
    metrics.routeDecisions.get('auto', 'default', 'cheap').inc(3);
    metrics.routeDecisions.get('auto', 'rule-1', 'strong').inc(5);
    metrics.routeDecisions.get('auto', 'cascade-max_tokens', 'strong').inc();
    metrics.cacheLookups.get('g', 'hit').inc(3);
    metrics.cacheLookups.get('g', 'miss').inc(1);
    metrics.cacheLookups.get('g', 'bypass').inc(2);
    metrics.cacheSavedUsd.get('g').inc(0.0125);
    const summary = await builder.read();
    expect(summary.routing).toEqual([
      { router: 'auto', rule: 'rule-1', target: 'strong', decisions_total: 5 },
      { router: 'auto', rule: 'default', target: 'cheap', decisions_total: 3 },
      { router: 'auto', rule: 'cascade-max_tokens', target: 'strong', decisions_total: 1 },
    ]);
    expect(summary.cache).toEqual([
      { group: 'g', hits_total: 3, misses_total: 1, bypasses_total: 2, hit_ratio: 0.75, saved_usd: 0.0125 },
    ]);
  });
});
