import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/wait-for.ts';
import { MemoryStateStore } from './memory-state-store.ts';
import { createPortStateStore, serveStateStore } from './port-state-store.ts';
import { describeStateStoreContract } from './state-store.contract.ts';
import type { StateStore } from '../core/state-store.ts';

// The worker-thread client passes the same contract as the store it forwards to (over a real
// MessageChannel: structured clone both ways).
function pair(owner: StateStore): { client: StateStore; close: () => Promise<void> } {
  const { port1, port2 } = new MessageChannel();
  const served = serveStateStore(port1, owner, () => undefined);
  const client = createPortStateStore(port2);
  return {
    client,
    close: async () => {
      await client.close();
      await served.close();
      await owner.close();
    },
  };
}

describeStateStoreContract('PortStateStore over a MemoryStateStore', (clock) => {
  const { client, close } = pair(new MemoryStateStore(clock));
  const store: StateStore = { ...client, close };
  return Promise.resolve(store);
});

describe('PortStateStore', () => {
  it('two clients of one owner share exact limits: 20 concurrent reserves against 7 → 7 granted', async () => {
    const owner = new MemoryStateStore();
    const a = pair(owner);
    const { port1, port2 } = new MessageChannel();
    const served = serveStateStore(port1, owner, () => undefined);
    const b = createPortStateStore(port2);
    const rate = { key: 'rpm', limit: 7, windowMs: 60_000, cost: 1 };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        (index % 2 === 0 ? a.client : b).reserve({
          rates: [rate],
          concurrency: [],
          leaseId: `l${index}`,
          leaseTtlMs: 1000,
        }),
      ),
    );
    expect(results.filter((result) => result.granted)).toHaveLength(7);
    await b.close();
    await served.close();
    await a.close();
  });

  it('publish reaches the subscribers of every client; an unsubscribed handler hears nothing', async () => {
    const owner = new MemoryStateStore();
    const a = pair(owner);
    const { port1, port2 } = new MessageChannel();
    const served = serveStateStore(port1, owner, () => undefined);
    const b = createPortStateStore(port2);
    const heardA: string[] = [];
    const heardB: string[] = [];
    const offA = await a.client.subscribe('revoked', (message) => heardA.push(message));
    await b.subscribe('revoked', (message) => heardB.push(message));
    await b.publish('revoked', 'k1');
    await waitFor(() => heardA.length === 1 && heardB.length === 1, { what: 'k1 on both' });
    await offA();
    await a.client.publish('revoked', 'k2');
    await waitFor(() => heardB.length === 2, { what: 'k2 on b' });
    expect(heardA).toEqual(['k1']);
    expect(heardB).toEqual(['k1', 'k2']);
    await b.close();
    await served.close();
    await a.close();
  });

  it('an owner error reaches the caller as a rejection', async () => {
    const owner = new MemoryStateStore();
    const a = pair(owner);
    await owner.close();
    const broken = Object.assign(Object.create(owner) as MemoryStateStore, {
      get: () => Promise.reject(new Error('store away')),
    });
    const { port1, port2 } = new MessageChannel();
    const served = serveStateStore(port1, broken, () => undefined);
    const client = createPortStateStore(port2);
    await expect(client.get('x')).rejects.toThrow('store away');
    await client.close();
    await served.close();
    await a.close();
  });

  it('a worker that goes away gives back the concurrency leases it held, and only those', async () => {
    const owner = new MemoryStateStore();
    const other = pair(owner);
    const { port1, port2 } = new MessageChannel();
    const served = serveStateStore(port1, owner, () => undefined);
    const dying = createPortStateStore(port2);
    const slots = (key: string, limit: number) => ({ key, limit });
    const reserve = (leaseId: string) => ({
      rates: [],
      concurrency: [slots('tenant', 3), slots('key', 3)],
      leaseId,
      leaseTtlMs: 600_000,
    });
    // The dying worker holds: a reserve, an admit with its also (deployment), and one it released.
    expect((await dying.reserve(reserve('r1'))).granted).toBe(true);
    const admitted = await dying.admit({
      reserve: reserve('r2'),
      windows: [],
      reads: [],
      also: { rates: [], concurrency: [slots('deployment', 1)], leaseId: 'r2', leaseTtlMs: 600_000 },
    });
    expect(admitted.reservation.granted && admitted.also?.granted).toBe(true);
    expect((await dying.reserve(reserve('r3'))).granted).toBe(true);
    await dying.release(['tenant', 'key'], 'r3');
    // The other worker holds one slot of the same keys.
    expect((await other.client.reserve(reserve('o1'))).granted).toBe(true);
    expect((await other.client.reserve(reserve('o2'))).granted).toBe(false);
    expect(
      (await other.client.reserve({ ...reserve('o3'), concurrency: [slots('deployment', 1)] })).granted,
    ).toBe(false);

    // It dies (its thread is gone: the owner closes its side).
    await served.close();
    await dying.close();
    // r1 and r2 are back; o1 still holds its slot: 2 of 3 may be taken, not 3.
    expect((await other.client.reserve(reserve('o4'))).granted).toBe(true);
    expect((await other.client.reserve(reserve('o5'))).granted).toBe(true);
    expect((await other.client.reserve(reserve('o6'))).granted).toBe(false);
    expect(
      (await other.client.reserve({ ...reserve('o7'), concurrency: [slots('deployment', 1)] })).granted,
    ).toBe(true);
    await other.close();
  });
});
