import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { MemoryStateStore } from './memory-state-store.ts';
import { ResilientStateStore } from './resilient-state-store.ts';
import type { ProbedStateStore } from './resilient-state-store.ts';
import type { StateLogger } from './state-logger.ts';
import type { AdmitRequest, RateLimit, ReserveRequest } from '../core/state-store.ts';
import { describeStateStoreContract } from './state-store.contract.ts';

/**
 * A primary that can be switched off: 'error' fails every call at once (connection refused),
 * 'hang' never answers (a partitioned Redis), 'slow' answers each call only once `answerHeld` is
 * called (a loaded Redis). The Redis outage itself is tested against a real redis-server in
 * resilient-state-store.redis.test.ts, a slow one in resilient-state-store.slow-redis.test.ts.
 */
class SwitchablePrimary extends MemoryStateStore implements ProbedStateStore {
  mode: 'up' | 'error' | 'hang' | 'slow' = 'up';
  calls = 0;
  private held: (() => void)[] = [];

  private gate<T>(answer: () => Promise<T>): Promise<T> {
    this.calls += 1;
    if (this.mode === 'error') return Promise.reject(new Error('connect ECONNREFUSED'));
    if (this.mode === 'hang') return new Promise<T>(() => undefined);
    if (this.mode === 'slow') {
      return new Promise<void>((resolve) => this.held.push(resolve)).then(answer);
    }
    return answer();
  }

  /** Answers every call held in 'slow' mode so far, in order. */
  answerHeld(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }

  ping(): Promise<void> {
    return this.gate(() => Promise.resolve());
  }

  override reserve(request: ReserveRequest): ReturnType<MemoryStateStore['reserve']> {
    return this.gate(() => super.reserve(request));
  }

  override get(key: string): Promise<string | undefined> {
    return this.gate(() => super.get(key));
  }

  override admit(request: AdmitRequest): ReturnType<MemoryStateStore['admit']> {
    return this.gate(() => super.admit(request));
  }

  override settle(
    adjustments: readonly RateLimit[],
    keys: readonly string[],
    leaseId: string,
  ): Promise<void> {
    return this.gate(() => super.settle(adjustments, keys, leaseId));
  }
}

function recordingLogger(): StateLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (_fields, message) => lines.push(`info: ${message}`),
    warn: (_fields, message) => lines.push(`warn: ${message}`),
    error: (_fields, message) => lines.push(`error: ${message}`),
  };
}

const rpm = (limit: number, key = 'tenant:rpm', cost = 1) => ({ key, limit, windowMs: 60_000, cost });
const reserveOf = (
  rates: ReturnType<typeof rpm>[],
  concurrency: { key: string; limit: number }[] = [],
  id = 'l',
) => ({
  rates,
  concurrency,
  leaseId: id,
  leaseTtlMs: 30_000,
});

async function grantedOf(
  store: ResilientStateStore,
  count: number,
  request: (index: number) => ReserveRequest,
) {
  const results = await Promise.all(
    Array.from({ length: count }, (_, index) => store.reserve(request(index))),
  );
  return results.filter((result) => result.granted).length;
}

describeStateStoreContract('ResilientStateStore (primary up)', (clock) =>
  Promise.resolve(new ResilientStateStore({ primary: new SwitchablePrimary(clock), clock, timeoutMs: 1000 })),
);

