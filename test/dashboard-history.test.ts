import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/config/schema.ts';
import type { GatewayEvent, RequestFinished, Target } from '../src/core/gateway-events.ts';
import { BreakerTimeline } from '../src/dashboard/breaker-timeline.ts';
import {
  countsOf,
  errorClass,
  latenciesOf,
  latencyCell,
  latencyQuantile,
} from '../src/dashboard/history-bucket.ts';
import { historyRanges, historyView } from '../src/dashboard/history-view.ts';
import { TrafficHistory } from '../src/dashboard/traffic-history.ts';
import { FakeClock } from './support/fake-clock.ts';
import { requestFinished } from './support/telemetry/request-finished.ts';

// The dashboard's time series: buckets counted from pipeline events with a fake clock, rolled up
// from the fine tier into the coarse one, bounded in memory, and shaped for the charts.

const start = 1_800_000_000_000; // a whole hour: bucket boundaries fall on round numbers
const target = (deployment: string, region = 'us-east-1', account = '111'): Target => ({
  group: deployment.split('-')[0] ?? 'g',
  deployment,
  provider: 'p',
  providerType: 'openai',
  region,
  account,
  model: 'm',
});

/** The clock of the history under test: a request-finished event ends at its time. */
let testClock = new FakeClock(start);

function finished(group: string, options: Partial<RequestFinished> = {}): RequestFinished {
  return requestFinished({
    requestedGroup: group,
    target: target(`${group}-a`),
    startedAt: testClock.now() - 100,
    latencyMs: 100,
    firstTokenMs: 100,
    ...options,
  });
}

const attempt = (deployment: string, outcome: 'success' | 'error', region?: string): GatewayEvent => ({
  type: 'attempt-finished',
  requestId: 'r',
  tenant: 't',
  target: target(deployment, region),
  attempt: 1,
  outcome,
  durationMs: 10,
});

function world() {
  const clock = new FakeClock(start);
  testClock = clock;
  const history = new TrafficHistory({ clock, knownGroup: (name) => ['sonnet', 'gpt'].includes(name) });
  return { clock, history };
}

