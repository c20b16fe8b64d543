import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { MemoryStateStore } from './memory-state-store.ts';
import { RedisStateStore } from './redis-state-store.ts';
import {
  deleteKeysWithPrefix,
  testRedisUrl,
  uniquePrefix,
} from '../../test/support/state/redis-test-support.ts';
import { ReplicaRegistry } from './replica-registry.ts';
import type { ReplicaInfo } from './replica-registry.ts';
import type { StateLogger } from './state-logger.ts';
import type { StateStore } from '../core/state-store.ts';

const replica = (id: string, configHash = 'h1'): ReplicaInfo => ({
  id,
  version: '0.1.0',
  configHash,
  startedAt: 1_700_000_000_000,
  host: '127.0.0.1',
  port: 4000,
});

function warnings(): StateLogger & { warned: string[] } {
  const warned: string[] = [];
  return {
    warned,
    info: () => undefined,
    warn: (_fields, message) => warned.push(message),
    error: () => undefined,
  };
}

const prefixes: string[] = [];
afterAll(async () => {
  await Promise.all(prefixes.map((prefix) => deleteKeysWithPrefix(prefix)));
});

const stores: { name: string; open: (clock: FakeClock) => Promise<StateStore> }[] = [
  { name: 'memory', open: (clock) => Promise.resolve(new MemoryStateStore(clock)) },
  {
    name: 'redis',
    open: async (clock) => {
      const prefix = uniquePrefix();
      prefixes.push(prefix);
      const store = new RedisStateStore({ url: testRedisUrl, prefix, clock });
      await store.ready();
      return store;
    },
  },
];

describe.each(stores)('ReplicaRegistry on $name', ({ open }) => {
  it('counts live replicas and forgets one whose heartbeats stopped', async () => {
    const clock = new FakeClock();
    const store = await open(clock);
    const options = { store, heartbeatIntervalMs: 5_000 };
    const a = new ReplicaRegistry({ ...options, self: replica('a') });
    const b = new ReplicaRegistry({ ...options, self: replica('b') });
    expect(a.liveCount()).toBe(1);
    await b.heartbeat();
    await a.heartbeat();
    expect(a.liveCount()).toBe(2);
    expect((await b.list()).map((info) => info.id)).toEqual(['a', 'b']);

    // b stops heartbeating (crashed): it is live for three intervals after its last heartbeat
    await clock.advance(14_999);
    await a.heartbeat();
    expect(a.liveCount()).toBe(2);
    await clock.advance(1);
    await a.heartbeat();
    expect(a.liveCount()).toBe(1);
    expect(await a.list()).toEqual([replica('a')]);
    await store.close();
  });

  it('removes its heartbeat on stop', async () => {
    const clock = new FakeClock();
    const store = await open(clock);
    const a = new ReplicaRegistry({ store, self: replica('a') });
    const b = new ReplicaRegistry({ store, self: replica('b') });
    await a.start();
    await b.start();
    await b.stop();
    await a.heartbeat();
    expect(a.liveCount()).toBe(1);
    await a.stop();
    await store.close();
  });

  it('warns once when replicas run different configurations', async () => {
    const store = await open(new FakeClock());
    const logger = warnings();
    const a = new ReplicaRegistry({ store, self: replica('a', 'h1'), logger });
    const b = new ReplicaRegistry({ store, self: replica('b', 'h2') });
    await b.heartbeat();
    await a.heartbeat();
    await a.heartbeat();
    expect(logger.warned).toEqual(['replica registry: replicas run different configurations']);
    await store.close();
  });
});

describe('ReplicaRegistry when the store fails', () => {
  it('keeps the last known replicas', async () => {
    const clock = new FakeClock();
    const store = new MemoryStateStore(clock);
    const logger = warnings();
    const a = new ReplicaRegistry({ store, self: replica('a'), logger });
    await new ReplicaRegistry({ store, self: replica('b') }).heartbeat();
    await new ReplicaRegistry({ store, self: replica('c') }).heartbeat();
    await a.heartbeat();
    expect(a.liveCount()).toBe(3);
    store.scan = () => Promise.reject(new Error('connection lost'));
    await a.heartbeat();
    expect(a.liveCount()).toBe(3);
    expect(logger.warned).toEqual(['replica registry: heartbeat failed, keeping the last known replicas']);
    await store.close();
  });
});
