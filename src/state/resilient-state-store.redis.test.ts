import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { RedisStateStore } from './redis-state-store.ts';
import { ThrowawayRedis } from '../../test/support/state/redis-test-support.ts';
import { ResilientStateStore } from './resilient-state-store.ts';
import type { ReserveRequest } from '../core/state-store.ts';

/**
 * A real outage: two replicas share a private redis-server (never the shared one on 6379), which
 * the test kills and restarts.
 */
describe('ResilientStateStore through a Redis outage', () => {
  let redis: ThrowawayRedis;
  const clock = new FakeClock();
  const replicas: { primary: RedisStateStore; store: ResilientStateStore; changes: boolean[] }[] = [];

  beforeAll(async () => {
    redis = await ThrowawayRedis.start();
    for (let index = 0; index < 2; index += 1) {
      const primary = new RedisStateStore({ url: redis.url, prefix: 'outage:', clock });
      await primary.ready();
      // generous timeout: a busy test machine must not look like an outage
      const store = new ResilientStateStore({ primary, clock, timeoutMs: 1000, replicaCount: () => 2 });
      const changes: boolean[] = [];
      store.onDegradedChange((degraded) => changes.push(degraded));
      replicas.push({ primary, store, changes });
    }
  });

  afterAll(async () => {
    await Promise.all(replicas.map(({ store }) => store.close()));
    await redis.stopProcess();
  });

  const request = (key: string, limit: number, index: number, concurrency = 0): ReserveRequest => ({
    rates: limit > 0 ? [{ key, limit, windowMs: 60_000, cost: 1 }] : [],
    concurrency: concurrency > 0 ? [{ key, limit: concurrency }] : [],
    leaseId: `lease${index}`,
    leaseTtlMs: 30_000,
  });

  /** 50 parallel reserves, alternating between the two replicas; returns how many were granted. */
  async function grantedAcrossReplicas(make: (index: number) => ReserveRequest): Promise<number[]> {
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, index) => {
        const replica = replicas[index % 2]!;
        return { replica: index % 2, granted: (await replica.store.reserve(make(index))).granted };
      }),
    );
    return [0, 1].map((replica) => results.filter((r) => r.replica === replica && r.granted).length);
  }

  it('shares limits exactly before, enforces limit/N locally during, and shares again after', async () => {
    const before = await grantedAcrossReplicas((index) => request('rpm-before', 7, index));
    expect(before[0]! + before[1]!).toBe(7);

    const received = Promise.withResolvers<string>();
    await replicas[1]!.store.subscribe('flags', (message) => {
      if (message === 'after-restart') received.resolve(message);
    });

    await redis.stopProcess();
    const during = await grantedAcrossReplicas((index) => request('rpm-during', 10, index));
    expect(during).toEqual([5, 5]);
    const slots = await grantedAcrossReplicas((index) => request('slots-during', 0, index, 6));
    expect(slots).toEqual([3, 3]);
    expect(replicas.map(({ store }) => store.degraded)).toEqual([true, true]);
    expect(replicas.map(({ changes }) => changes)).toEqual([[true], [true]]);
    expect(await replicas[0]!.store.probe()).toBe(false);

    await redis.startProcess();
    for (const { primary, store } of replicas) {
      await primary.ready(15_000);
      expect(await store.probe()).toBe(true);
    }
    expect(replicas.map(({ changes }) => changes)).toEqual([
      [true, false],
      [true, false],
    ]);
    const after = await grantedAcrossReplicas((index) => request('rpm-after', 7, index));
    expect(after[0]! + after[1]!).toBe(7);

    // the subscription made before the outage was restored after the reconnect
    for (let attempt = 0; attempt < 200; attempt += 1) {
      await replicas[0]!.store.publish('flags', 'after-restart');
      const outcome = await Promise.race([
        received.promise,
        new Promise((resolve) => setTimeout(resolve, 50, 'not yet')),
      ]);
      if (outcome === 'after-restart') break;
    }
    expect(await received.promise).toBe('after-restart');
  });
});
