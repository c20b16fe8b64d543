import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.ts';
import type { RateLimit, ReserveRequest, StateStore } from '../core/state-store.ts';
import { describeAdmitContract } from './state-store-admit.contract.ts';

/**
 * The one contract every StateStore passes (docs/architecture.md, Seams: memory and Redis pass the same
 * contract suite). `createStore` returns a fresh, empty store whose time is the given clock. Durations stay
 * at seconds or more: a Redis store also gives keys a real expiry, which must not pass during a test.
 */
export function describeStateStoreContract(
  name: string,
  createStore: (clock: FakeClock) => Promise<StateStore>,
): void {
  describe(`StateStore contract: ${name}`, () => {
    let clock: FakeClock;
    let store: StateStore;

    beforeEach(async () => {
      clock = new FakeClock();
      store = await createStore(clock);
    });
    afterEach(async () => {
      await store.close();
    });

    describeAdmitContract(
      () => store,
      () => clock,
    );

    const rpm = (key: string, limit: number, cost = 1): RateLimit => ({ key, limit, windowMs: 60_000, cost });
    const request = (
      rates: RateLimit[],
      concurrency: ReserveRequest['concurrency'] = [],
      leaseId = 'lease',
    ): ReserveRequest => ({
      rates,
      concurrency,
      leaseId,
      leaseTtlMs: 30_000,
    });

    describe('reserve: rates (GCRA)', () => {
      it('grants a burst of `limit` at once, then refuses with the exact wait', async () => {
        for (let index = 0; index < 3; index += 1) {
          expect((await store.reserve(request([rpm('r', 3)]))).granted).toBe(true);
        }
        const refused = await store.reserve(request([rpm('r', 3)]));
        expect(refused).toMatchObject({ granted: false, rejectedKey: 'r', retryAfterMs: 20_000 });
        await clock.advance(19_999);
        expect(await store.reserve(request([rpm('r', 3)]))).toMatchObject({
          granted: false,
          retryAfterMs: 1,
        });
        await clock.advance(1);
        expect((await store.reserve(request([rpm('r', 3)]))).granted).toBe(true);
      });

      it('refills one unit per window/limit', async () => {
        for (let index = 0; index < 6; index += 1) await store.reserve(request([rpm('r', 6)]));
        expect((await store.reserve(request([rpm('r', 6)]))).granted).toBe(false);
        await clock.advance(10_000);
        expect((await store.reserve(request([rpm('r', 6)]))).granted).toBe(true);
        expect((await store.reserve(request([rpm('r', 6)]))).granted).toBe(false);
        await clock.advance(30_000);
        for (let index = 0; index < 3; index += 1) {
          expect((await store.reserve(request([rpm('r', 6)]))).granted).toBe(true);
        }
        expect((await store.reserve(request([rpm('r', 6)]))).granted).toBe(false);
      });

      it('reports remaining and reset per limit', async () => {
        const result = await store.reserve(request([rpm('a', 10, 4), rpm('b', 100, 4)]));
        expect(result.states).toEqual([
          { key: 'a', limit: 10, remaining: 6, resetMs: 24_000 },
          { key: 'b', limit: 100, remaining: 96, resetMs: 2_400 },
        ]);
      });

      it('counts a cost of several units (tokens) and never admits a cost above the limit', async () => {
        const tpm = (cost: number): RateLimit => ({ key: 't', limit: 1000, windowMs: 60_000, cost });
        expect((await store.reserve(request([tpm(700)]))).granted).toBe(true);
        const refused = await store.reserve(request([tpm(400)]));
        expect(refused).toMatchObject({ granted: false, retryAfterMs: 6_000 });
        expect(await store.reserve(request([tpm(1001)]))).toMatchObject({
          granted: false,
          retryAfterMs: Infinity,
        });
      });

      it('is all or nothing: when one limit refuses, none is counted', async () => {
        await store.reserve(request([rpm('full', 1)]));
        const refused = await store.reserve(
          request([rpm('free', 2), rpm('full', 1)], [{ key: 'c', limit: 1 }]),
        );
        expect(refused).toMatchObject({ granted: false, rejectedKey: 'full' });
        // neither the free rate nor the concurrency slot was taken
        expect((await store.reserve(request([rpm('free', 2)], [], 'a'))).granted).toBe(true);
        expect((await store.reserve(request([rpm('free', 2)], [{ key: 'c', limit: 1 }], 'b'))).granted).toBe(
          true,
        );
      });

      it('names the first limit that refused', async () => {
        await store.reserve(request([rpm('x', 1), rpm('y', 1)]));
        expect(await store.reserve(request([rpm('z', 5), rpm('y', 1), rpm('x', 1)]))).toMatchObject({
          granted: false,
          rejectedKey: 'y',
        });
      });

      it('grants exactly min(N, R) of N parallel reserves', async () => {
        const results = await Promise.all(
          Array.from({ length: 25 }, (_, index) => store.reserve(request([rpm('p', 7)], [], `l${index}`))),
        );
        expect(results.filter((result) => result.granted)).toHaveLength(7);
      });
    });

    describe('reserve: concurrency leases', () => {
      const slots = [{ key: 'c', limit: 2 }];

      it('holds up to `limit` leases, frees one on release, and releasing twice is harmless', async () => {
        expect((await store.reserve(request([], slots, 'a'))).granted).toBe(true);
        const second = await store.reserve(request([], slots, 'b'));
        expect(second).toEqual({ granted: true, states: [{ key: 'c', limit: 2, remaining: 0, resetMs: 0 }] });
        expect(await store.reserve(request([], slots, 'c'))).toMatchObject({
          granted: false,
          rejectedKey: 'c',
        });
        await store.release(['c'], 'a');
        await store.release(['c'], 'a');
        expect((await store.reserve(request([], slots, 'c'))).granted).toBe(true);
        expect((await store.reserve(request([], slots, 'd'))).granted).toBe(false);
      });

      it('lets the same lease re-reserve without taking a second slot', async () => {
        await store.reserve(request([], slots, 'a'));
        await store.reserve(request([], slots, 'a'));
        expect((await store.reserve(request([], slots, 'b'))).granted).toBe(true);
      });

      it('counts what remains the same when the lease re-reserves below the limit, granted or refused', async () => {
        const three = [{ key: 'r3', limit: 3 }];
        await store.reserve(request([], three, 'a'));
        // a already holds one of 3: after its re-reserve 2 remain, not 1.
        expect(await store.reserve(request([], three, 'a'))).toEqual({
          granted: true,
          states: [{ key: 'r3', limit: 3, remaining: 2, resetMs: 0 }],
        });
        // Refused by another limit: the count of r3 is reported the same way.
        const full = { key: 'full', limit: 1 };
        await store.reserve(request([], [full], 'other'));
        expect(await store.reserve(request([], [...three, full], 'a'))).toMatchObject({
          granted: false,
          rejectedKey: 'full',
          states: [
            { key: 'r3', limit: 3, remaining: 2, resetMs: 0 },
            { key: 'full', limit: 1, remaining: 0, resetMs: 0 },
          ],
        });
        // A new lease below the limit: taken, one fewer remains.
        expect(await store.reserve(request([], three, 'b'))).toEqual({
          granted: true,
          states: [{ key: 'r3', limit: 3, remaining: 1, resetMs: 0 }],
        });
      });

      it('reclaims a lease that was not released within its TTL', async () => {
        await store.reserve(request([], [{ key: 'c', limit: 1 }], 'crashed'));
        await clock.advance(29_999);
        expect((await store.reserve(request([], [{ key: 'c', limit: 1 }], 'b'))).granted).toBe(false);
        await clock.advance(1);
        expect((await store.reserve(request([], [{ key: 'c', limit: 1 }], 'b'))).granted).toBe(true);
      });

      it('grants exactly `limit` of N parallel reserves', async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, index) =>
            store.reserve(request([], [{ key: 'p', limit: 4 }], `l${index}`)),
          ),
        );
        expect(results.filter((result) => result.granted)).toHaveLength(4);
      });
    });

    describe('adjustRate', () => {
      const tpm = (cost: number): RateLimit => ({ key: 't', limit: 1000, windowMs: 60_000, cost });

      it('adds usage without checking it, and refunds free capacity', async () => {
        await store.reserve(request([tpm(500)]));
        await store.adjustRate(tpm(600));
        expect(await store.reserve(request([tpm(1)]))).toMatchObject({ granted: false, retryAfterMs: 6_060 });
        await store.adjustRate(tpm(-800));
        expect(await store.reserve(request([tpm(700)]))).toMatchObject({
          granted: true,
          states: [{ key: 't', remaining: 0 }],
        });
      });

      it('never refunds below empty', async () => {
        await store.adjustRate(tpm(-5000));
        expect((await store.reserve(request([tpm(1000)]))).granted).toBe(true);
        expect((await store.reserve(request([tpm(1)]))).granted).toBe(false);
      });
    });

    describe('settle', () => {
      const tpm = (cost: number, key = 't'): RateLimit => ({ key, limit: 1000, windowMs: 60_000, cost });
      const slots = [{ key: 'c', limit: 1 }];

      it('adjusts every rate and releases the lease in one call, as adjustRate and release do', async () => {
        await store.reserve(request([tpm(500), tpm(500, 'u')], slots, 'a'));
        expect((await store.reserve(request([], slots, 'b'))).granted).toBe(false);
        await store.settle([tpm(600), tpm(-500, 'u')], ['c'], 'a');
        expect(await store.reserve(request([tpm(1)], [], 'x'))).toMatchObject({
          granted: false,
          retryAfterMs: 6_060,
        });
        expect(await store.reserve(request([tpm(1000, 'u')], [], 'x'))).toMatchObject({ granted: true });
        expect((await store.reserve(request([], slots, 'b'))).granted).toBe(true);
        // settling again, or with nothing to do, is harmless
        await store.settle([], ['c'], 'a');
        await store.settle([], [], 'a');
        expect((await store.reserve(request([], slots, 'c'))).granted).toBe(false);
      });
    });

    describe('windowed counters', () => {
      it('sums increments over the window and forgets buckets that left it', async () => {
        expect(await store.incrementWindow('w', { ok: 1, latency: 250 }, 10_000)).toEqual({
          ok: 1,
          latency: 250,
        });
        await clock.advance(5_000);
        expect(await store.incrementWindow('w', { ok: 1, failed: 1 }, 10_000)).toEqual({
          ok: 2,
          latency: 250,
          failed: 1,
        });
        expect(await store.readWindow('w', 10_000)).toEqual({ ok: 2, latency: 250, failed: 1 });
        await clock.advance(5_000);
        expect(await store.readWindow('w', 10_000)).toEqual({ ok: 1, failed: 1 });
        await clock.advance(5_000);
        expect(await store.readWindow('w', 10_000)).toEqual({});
        expect(await store.readWindow('never-written', 10_000)).toEqual({});
      });

      it('keeps counters of different keys apart', async () => {
        await store.incrementWindow('a', { n: 2 }, 60_000);
        await store.incrementWindow('b', { n: 5 }, 60_000);
        expect(await store.readWindow('a', 60_000)).toEqual({ n: 2 });
      });

      it('addToWindow counts as incrementWindow does, without answering the sums', async () => {
        await store.addToWindow('q', { ok: 1, latency: 250 }, 10_000);
        await clock.advance(5_000);
        expect(await store.incrementWindow('q', { ok: 1 }, 10_000)).toEqual({ ok: 2, latency: 250 });
        await store.addToWindow('q', { failed: 1, ok: -1 }, 10_000);
        expect(await store.readWindow('q', 10_000)).toEqual({ ok: 1, latency: 250, failed: 1 });
        await clock.advance(5_000);
        expect(await store.readWindow('q', 10_000)).toEqual({ ok: 0, failed: 1 });
        await Promise.all(Array.from({ length: 30 }, () => store.addToWindow('q', { n: 1 }, 10_000)));
        expect(await store.readWindow('q', 10_000)).toEqual({ ok: 0, failed: 1, n: 30 });
      });

      it('adds parallel increments without losing any', async () => {
        await Promise.all(Array.from({ length: 30 }, () => store.incrementWindow('p', { n: 1 }, 60_000)));
        expect(await store.readWindow('p', 60_000)).toEqual({ n: 30 });
      });
    });

    describe('values', () => {
      it('gets what was set until its TTL passes', async () => {
        await store.set('k', 'v1', 10_000);
        expect(await store.get('k')).toBe('v1');
        await clock.advance(9_999);
        expect(await store.getMany(['k', 'absent'])).toEqual(['v1', undefined]);
        await clock.advance(1);
        expect(await store.get('k')).toBeUndefined();
      });

      it('overwrites a value and its TTL', async () => {
        await store.set('k', 'v1', 10_000);
        await store.set('k', 'v2', 30_000);
        await clock.advance(20_000);
        expect(await store.get('k')).toBe('v2');
      });

      it('compare-and-sets against an absent value', async () => {
        expect(await store.compareAndSet('k', undefined, 'first', 10_000)).toBe(true);
        expect(await store.compareAndSet('k', undefined, 'second', 10_000)).toBe(false);
        expect(await store.get('k')).toBe('first');
        await clock.advance(10_000);
        expect(await store.compareAndSet('k', undefined, 'after-expiry', 10_000)).toBe(true);
      });

      it('compare-and-sets against a present value', async () => {
        await store.set('k', 'open', 10_000);
        expect(await store.compareAndSet('k', 'closed', 'half-open', 10_000)).toBe(false);
        expect(await store.compareAndSet('k', 'open', 'half-open', 10_000)).toBe(true);
        expect(await store.get('k')).toBe('half-open');
        await clock.advance(10_000);
        expect(await store.compareAndSet('k', 'half-open', 'x', 10_000)).toBe(false);
      });

      it('lets exactly one of N parallel compare-and-sets win', async () => {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, index) =>
            store.compareAndSet('lock', undefined, `owner${index}`, 10_000),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('deletes a value', async () => {
        await store.set('k', 'v', 10_000);
        await store.delete('k');
        await store.delete('k');
        expect(await store.get('k')).toBeUndefined();
        expect(await store.scan('k')).toEqual({});
      });

      it('scans live keys by prefix', async () => {
        await store.set('replica:a', '1', 10_000);
        await store.set('replica:b', '2', 30_000);
        await store.set('replicas-other', '3', 30_000);
        await store.set('other', '4', 30_000);
        expect(await store.scan('replica:')).toEqual({ 'replica:a': '1', 'replica:b': '2' });
        await clock.advance(10_000);
        expect(await store.scan('replica:')).toEqual({ 'replica:b': '2' });
        expect(await store.scan('nothing:')).toEqual({});
      });
    });

    describe('publish and subscribe', () => {
      it('delivers to every subscriber of the channel, in order, and none after unsubscribe', async () => {
        const seen: string[] = [];
        const unsubscribeFirst = await store.subscribe('events', (message) => seen.push(`first:${message}`));
        await store.subscribe('unrelated', (message) => seen.push(`unrelated:${message}`));
        let arrived = Promise.withResolvers<undefined>();
        const unsubscribeSecond = await store.subscribe('events', (message) => {
          seen.push(`second:${message}`);
          arrived.resolve(undefined);
        });
        await store.publish('events', 'one');
        await arrived.promise;
        expect(seen).toEqual(['first:one', 'second:one']);

        await unsubscribeFirst();
        await unsubscribeFirst();
        arrived = Promise.withResolvers<undefined>();
        await store.publish('events', 'two');
        await arrived.promise;
        // handlers of one channel run in order for each message: had 'first' still been
        // subscribed, it would have seen 'two' before 'second' did
        expect(seen).toEqual(['first:one', 'second:one', 'second:two']);
        await unsubscribeSecond();
      });

      it('keeps delivering to the others when one subscriber throws, and publish does not fail', async () => {
        await store.subscribe('events', () => {
          throw new Error('a broken subscriber');
        });
        const arrived = Promise.withResolvers<string>();
        await store.subscribe('events', arrived.resolve);
        await store.publish('events', 'still delivered');
        expect(await arrived.promise).toBe('still delivered');
      });
    });
  });
}
