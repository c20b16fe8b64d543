import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../errors/gateway-error.ts';
import {
  chatRequest,
  configWith,
  createHarness,
  principalOf,
  ScriptedChatModel,
  type Harness,
} from '../../test/support/pipeline/gateway-harness.ts';

function ok(id: string): ScriptedChatModel {
  return new ScriptedChatModel(id, [{ kind: 'ok' }]);
}

async function fire(harness: Harness, model: string, count: number, tenant = 'anonymous', limits = {}) {
  const principal = principalOf(tenant, limits);
  return Promise.allSettled(
    Array.from({ length: count }, () => harness.gateway.chat(chatRequest(model), harness.context(principal))),
  );
}

function deploymentsOf(
  results: PromiseSettledResult<{ route: { target: { deployment: string } | undefined } }>[],
) {
  const counts: Record<string, number> = {};
  for (const result of results) {
    const key = result.status === 'fulfilled' ? (result.value.route.target?.deployment ?? 'none') : 'failed';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

const fallbackConfig = (primaryRpm: number, fallbackRpm: number) =>
  configWith({
    primary: {
      fallbacks: ['backup'],
      deployments: [{ id: 'p1', provider: 'east', model: 'm-primary', rpm: primaryRpm }],
    },
    backup: { deployments: [{ id: 'b1', provider: 'east', model: 'm-backup', rpm: fallbackRpm }] },
  });

describe('scenario: fallback', () => {
  it.each([
    [3, 25, 10, { p1: 3, b1: 7 }],
    [5, 25, 12, { p1: 5, b1: 7 }],
    [2, 4, 9, { p1: 2, b1: 4, failed: 3 }],
  ])('rpm %i primary, %i fallback, %i concurrent', async (primaryRpm, fallbackRpm, count, expected) => {
    const harness = createHarness(fallbackConfig(primaryRpm, fallbackRpm), {
      p1: ok('m-primary'),
      b1: ok('m-backup'),
    });
    const results = await fire(harness, 'primary', count);
    expect(deploymentsOf(results)).toEqual(expected);
    const fallbacks = harness.eventsOf('fallback-taken');
    expect(fallbacks).toHaveLength(count - primaryRpm);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      const error = failed.reason as GatewayError;
      expect(error.code).toBe('no_capacity');
      expect(error.status).toBe(429);
      expect(error.retryAfterMs).toBeGreaterThan(0);
    }
  });
});

describe('scenario: loadbalance', () => {
  it.each([
    [3, 3, 25, 10, 4],
    [2, 4, 25, 10, 4],
    [3, 3, 2, 10, 2],
  ])('rpm %i + %i, fallback %i, %i concurrent', async (a, b, fallback, count, expectedFallback) => {
    const config = configWith({
      lb: {
        fallbacks: ['overflow'],
        deployments: [
          { id: 'a', provider: 'east', model: 'm-a', rpm: a },
          { id: 'b', provider: 'west', model: 'm-b', rpm: b },
        ],
      },
      overflow: { deployments: [{ id: 'o', provider: 'east', model: 'm-o', rpm: fallback }] },
    });
    const harness = createHarness(config, { a: ok('m-a'), b: ok('m-b'), o: ok('m-o') });
    const counts = deploymentsOf(await fire(harness, 'lb', count));
    expect(counts.a).toBe(a);
    expect(counts.b).toBe(b);
    expect(counts.o).toBe(expectedFallback);
    expect(counts.failed ?? 0).toBe(count - a - b - expectedFallback);
  });

  it('splits weights 9:1 close to 90/10', async () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const config = configWith({
      canary: {
        deployments: [
          { id: 'stable', provider: 'east', model: 'm', weight: 9 },
          { id: 'canary', provider: 'east', model: 'm2', weight: 1 },
        ],
      },
    });
    const harness = createHarness(config, { stable: ok('m'), canary: ok('m2') }, { random });
    const counts = deploymentsOf(await fire(harness, 'canary', 1000));
    expect(counts.stable).toBeGreaterThan(870);
    expect(counts.stable).toBeLessThan(930);
    expect((counts.stable ?? 0) + (counts.canary ?? 0)).toBe(1000);
  });
});

describe('scenario: quota', () => {
  it.each([
    [3, 10, 5],
    [2, 7, 6],
  ])('tenant A rpm %i, B and C rpm %i, %i concurrent each', async (rpmA, rpmOthers, each) => {
    const config = configWith({ shared: { deployments: [{ id: 's', provider: 'east', model: 'm' }] } });
    const harness = createHarness(config, { s: ok('m') });
    const [resultsA, resultsB, resultsC] = await Promise.all([
      fire(harness, 'shared', each, 'A', { rpm: rpmA }),
      fire(harness, 'shared', each, 'B', { rpm: rpmOthers }),
      fire(harness, 'shared', each, 'C', { rpm: rpmOthers }),
    ]);
    const okCount = (results: PromiseSettledResult<unknown>[]) =>
      results.filter((r) => r.status === 'fulfilled').length;
    expect(okCount(resultsA)).toBe(rpmA);
    expect(okCount(resultsB)).toBe(Math.min(each, rpmOthers));
    expect(okCount(resultsC)).toBe(Math.min(each, rpmOthers));
    for (const result of resultsA) {
      if (result.status !== 'rejected') continue;
      const error = result.reason as GatewayError;
      expect(error.code).toBe('rate_limited');
      expect(error.status).toBe(429);
      expect(error.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(error.headers['retry-after-ms']).toMatch(/^[1-9]\d*$/);
      expect(error.headers['ratelimit-policy']).toBe('"tenant-rpm";q=' + String(rpmA) + ';w=60');
      expect(error.headers.ratelimit).toContain('r=0');
    }
    // Rejections never reach an upstream: attempts equal successes.
    expect(harness.eventsOf('attempt-finished')).toHaveLength(rpmA + 2 * Math.min(each, rpmOthers));
  });
});

describe('GCRA windows through the gateway', () => {
  it('rpm 3: three pass, then 429 until one emission interval (20 s) has passed', async () => {
    const config = configWith({ g: { deployments: [{ id: 'd', provider: 'east', model: 'm' }] } });
    const harness = createHarness(config, { d: ok('m') });
    const principal = principalOf('t', { rpm: 3 });
    const send = () => harness.gateway.chat(chatRequest('g'), harness.context(principal));
    const first = await send();
    expect(first.headers['x-ratelimit-remaining-requests']).toBe('2');
    expect(first.headers['ratelimit-policy']).toBe('"tenant-rpm";q=3;w=60');
    await send();
    await send();
    const rejected = (await send().catch((error: unknown) => error)) as GatewayError;
    expect(rejected.code).toBe('rate_limited');
    expect(rejected.retryAfterMs).toBe(20_000);
    await harness.clock.advance(19_999);
    await expect(send()).rejects.toMatchObject({ code: 'rate_limited' });
    await harness.clock.advance(1);
    const refilled = await send();
    expect(refilled.response.content).toEqual([{ type: 'text', text: 'from m' }]);
    expect(refilled.headers['x-ratelimit-remaining-requests']).toBe('0');
  });
});