describe('TrafficHistory', () => {
  it('counts requests, errors by class, attempts by deployment, region and account into 10 s buckets', async () => {
    const { clock, history } = world();
    history.emit(finished('sonnet'));
    history.emit(finished('sonnet', { errorCode: 'upstream_overloaded', status: 529 }));
    history.emit(finished('made-up-model', { errorCode: 'unknown_model', status: 404, target: undefined }));
    history.emit(attempt('sonnet-a', 'success', 'us-east-1'));
    history.emit(attempt('sonnet-b', 'error', 'eu-west-1'));
    await clock.advance(10_000);
    history.emit(finished('gpt'));
    await clock.advance(5_000);

    const read = history.read(60_000);
    expect(read.intervalMs).toBe(10_000);
    expect(read.starts).toHaveLength(6);
    expect(read.starts.at(-1)).toBe(start + 10_000);
    const previous = read.buckets[4]!;
    expect(Object.fromEntries(countsOf(previous, 'requests'))).toEqual({ sonnet: 2, unknown: 1 });
    expect(Object.fromEntries(countsOf(previous, 'error_classes'))).toEqual({ upstream: 1, client: 1 });
    expect(Object.fromEntries(countsOf(previous, 'failed_attempts'))).toEqual({ 'sonnet-b': 1 });
    expect(Object.fromEntries(countsOf(previous, 'regions'))).toEqual({ 'us-east-1': 1, 'eu-west-1': 1 });
    expect(Object.fromEntries(countsOf(read.buckets[5]!, 'requests'))).toEqual({ gpt: 1 });
    expect(read.buckets.slice(0, 4).every((bucket) => countsOf(bucket, 'requests').size === 0)).toBe(true);
  });

  it('counts a request in the bucket its own end time falls in (no second clock read)', async () => {
    const { clock, history } = world();
    await clock.advance(15_000);
    history.emit(finished('sonnet', { startedAt: start + 1000, latencyMs: 2000 }));
    const read = history.read(20_000);
    expect(read.buckets.map((bucket) => countsOf(bucket, 'requests').get('sonnet') ?? 0)).toEqual([1, 0]);
  });

  it('rolls fine buckets up into 1 min buckets, including the bucket still open', async () => {
    const { clock, history } = world();
    for (let i = 0; i < 6; i++) {
      history.emit(finished('sonnet', { firstTokenMs: 100 * (i + 1) }));
      await clock.advance(10_000);
    }
    // Now the second minute: two more requests, in the open fine bucket.
    history.emit(finished('sonnet'));
    history.emit(finished('sonnet', { costUsd: 0.25 }));
    const read = history.read(6 * 60 * 60_000);
    expect(read.intervalMs).toBe(60_000);
    expect(read.starts).toHaveLength(360);
    expect(countsOf(read.buckets.at(-2)!, 'requests').get('sonnet')).toBe(6);
    expect(countsOf(read.buckets.at(-1)!, 'requests').get('sonnet')).toBe(2);
    expect(countsOf(read.buckets.at(-1)!, 'spend_usd').get('sonnet')).toBe(0.25);
    const minute = latenciesOf(read.buckets.at(-2)!, 'group').get('sonnet')!;
    expect([...minute.values()].reduce((a, b) => a + b, 0)).toBe(6);
    // Reading the merged open bucket did not change what is stored.
    expect(countsOf(history.read(6 * 60 * 60_000).buckets.at(-1)!, 'requests').get('sonnet')).toBe(2);
  });

  it('keeps a bounded ring: an hour later the fine tier has forgotten, the coarse tier has not', async () => {
    const { clock, history } = world();
    history.emit(finished('sonnet'));
    await clock.advance(61 * 60_000);
    history.emit(finished('gpt'));
    const fine = history.read(60 * 60_000);
    expect(fine.starts).toHaveLength(360);
    const fineTotal = fine.buckets.reduce((sum, b) => sum + (countsOf(b, 'requests').get('sonnet') ?? 0), 0);
    expect(fineTotal).toBe(0);
    const coarse = history.read(6 * 60 * 60_000);
    expect(coarse.buckets.reduce((sum, b) => sum + (countsOf(b, 'requests').get('sonnet') ?? 0), 0)).toBe(1);
    // Seven hours on, nothing of the first request is left anywhere.
    await clock.advance(7 * 60 * 60_000);
    history.emit(finished('gpt'));
    const later = history.read(6 * 60 * 60_000);
    expect(later.buckets.some((b) => countsOf(b, 'requests').has('sonnet'))).toBe(false);
  });

  it('holds at most its ring sizes of buckets whatever the traffic (memory bound)', async () => {
    const clock = new FakeClock(start);
    testClock = clock;
    const history = new TrafficHistory({
      clock,
      knownGroup: () => true,
      fine: { intervalMs: 1000, buckets: 5 },
      coarse: { intervalMs: 5000, buckets: 3 },
    });
    for (let second = 0; second < 100; second++) {
      for (let i = 0; i < 10; i++) history.emit(finished('sonnet'));
      await clock.advance(1000);
    }
    const fine = history.read(1_000_000);
    expect(fine.intervalMs).toBe(5000); // past the fine tier's span, the coarse tier answers
    expect(fine.starts).toHaveLength(3);
    // Every full 5 s bucket has the 50 requests of its five seconds; the open one has none yet.
    expect(fine.buckets.map((b) => countsOf(b, 'requests').get('sonnet') ?? 0)).toEqual([50, 50, 0]);
    expect(history.read(5000).buckets.map((b) => countsOf(b, 'requests').get('sonnet') ?? 0)).toEqual([
      10, 10, 10, 10, 0,
    ]);
  });

  it('rejects a coarse interval that is not a multiple of the fine one', () => {
    expect(
      () =>
        new TrafficHistory({
          clock: new FakeClock(),
          knownGroup: () => true,
          fine: { intervalMs: 7000, buckets: 3 },
          coarse: { intervalMs: 10_000, buckets: 3 },
        }),
    ).toThrow(/whole number/);
  });
});

describe('latency cells', () => {
  it('puts values in 25 % cells and reads quantiles within a cell of the truth', () => {
    expect(latencyCell(0)).toBe(0);
    expect(latencyCell(1)).toBe(0);
    expect(latencyCell(1.25)).toBe(1);
    expect(latencyCell(1e12)).toBe(63);
    const cells = new Map<number, number>();
    for (let ms = 1; ms <= 1000; ms++) {
      const cell = latencyCell(ms);
      cells.set(cell, (cells.get(cell) ?? 0) + 1);
    }
    expect(latencyQuantile(0.5, cells)).toBeGreaterThan(500 / 1.25);
    expect(latencyQuantile(0.5, cells)).toBeLessThan(500 * 1.25);
    expect(latencyQuantile(0.99, cells)).toBeGreaterThan(990 / 1.25);
    expect(latencyQuantile(0.99, cells)).toBeLessThanOrEqual(1000 * 1.25);
    expect(latencyQuantile(0.5, new Map())).toBeUndefined();
  });
});

