import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { MemoryStateStore } from './memory-state-store.ts';
import type { ReserveRequest } from '../core/state-store.ts';
import { describeStateStoreContract } from './state-store.contract.ts';

describeStateStoreContract('MemoryStateStore', (clock) => Promise.resolve(new MemoryStateStore(clock)));

describe('MemoryStateStore lease expiry', () => {
  const stores: MemoryStateStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  function setup() {
    const clock = new FakeClock();
    const store = new MemoryStateStore(clock);
    stores.push(store);
    const reserve = (leaseId: string, limit: number, leaseTtlMs: number) => {
      const request: ReserveRequest = { rates: [], concurrency: [{ key: 'c', limit }], leaseId, leaseTtlMs };
      return store.reserve(request);
    };
    return { clock, store, reserve };
  }

  it('reports expired leases as free even when the key is not full', async () => {
    const { clock, reserve } = setup();
    await reserve('short', 5, 10_000);
    await reserve('long', 5, 60_000);
    await clock.advance(10_000);
    expect(await reserve('next', 5, 60_000)).toEqual({
      granted: true,
      states: [{ key: 'c', limit: 5, remaining: 3, resetMs: 0 }],
    });
  });

  it('reclaims a short lease taken after a longer one', async () => {
    const { clock, reserve } = setup();
    await reserve('long', 2, 60_000);
    await reserve('short', 2, 10_000);
    expect((await reserve('third', 2, 60_000)).granted).toBe(false);
    await clock.advance(10_000);
    expect((await reserve('third', 2, 60_000)).granted).toBe(true);
  });

  it('keeps reclaiming after the earliest lease was released, and after a reclaim', async () => {
    const { clock, store, reserve } = setup();
    await reserve('a', 2, 10_000);
    await reserve('b', 2, 30_000);
    await store.release(['c'], 'a');
    await clock.advance(20_000);
    expect((await reserve('c', 2, 30_000)).granted).toBe(true); // b (until 30 s) and c (until 50 s)
    expect((await reserve('d', 2, 30_000)).granted).toBe(false);
    await clock.advance(10_000);
    expect(await reserve('d', 2, 30_000)).toMatchObject({ granted: true, states: [{ remaining: 0 }] });
    expect((await reserve('e', 2, 30_000)).granted).toBe(false);
    await clock.advance(20_000);
    expect(await reserve('e', 2, 30_000)).toMatchObject({ granted: true, states: [{ remaining: 0 }] });
  });

  it('extends a lease that re-reserves', async () => {
    const { clock, reserve } = setup();
    await reserve('a', 1, 10_000);
    await clock.advance(5_000);
    expect((await reserve('a', 1, 10_000)).granted).toBe(true);
    await clock.advance(5_000);
    expect((await reserve('b', 1, 10_000)).granted).toBe(false);
    await clock.advance(5_000);
    expect((await reserve('b', 1, 10_000)).granted).toBe(true);
  });
});
