import { afterAll, describe, expect, it } from 'vitest';
import { createSharedState } from './create-shared-state.ts';
import {
  deleteKeysWithPrefix,
  testRedisUrl,
  uniquePrefix,
} from '../../test/support/state/redis-test-support.ts';
import type { ReplicaInfo } from './replica-registry.ts';

const self: ReplicaInfo = {
  id: 'r1',
  version: '0.1.0',
  configHash: 'h',
  startedAt: 1_700_000_000_000,
  host: '127.0.0.1',
  port: 4000,
};
const prefix = uniquePrefix();
afterAll(async () => {
  await deleteKeysWithPrefix(prefix);
});

describe('createSharedState', () => {
  it('keeps state in memory without a Redis URL', async () => {
    const state = await createSharedState({ redisUrl: undefined, self });
    expect(state.resilient).toBeUndefined();
    expect(await state.registry.list()).toEqual([self]);
    await state.close();
  });

  it('shares state through Redis, registers this replica, and starts healthy', async () => {
    const first = await createSharedState({ redisUrl: testRedisUrl, prefix, self });
    const second = await createSharedState({ redisUrl: testRedisUrl, prefix, self: { ...self, id: 'r2' } });
    await first.registry.heartbeat();
    expect(first.registry.liveCount()).toBe(2);
    expect(first.resilient?.degraded).toBe(false);
    await first.store.set('flag', 'on', 60_000);
    expect(await second.store.get('flag')).toBe('on');
    await second.close();
    await first.registry.heartbeat();
    expect(first.registry.liveCount()).toBe(1);
    await first.close();
  });

  it('starts with local limits when Redis is not reachable', async () => {
    const state = await createSharedState({ redisUrl: 'redis://127.0.0.1:1', self, connectWaitMs: 200 });
    const result = await state.store.reserve({
      rates: [{ key: 'r', limit: 1, windowMs: 60_000, cost: 1 }],
      concurrency: [],
      leaseId: 'l',
      leaseTtlMs: 1000,
    });
    expect(result.granted).toBe(true);
    expect(state.resilient?.degraded).toBe(true);
    await state.close();
  });
});