describe('errorClass', () => {
  it('maps every code to one of a fixed set of classes', () => {
    expect(errorClass('invalid_request')).toBe('client');
    expect(errorClass('upstream_invalid_request')).toBe('client');
    expect(errorClass('rate_limited')).toBe('limited');
    expect(errorClass('budget_exceeded')).toBe('limited');
    expect(errorClass('upstream_timeout')).toBe('timeout');
    expect(errorClass('upstream_rate_limited')).toBe('upstream');
    expect(errorClass('upstream_unavailable')).toBe('upstream');
    expect(errorClass('internal_error')).toBe('gateway');
    expect(errorClass('something-new')).toBe('gateway');
  });
});

describe('BreakerTimeline', () => {
  it('answers open and half-open spans clipped to the range, and cooldowns', () => {
    const timeline = new BreakerTimeline({ retentionMs: 60_000, maxPerDeployment: 10 });
    timeline.changed('d', 'closed', 'open', 1000);
    timeline.changed('d', 'open', 'half-open', 5000);
    timeline.changed('d', 'half-open', 'closed', 6000);
    timeline.changed('d', 'closed', 'open', 9000);
    timeline.cooled('d', 3000, 'upstream_rate_limited', 2000);
    expect(timeline.read('d', 3000, 10_000)).toEqual({
      states: [
        { from: 3000, to: 5000, state: 'open' },
        { from: 5000, to: 6000, state: 'half-open' },
        { from: 9000, to: null, state: 'open' },
      ],
      cooldowns: [{ from: 3000, to: 5000, error_code: 'upstream_rate_limited' }],
      state_now: 'open',
    });
    expect(timeline.read('other', 0, 10_000)).toEqual({ states: [], cooldowns: [], state_now: 'closed' });
  });

  it('forgets old changes but remembers the state they left', () => {
    const timeline = new BreakerTimeline({ retentionMs: 10_000, maxPerDeployment: 3 });
    timeline.changed('d', 'closed', 'open', 0);
    for (let i = 1; i <= 10; i++) timeline.cooled('d', 100, 'upstream_rate_limited', i * 1000);
    timeline.changed('d', 'open', 'half-open', 50_000);
    timeline.changed('d', 'half-open', 'open', 50_100);
    const read = timeline.read('d', 40_000, 60_000);
    expect(read.cooldowns).toHaveLength(0);
    expect(read.states).toEqual([
      { from: 40_000, to: 50_000, state: 'open' },
      { from: 50_000, to: 50_100, state: 'half-open' },
      { from: 50_100, to: null, state: 'open' },
    ]);
  });
});

describe('historyView', () => {
  const config = configSchema.parse({
    providers: { p: { type: 'openai', base_url: 'http://127.0.0.1:1/v1' } },
    models: {
      sonnet: {
        deployments: [
          { id: 'sonnet-a', provider: 'p', model: 'm' },
          { id: 'sonnet-b', provider: 'p', model: 'm' },
        ],
      },
    },
  });

  it('answers every series as one value per bucket, percentiles, spend and a lane per deployment', async () => {
    const { clock, history } = world();
    history.emit(finished('sonnet', { firstTokenMs: 200, costUsd: 0.001 }));
    history.emit(finished('sonnet', { errorCode: 'upstream_unavailable', status: 503 }));
    history.emit({ type: 'circuit-changed', deployment: 'sonnet-b', from: 'closed', to: 'open' });
    await clock.advance(30_000);
    const view = historyView(history.read(historyRanges['15m'] ?? 0), '15m', config, history.tiers);
    expect(view.interval_seconds).toBe(10);
    expect(view.buckets).toHaveLength(90);
    expect(view.requests.total.at(-4)).toBe(2);
    expect(view.requests.by_group.sonnet).toHaveLength(90);
    expect(view.errors.by_class.upstream?.at(-4)).toBe(1);
    expect(Object.keys(view.errors.by_class)).toEqual(
      expect.arrayContaining(['client', 'limited', 'timeout', 'upstream', 'gateway']),
    );
    const p50 = view.ttft_ms.by_group.sonnet?.p50.at(-4);
    expect(p50).toBeGreaterThan(160);
    expect(p50).toBeLessThanOrEqual(250);
    expect(view.ttft_ms.by_group.sonnet?.p50.at(-1)).toBeNull();
    expect(view.spend_usd.total.at(-4)).toBe(0.001);
    expect(view.deployments.map((lane) => [lane.id, lane.state_now])).toEqual([
      ['sonnet-a', 'closed'],
      ['sonnet-b', 'open'],
    ]);
    expect(view.deployments[1]?.states).toEqual([{ from: start, to: null, state: 'open' }]);
    expect(view.retention).toEqual({
      fine: { interval_seconds: 10, buckets: 360 },
      coarse: { interval_seconds: 60, buckets: 360 },
    });
  });
});
