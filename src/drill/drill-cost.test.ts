import { describe, expect, it } from 'vitest';
import { faultSpecSchema } from '../simulator/fault-spec.ts';
import { cheapestMix, faultHits, feasibleRoutes, RouteCapacity, type RouteInfo } from './drill-cost.ts';
import { percentiles } from './drill-stats.ts';

function route(id: string, overrides: Partial<RouteInfo> = {}): RouteInfo {
  return {
    id,
    group: 'g',
    tier: 0,
    api: 'bedrock',
    model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    region: 'us-east-1',
    account: '111111111111',
    input: 3.3,
    output: 16.5,
    rpm: Number.POSITIVE_INFINITY,
    ...overrides,
  };
}

const fault = (input: unknown) => faultSpecSchema.parse(input);

describe('the cheapest feasible route', () => {
  it('takes out the routes a fault hits: account, own region, base model of a profile, at least half the requests', () => {
    const east = route('east');
    expect(faultHits(fault({ kind: 'throttle', account: '111111111111' }), east)).toBe(true);
    expect(faultHits(fault({ kind: 'throttle', account: '222222222222' }), east)).toBe(false);
    expect(faultHits(fault({ kind: 'hang', region: 'us-west-2' }), east)).toBe(false);
    expect(
      faultHits(
        fault({ kind: 'error', status: 503, model: 'anthropic.claude-sonnet-4-5-20250929-v1:0' }),
        east,
      ),
    ).toBe(true);
    expect(faultHits(fault({ kind: 'error', status: 503, rate: 0.1 }), east)).toBe(false);
    expect(faultHits(fault({ kind: 'error', status: 503, api: 'openai' }), east)).toBe(false);
  });

  it('fills the group cheapest first up to what its limit admits, then its fallbacks', () => {
    const cheap = route('cheap', { input: 3, output: 15, rpm: 60 });
    const dear = route('dear');
    const fallback = route('fallback', { tier: 1, input: 1, output: 1 });
    const capacity = new RouteCapacity();
    const available = (seconds: number) => (candidate: RouteInfo) => capacity.available(candidate, seconds);
    // A burst of a minute's worth plus the refill over the phase: 60 + 60 x 30/60 = 90 on the cheap route.
    const first = cheapestMix([dear, cheap, fallback], 120, 100, 10, available(30));
    expect(first?.routes).toEqual(['cheap', 'dear']);
    expect(first?.taken.get('cheap')).toBe(90);
    expect(first?.input).toBeCloseTo((90 * 3 + 30 * 3.3) / 120);
    capacity.use([cheap, dear], 30, first?.taken ?? new Map());
    // The bucket is empty now: the next 30 s refill 30.
    expect(capacity.available(cheap, 30)).toBe(30);
    expect(cheapestMix([dear, cheap], 20, 100, 10, available(30))).toMatchObject({ input: 3, output: 15 });
    expect(feasibleRoutes([cheap, dear], [fault({ kind: 'throttle' })])).toEqual([]);
    expect(cheapestMix([], 10, 1, 1, () => 1)).toBeUndefined();
  });

  it('computes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentiles(values)).toEqual({ p50: 50, p95: 95, p99: 99 });
    expect(percentiles([7])).toEqual({ p50: 7, p95: 7, p99: 7 });
    expect(percentiles([])).toBeNull();
  });
});
