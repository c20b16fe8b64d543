import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CounterSeries, GaugeSeries, HistogramSeries } from './metric-series.ts';

// The series must expose exactly what prom-client's own metrics expose for the same updates.

const labelNames = ['group', 'deployment'] as const;
const buckets = [0.005, 0.01, 0.1, 1, 10];
const updates: readonly [string, string, number][] = [
  ['a', 'x', 0.004],
  ['b', 'y', 0.5],
  ['a', 'x', 0.01],
  ['a', 'z', 20],
  ['b', 'y', 0.1],
  ['a', 'x', 3.25],
];

function pair(): { ours: Registry; theirs: Registry } {
  const ours = new Registry();
  const theirs = new Registry();
  const counter = new CounterSeries(ours, { name: 'c_total', help: 'c', labelNames });
  const gauge = new GaugeSeries(ours, { name: 'g', help: 'g', labelNames });
  const histogram = new HistogramSeries(ours, { name: 'h_seconds', help: 'h', labelNames, buckets });
  const counter2 = new Counter({ name: 'c_total', help: 'c', labelNames, registers: [theirs] });
  const gauge2 = new Gauge({ name: 'g', help: 'g', labelNames, registers: [theirs] });
  const histogram2 = new Histogram({
    name: 'h_seconds',
    help: 'h',
    labelNames,
    buckets,
    registers: [theirs],
  });
  for (const [group, deployment, value] of updates) {
    counter.get(group, deployment).inc(value);
    counter2.labels(group, deployment).inc(value);
    gauge.labels(group, deployment).inc();
    gauge2.labels(group, deployment).inc();
    gauge.get(group, deployment).dec(value);
    gauge2.labels(group, deployment).dec(value);
    histogram.get(group, deployment).observe(value);
    histogram2.labels(group, deployment).observe(value);
  }
  return { ours, theirs };
}

describe('metric series', () => {
  it('expose the same text and JSON as prom-client metrics given the same updates', async () => {
    const { ours, theirs } = pair();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    // a second scrape reads the same totals (collect does not add them twice)
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('reject what prom-client rejects: a decreasing counter, a non-finite value, a wrong label count', () => {
    const registry = new Registry();
    const counter = new CounterSeries(registry, { name: 'c_total', help: 'c', labelNames });
    const histogram = new HistogramSeries(registry, { name: 'h', help: 'h', labelNames, buckets });
    expect(() => {
      counter.get('a', 'b').inc(-1);
    }).toThrow('decrease');
    expect(() => {
      histogram.get('a', 'b').observe(Number.NaN);
    }).toThrow(TypeError);
    expect(() => counter.labels('a')).toThrow('Invalid number of arguments');
  });
});
