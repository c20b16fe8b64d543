import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { ThrowawayRedis } from '../../test/support/state/redis-test-support.ts';
import { SlowTcpProxy } from '../../test/support/state/slow-tcp-proxy.ts';
import type { ReserveRequest } from '../core/state-store.ts';
import { RedisStateStore } from './redis-state-store.ts';
import { ResilientStateStore } from './resilient-state-store.ts';

/**
 * A healthy but slow Redis (issue 12 item 8): two replicas reach a private redis-server through a
 * loopback proxy that delays every command by 150 ms. With the default settings they wait for it, and
 * an rpm of 20 admits exactly 20 across both, before and after the slowdown.
 */
describe('ResilientStateStore on a slow Redis', () => {
  let redis: ThrowawayRedis;
  let proxy: SlowTcpProxy;
  const clock = new FakeClock();
  const replicas: ResilientStateStore[] = [];

  beforeAll(async () => {
    redis = await ThrowawayRedis.start();
    proxy = await SlowTcpProxy.start({ host: '127.0.0.1', port: redis.port });
    for (let index = 0; index < 2; index += 1) {
      const primary = new RedisStateStore({ url: `redis://127.0.0.1:${proxy.port}`, prefix: 'slow:', clock });
      await primary.ready();
      // the defaults: no timeout or breaker setting
      replicas.push(new ResilientStateStore({ primary, clock, replicaCount: () => 2 }));
    }
  });

  afterAll(async () => {
    await Promise.all(replicas.map((store) => store.close()));
    await proxy.close();
    await redis.stopProcess();
  });

  const request = (index: number): ReserveRequest => ({
    rates: [{ key: 'tenant-rpm', limit: 20, windowMs: 60_000, cost: 1 }],
    concurrency: [],
    leaseId: `lease${index}`,
    leaseTtlMs: 30_000,
  });

  /** `count` parallel reserves alternating between the replicas; how many were granted. */
  async function burst(count: number, offset: number): Promise<number> {
    const results = await Promise.all(
      Array.from({ length: count }, (_, index) => replicas[index % 2]!.reserve(request(offset + index))),
    );
    return results.filter((result) => result.granted).length;
  }

  it('admits exactly the limit across replicas while every command takes 150 ms', async () => {
    expect(await burst(10, 0)).toBe(10);
    proxy.delayMs = 150;
    expect(await burst(30, 100)).toBe(10);
    expect(replicas.map((store) => [store.degraded, store.localCalls])).toEqual([
      [false, 0],
      [false, 0],
    ]);
  });
});
