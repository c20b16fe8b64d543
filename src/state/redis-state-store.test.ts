import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { RedisStateStore } from './redis-state-store.ts';
import { windowPruneAbove } from './redis-scripts.ts';
import {
  deleteKeysWithPrefix,
  testRedisUrl,
  uniquePrefix,
} from '../../test/support/state/redis-test-support.ts';
import { describeStateStoreContract } from './state-store.contract.ts';

const prefixes: string[] = [];

async function openStore(clock: FakeClock | undefined, prefix = uniquePrefix()): Promise<RedisStateStore> {
  prefixes.push(prefix);
  const store = new RedisStateStore({ url: testRedisUrl, prefix, ...(clock === undefined ? {} : { clock }) });
  await store.ready();
  return store;
}

afterAll(async () => {
  await Promise.all(prefixes.map((prefix) => deleteKeysWithPrefix(prefix)));
});

describeStateStoreContract('RedisStateStore', (clock) => openStore(clock));

describe('RedisStateStore across replicas', () => {
  it('grants exactly 7 of 50 parallel reserves against rpm 7 from two instances', async () => {
    const prefix = uniquePrefix();
    const clock = new FakeClock();
    const [first, second] = [await openStore(clock, prefix), await openStore(clock, prefix)];
    const reserves = Array.from({ length: 50 }, (_, index) =>
      (index % 2 === 0 ? first : second).reserve({
        rates: [{ key: 'tenant:rpm', limit: 7, windowMs: 60_000, cost: 1 }],
        concurrency: [],
        leaseId: `l${index}`,
        leaseTtlMs: 30_000,
      }),
    );
    const results = await Promise.all(reserves);
    expect(results.filter((result) => result.granted)).toHaveLength(7);
    await Promise.all([first.close(), second.close()]);
  });

  it('uses the Redis server clock when no clock is injected', async () => {
    const prefix = uniquePrefix();
    const [first, second] = [await openStore(undefined, prefix), await openStore(undefined, prefix)];
    const rate = { key: 'r', limit: 2, windowMs: 60_000, cost: 1 };
    const reserve = (store: RedisStateStore) =>
      store.reserve({ rates: [rate], concurrency: [], leaseId: 'x', leaseTtlMs: 1000 });
    expect((await reserve(first)).granted).toBe(true);
    expect((await reserve(second)).granted).toBe(true);
    const refused = await reserve(first);
    expect(refused.granted).toBe(false);
    if (!refused.granted) expect(refused.retryAfterMs).toBeGreaterThan(29_000);
    await first.set('k', 'v', 60_000);
    expect(await second.get('k')).toBe('v');
    await Promise.all([first.close(), second.close()]);
  });

  it('delivers a message published on one instance to subscribers on another', async () => {
    const prefix = uniquePrefix();
    const [publisher, subscriber] = [await openStore(undefined, prefix), await openStore(undefined, prefix)];
    const received = Promise.withResolvers<string>();
    await subscriber.subscribe('config-changed', received.resolve);
    await publisher.publish('config-changed', 'v2');
    expect(await received.promise).toBe('v2');
    await Promise.all([publisher.close(), subscriber.close()]);
  });

  it('keeps a window written only by addToWindow bounded: buckets that left it are pruned', async () => {
    const prefix = uniquePrefix();
    const clock = new FakeClock();
    const store = await openStore(clock, prefix);
    const { Redis } = await import('ioredis');
    const raw = new Redis(testRedisUrl);
    const key = `{${prefix.replace(/:$/, '')}}:window:busy`;
    // 200 buckets of one 10 s window (1 s each), two counters each: 400 fields without pruning
    for (let bucket = 0; bucket < 200; bucket += 1) {
      await store.addToWindow('busy', { ok: 1, failed: 1 }, 10_000);
      await clock.advance(1_000);
    }
    const fields = await raw.hlen(key);
    expect(fields).toBeLessThanOrEqual(windowPruneAbove + 2);
    expect(fields).toBeGreaterThanOrEqual(20);
    expect(await store.readWindow('busy', 10_000)).toEqual({ ok: 9, failed: 9 });
    raw.disconnect();
    await store.close();
  });

  it('keeps no key without an expiry', async () => {
    const prefix = uniquePrefix();
    const store = await openStore(new FakeClock(), prefix);
    await store.reserve({
      rates: [{ key: 'r', limit: 5, windowMs: 60_000, cost: 1 }],
      concurrency: [{ key: 'c', limit: 2 }],
      leaseId: 'a',
      leaseTtlMs: 30_000,
    });
    await store.incrementWindow('w', { n: 1 }, 10_000);
    await store.set('v', 'x', 5_000);
    const { Redis } = await import('ioredis');
    const raw = new Redis(testRedisUrl);
    const tag = `{${prefix.replace(/:$/, '')}}:`;
    const keys = await raw.keys(`${tag}*`);
    expect(keys.sort()).toEqual(
      ['kv-index:expiry', 'kv-index:name', 'kv:v', 'lease:c', 'rate:r', 'window:w'].map((key) => tag + key),
    );
    const ttls = await Promise.all(keys.map((key) => raw.pttl(key)));
    for (const ttl of ttls) expect(ttl).toBeGreaterThan(0);
    expect(await raw.pttl(`${tag}rate:r`)).toBeLessThanOrEqual(12_000);
    expect(await raw.pttl(`${tag}lease:c`)).toBeLessThanOrEqual(30_000);
    raw.disconnect();
    await store.close();
  });
});