describe('ResilientStateStore when the primary is away', () => {
  const stores: ResilientStateStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  function open(replicas: number, timeoutMs = 1000, breakerTimeouts?: number) {
    const clock = new FakeClock();
    const primary = new SwitchablePrimary(clock);
    const logger = recordingLogger();
    const store = new ResilientStateStore({
      primary,
      clock,
      timeoutMs,
      ...(breakerTimeouts === undefined ? {} : { breakerTimeouts }),
      replicaCount: () => replicas,
      logger,
    });
    stores.push(store);
    const changes: boolean[] = [];
    store.onDegradedChange((degraded) => changes.push(degraded));
    return { clock, primary, logger, store, changes };
  }

  it('answers locally with this replica’s share of rate and concurrency limits', async () => {
    const { primary, store, changes, logger } = open(3);
    primary.mode = 'error';
    expect(await grantedOf(store, 20, (index) => reserveOf([rpm(10)], [], `a${index}`))).toBe(3);
    expect(await grantedOf(store, 20, (index) => reserveOf([], [{ key: 'c', limit: 7 }], `b${index}`))).toBe(
      2,
    );
    // limit ÷ replicas is at least 1
    expect(await grantedOf(store, 5, (index) => reserveOf([rpm(2, 'small')], [], `c${index}`))).toBe(1);
    expect(store.degraded).toBe(true);
    expect(changes).toEqual([true]);
    expect(logger.lines.filter((line) => line.startsWith('warn'))).toHaveLength(1);
    expect(store.degradedTransitions).toBe(1);
    expect(store.localCalls).toBe(45);
  });

  it('answers an admission and its second reservation locally, each at this replica’s share', async () => {
    const { primary, store } = open(3);
    const admit = (index: number) =>
      store.admit({
        reserve: reserveOf([rpm(100)], [], `t${index}`),
        windows: [],
        reads: [],
        also: reserveOf([rpm(10, 'deployment:rpm')], [{ key: 'deployment:cc', limit: 30 }], `t${index}:1`),
      });
    // shared: 2 of the deployment's rpm 10 counted on the primary, mirrored here
    for (const index of [0, 1]) expect((await admit(index)).also?.granted).toBe(true);
    primary.mode = 'error';
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => admit(10 + index)));
    expect(results.filter((result) => result.reservation.granted)).toHaveLength(20);
    // share 3 of rpm 10; the 2 counted on the primary carry over as time used (12 s of the 60 s
    // window): 2 more locally, not 3
    expect(results.filter((result) => result.also?.granted === true)).toHaveLength(2);
    expect(store.degraded).toBe(true);
  });

  it('settles locally at this replica’s share while the primary is away, releasing on both stores', async () => {
    const { primary, store } = open(2);
    const tpm = (cost: number) => ({ key: 'tenant:tpm', limit: 1000, windowMs: 60_000, cost });
    // a lease and 400 tokens on the primary, mirrored here
    expect(await store.reserve(reserveOf([tpm(400)], [{ key: 'slots', limit: 2 }], 'a'))).toMatchObject({
      granted: true,
    });
    primary.mode = 'error';
    // the answer used 100 tokens: 300 refunded at the share (500), the lease released here
    await store.settle([tpm(-300)], ['slots'], 'a');
    expect(store.degraded).toBe(true);
    // share 500: the primary's 400 of 1000 carried over as 24 s of the 60 s window; the refund, at
    // the share (300 of 500: 36 s), empties it, so the whole share is free and no more
    expect((await store.reserve(reserveOf([tpm(500)], [], 'b'))).granted).toBe(true);
    expect((await store.reserve(reserveOf([tpm(1)], [], 'c'))).granted).toBe(false);
    // the lease was released: the share of 2 slots (1) is free
    expect((await store.reserve(reserveOf([], [{ key: 'slots', limit: 2 }], 'd'))).granted).toBe(true);
  });

  it('stops calling the primary once degraded, and returns to it when the probe answers', async () => {
    const { primary, store, changes, logger } = open(2);
    primary.mode = 'error';
    await store.get('k');
    const callsWhenDegraded = primary.calls;
    await store.get('k');
    await store.set('k', 'local', 10_000);
    expect(primary.calls).toBe(callsWhenDegraded);
    expect(await store.probe()).toBe(false);
    primary.mode = 'up';
    expect(await store.probe()).toBe(true);
    expect(store.degraded).toBe(false);
    expect(changes).toEqual([true, false]);
    expect(logger.lines).toEqual([
      'warn: state store: Redis unavailable, enforcing limits locally at this replica’s share',
      'info: state store: Redis answers again, limits are shared again',
    ]);
    expect(await store.get('k')).toBeUndefined();
  });

  it('answers a call without an answer in time locally, and treats the primary as away after breakerTimeouts in a row', async () => {
    const { primary, store } = open(1, 20, 3);
    primary.mode = 'hang';
    for (const expected of [false, false, true]) {
      expect((await store.reserve(reserveOf([rpm(5)]))).granted).toBe(true);
      expect(store.degraded).toBe(expected);
    }
    expect(await store.probe()).toBe(false);
  });

  it('starts an outage from what was already counted: rates as Redis counted them, this replica’s leases', async () => {
    const clock = new FakeClock();
    const primary = new SwitchablePrimary(clock);
    const replicas = [0, 1].map(() => {
      const store = new ResilientStateStore({ primary, clock, replicaCount: () => 2 });
      stores.push(store);
      return store;
    });
    const burst = (count: number, request: (index: number) => ReserveRequest) =>
      Promise.all(
        Array.from({ length: count }, (_, index) => replicas[index % 2]!.reserve(request(index))),
      ).then((results) => results.filter((result) => result.granted).length);
    // rpm 20 on the shared store: 10 counted, then Redis goes away
    expect(await burst(10, (index) => reserveOf([rpm(20)], [], `r${index}`))).toBe(10);
    // concurrency 4: replica 0 holds 2 on Redis
    const slots = (index: number) => reserveOf([], [{ key: 'slots', limit: 4 }], `s${index}`);
    expect(await replicas[0]!.reserve(slots(100))).toMatchObject({ granted: true });
    expect(await replicas[0]!.reserve(slots(101))).toMatchObject({ granted: true });
    primary.mode = 'error';
    // each replica's share (10) is half used, as on Redis: 5 + 5 more, 20 in all (not 10 + 10 + 10)
    expect(await burst(30, (index) => reserveOf([rpm(20)], [], `r${100 + index}`))).toBe(10);
    // share 2 each: replica 0 already holds 2, replica 1 takes 2: 4 in all (not 2 + 2 + 2)
    expect(await burst(10, (index) => slots(index))).toBe(2);
    expect(replicas.map((store) => store.degraded)).toEqual([true, true]);
  });

  it('admits a cost that fits the whole limit but not the share, once the local bucket is full', async () => {
    const { primary, store } = open(4);
    primary.mode = 'error';
    const tokens = { key: 'tpm', limit: 10_000, windowMs: 60_000, cost: 4_000 };
    expect((await store.reserve(reserveOf([tokens]))).granted).toBe(true);
    expect((await store.reserve(reserveOf([tokens]))).granted).toBe(false);
    const tooBig = await store.reserve(reserveOf([{ ...tokens, key: 'tpm2', cost: 10_001 }]));
    expect(tooBig).toMatchObject({ granted: false, retryAfterMs: Infinity });
  });

  it('delivers a message published while degraded to this replica’s subscribers', async () => {
    const { primary, store } = open(2);
    const received = Promise.withResolvers<string>();
    await store.subscribe('flags', received.resolve);
    primary.mode = 'error';
    await store.get('k');
    await store.publish('flags', 'changed');
    expect(await received.promise).toBe('changed');
  });
});

describe('ResilientStateStore on a slow primary', () => {
  it('waits for a slow but answering primary (default timeout) and keeps the count exact', async () => {
    const clock = new FakeClock();
    const primary = new SwitchablePrimary(clock);
    const replicas = [0, 1].map(() => new ResilientStateStore({ primary, clock, replicaCount: () => 2 }));
    try {
      const burst = (count: number, offset: number) =>
        Promise.all(
          Array.from({ length: count }, (_, index) =>
            replicas[index % 2]!.reserve(reserveOf([rpm(20)], [], `q${offset + index}`)),
          ),
        ).then((results) => results.filter((result) => result.granted).length);
      expect(await burst(10, 0)).toBe(10);
      primary.mode = 'slow';
      const pending = burst(30, 100);
      // Redis answers 200 ms later: slower than the old 50 ms "away" timeout, well within the wait
      setTimeout(() => {
        primary.answerHeld();
      }, 200);
      expect(await pending).toBe(10);
      expect(replicas.map((store) => [store.degraded, store.localCalls])).toEqual([
        [false, 0],
        [false, 0],
      ]);
    } finally {
      await Promise.all(replicas.map((store) => store.close()));
    }
  });
});
