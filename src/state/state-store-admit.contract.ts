import { describe, expect, it } from 'vitest';
import type { FakeClock } from '../../test/support/fake-clock.ts';
import type { AdmitRequest, RateLimit, StateStore } from '../core/state-store.ts';

/**
 * The contract of `admit` (one request's admission in one step), part of the StateStore contract
 * (state-store.contract.ts): `store()` and `clock()` are that suite's fresh store and its clock.
 */
export function describeAdmitContract(store: () => StateStore, clock: () => FakeClock): void {
  describe('admit', () => {
    const rpm = (key: string, limit: number, cost = 1): RateLimit => ({ key, limit, windowMs: 60_000, cost });
    const admission = (
      overrides: Partial<AdmitRequest['reserve']> = {},
      reads = ['cb', 'cd'],
    ): AdmitRequest => ({
      reserve: {
        rates: [rpm('t:rpm', 3), rpm('t:tpm', 1000, 400)],
        concurrency: [{ key: 't:cc', limit: 2 }],
        leaseId: 'lease-1',
        leaseTtlMs: 30_000,
        ...overrides,
      },
      windows: [{ key: 'rb:group', increments: { requests: 1 }, windowMs: 10_000 }],
      reads,
    });

    it('reserves like reserve, counts the windows and reads the values, when granted', async () => {
      await store().set('cb', 'open|1|99', 60_000);
      const result = await store().admit(admission());
      expect(result.reservation).toEqual({
        granted: true,
        states: [
          { key: 't:rpm', limit: 3, remaining: 2, resetMs: 20_000 },
          { key: 't:tpm', limit: 1000, remaining: 600, resetMs: 24_000 },
          { key: 't:cc', limit: 2, remaining: 1, resetMs: 0 },
        ],
      });
      expect(result.values).toEqual(['open|1|99', undefined]);
      expect(await store().readWindow('rb:group', 10_000)).toEqual({ requests: 1 });
      // the lease is held like a reserve's: one slot left, released by release
      const second = await store().admit(admission({ leaseId: 'lease-2' }));
      expect(second.reservation.granted).toBe(true);
      const third = await store().admit(admission({ leaseId: 'lease-3' }));
      expect(third.reservation).toMatchObject({ granted: false, rejectedKey: 't:tpm' });
      await store().release(['t:cc'], 'lease-1');
      const afterRelease = await store().reserve({ ...admission().reserve, rates: [], leaseId: 'lease-4' });
      expect(afterRelease.granted).toBe(true);
    });

    it('counts nothing and reads nothing when a limit refuses', async () => {
      await store().set('cb', 'open|1|99', 60_000);
      const refused = await store().admit(admission({ rates: [rpm('t:rpm', 3), rpm('t:tpm', 1000, 1001)] }));
      expect(refused.reservation).toMatchObject({
        granted: false,
        rejectedKey: 't:tpm',
        retryAfterMs: Infinity,
      });
      expect(refused.values).toEqual([undefined, undefined]);
      expect(await store().readWindow('rb:group', 10_000)).toEqual({});
      // neither the rpm nor the lease was taken
      const states = await store().reserve({ ...admission().reserve, rates: [rpm('t:rpm', 3)] });
      expect(states.states).toEqual([
        { key: 't:rpm', limit: 3, remaining: 2, resetMs: 20_000 },
        { key: 't:cc', limit: 2, remaining: 1, resetMs: 0 },
      ]);
    });

    it('works with no limits, no windows and no reads', async () => {
      const empty = await store().admit({
        reserve: { rates: [], concurrency: [], leaseId: 'l', leaseTtlMs: 1000 },
        windows: [],
        reads: [],
      });
      expect(empty).toEqual({ reservation: { granted: true, states: [] }, values: [] });
    });

    it('adds several windows and several counters per window, and reads expired values as absent', async () => {
      await store().set('short', 'x', 1_000);
      await store().set('long', 'y', 60_000);
      await clock().advance(1_000);
      const request: AdmitRequest = {
        reserve: { rates: [rpm('r', 10)], concurrency: [], leaseId: 'l', leaseTtlMs: 1000 },
        windows: [
          { key: 'w1', increments: { requests: 1, retries: 2 }, windowMs: 10_000 },
          { key: 'w2', increments: { requests: 0.5 }, windowMs: 20_000 },
        ],
        reads: ['short', 'long', 'missing'],
      };
      expect((await store().admit(request)).values).toEqual([undefined, 'y', undefined]);
      await store().admit(request);
      expect(await store().readWindow('w1', 10_000)).toEqual({ requests: 2, retries: 4 });
      expect(await store().readWindow('w2', 20_000)).toEqual({ requests: 1 });
    });

    it('grants exactly `limit` of N parallel admissions, and counts only the granted ones', async () => {
      const admissions = Array.from({ length: 25 }, (_, index) =>
        store().admit({
          reserve: {
            rates: [rpm('p:rpm', 100)],
            concurrency: [{ key: 'p:cc', limit: 6 }],
            leaseId: `l${index}`,
            leaseTtlMs: 30_000,
          },
          windows: [{ key: 'p:w', increments: { requests: 1 }, windowMs: 10_000 }],
          reads: [],
        }),
      );
      const results = await Promise.all(admissions);
      expect(results.filter((result) => result.reservation.granted)).toHaveLength(6);
      expect(await store().readWindow('p:w', 10_000)).toEqual({ requests: 6 });
      const rpmState = await store().reserve({
        rates: [rpm('p:rpm', 100, 0)],
        concurrency: [],
        leaseId: 'x',
        leaseTtlMs: 1000,
      });
      expect(rpmState.states[0]).toMatchObject({ remaining: 94 });
    });

    describe('also (a second reservation in the same step)', () => {
      const deployment = (leaseId: string, rpmLimit = 2): AdmitRequest['reserve'] => ({
        rates: [rpm('d:rpm', rpmLimit), rpm('d:tpm', 1000, 400)],
        concurrency: [{ key: 'd:cc', limit: 5 }],
        leaseId,
        leaseTtlMs: 30_000,
      });

      it('reserves it after a granted reserve, with its own states', async () => {
        await store().set('cb', 'closed|3', 60_000);
        const result = await store().admit({ ...admission(), also: deployment('lease-1:1') });
        expect(result.reservation.granted).toBe(true);
        expect(result.values).toEqual(['closed|3', undefined]);
        expect(result.also).toEqual({
          granted: true,
          states: [
            { key: 'd:rpm', limit: 2, remaining: 1, resetMs: 30_000 },
            { key: 'd:tpm', limit: 1000, remaining: 600, resetMs: 24_000 },
            { key: 'd:cc', limit: 5, remaining: 4, resetMs: 0 },
          ],
        });
        // counted like a reserve: the second takes the deployment's last rpm, a third is refused by it
        const second = await store().admit({
          ...admission({ leaseId: 'lease-2', rates: [rpm('t:rpm', 3)] }),
          also: deployment('lease-2:1'),
        });
        expect(second.also?.granted).toBe(true);
        await store().release(['t:cc'], 'lease-1');
        const third = await store().admit({
          ...admission({ leaseId: 'lease-3', rates: [rpm('t:rpm', 3)] }),
          also: deployment('lease-3:1'),
        });
        expect(third.reservation.granted).toBe(true);
        expect(third.also).toMatchObject({ granted: false, rejectedKey: 'd:rpm' });
      });

      it('a refused also counts nothing of its own and leaves the first reservation granted', async () => {
        const result = await store().admit({
          ...admission(),
          also: { ...deployment('lease-1:1'), rates: [rpm('d:rpm', 2), rpm('d:tpm', 300, 400)] },
        });
        expect(result.reservation.granted).toBe(true);
        expect(result.values).toEqual([undefined, undefined]);
        expect(result.also).toMatchObject({ granted: false, rejectedKey: 'd:tpm', retryAfterMs: Infinity });
        expect(await store().readWindow('rb:group', 10_000)).toEqual({ requests: 1 });
        const untouched = await store().reserve(deployment('other'));
        expect(untouched.states.map((state) => state.remaining)).toEqual([1, 600, 4]);
      });

      it('is not made when the first reservation is refused', async () => {
        const refused = await store().admit({
          ...admission({ rates: [rpm('t:rpm', 3), rpm('t:tpm', 1000, 1001)] }),
          also: deployment('lease-1:1'),
        });
        expect(refused.reservation.granted).toBe(false);
        expect(refused.also).toBeUndefined();
        const untouched = await store().reserve(deployment('other'));
        expect(untouched.states.map((state) => state.remaining)).toEqual([1, 600, 4]);
      });

      it('an also without limits is granted', async () => {
        const result = await store().admit({
          ...admission(),
          also: { rates: [], concurrency: [], leaseId: 'x', leaseTtlMs: 1000 },
        });
        expect(result.also).toEqual({ granted: true, states: [] });
      });
    });
  });
}
