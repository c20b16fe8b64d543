import { describe, expect, it, vi } from 'vitest';
import {
  chatRequest,
  configWith,
  createHarness,
  principalOf,
  ScriptedChatModel,
  type Harness,
} from '../../test/support/pipeline/gateway-harness.ts';

// The first deployment's reservation made inside the admission's state-store call (decision 0031):
// one store call before the upstream once the group's health was read, with the deployment limits
// exactly as before, a reservation given back when the plan changed, and the round-robin turn of a
// refused request given back.

const ok = (id: string) => new ScriptedChatModel(id, [{ kind: 'ok' }]);

/** Counts the store calls each request makes before its upstream is called. */
function countCalls(harness: Harness): { admit: number; reserve: number } {
  const calls = { admit: 0, reserve: 0 };
  const { state } = harness;
  const admit = state.admit.bind(state);
  const reserve = state.reserve.bind(state);
  vi.spyOn(state, 'admit').mockImplementation((request) => {
    calls.admit += 1;
    return admit(request);
  });
  vi.spyOn(state, 'reserve').mockImplementation((request) => {
    calls.reserve += 1;
    return reserve(request);
  });
  return calls;
}

describe('the deployment reserved by the admission', () => {
  it('takes one store call before the upstream once the group’s health was read, and keeps the limits exact', async () => {
    const config = configWith({
      g: { deployments: [{ id: 'd1', provider: 'east', model: 'm1', rpm: 3, tpm: 100_000 }] },
    });
    const d1 = ok('m1');
    const harness = createHarness(config, { d1 });
    const calls = countCalls(harness);
    const principal = principalOf('t', { rpm: 100 });
    await harness.gateway.chat(chatRequest('g'), harness.context(principal));
    // the first request of the group: admission, then the deployment's own reservation
    expect(calls).toEqual({ admit: 1, reserve: 1 });
    await harness.gateway.chat(chatRequest('g'), harness.context(principal));
    await harness.gateway.chat(chatRequest('g'), harness.context(principal));
    // later ones: the admission reserved the deployment too
    expect(calls).toEqual({ admit: 3, reserve: 1 });
    // rpm 3: a fourth is refused by the deployment's limit, reserved ahead as before
    await expect(harness.gateway.chat(chatRequest('g'), harness.context(principal))).rejects.toMatchObject({
      code: 'no_capacity',
      status: 429,
    });
    expect(d1.calls).toBe(3);
    expect(harness.eventsOf('rate-limited').map((event) => [event.scope, event.limit])).toEqual([
      ['deployment', 'rpm'],
    ]);
  });

  it('gives the reservation back when the admission reads other health and another deployment comes first', async () => {
    const config = configWith({
      g: {
        strategy: 'ordered',
        deployments: [
          { id: 'd1', provider: 'east', model: 'm1', rpm: 2, max_concurrency: 1 },
          { id: 'd2', provider: 'west', model: 'm2', rpm: 100 },
        ],
      },
    });
    const d1 = ok('m1');
    // while d2 serves, is d1's one concurrency slot free? (the reservation made ahead on d1 given back at once)
    const d1SlotFree: boolean[] = [];
    const d2 = new ScriptedChatModel('m2', [
      {
        kind: 'ok',
        during: async () => {
          const check = {
            rates: [],
            concurrency: [{ key: 'cc:d:d1', limit: 1 }],
            leaseId: 'check',
            leaseTtlMs: 1000,
          };
          d1SlotFree.push((await harness.state.reserve(check)).granted);
          await harness.state.release(['cc:d:d1'], 'check');
        },
      },
    ]);
    const harness = createHarness(config, { d1, d2 });
    await harness.gateway.chat(chatRequest('g'), harness.context());
    expect([d1.calls, d2.calls]).toEqual([1, 0]);
    // d1 cools down after this process last read the group's health: planned ahead on d1 (and its
    // rpm and slot reserved), the admission reads the cooldown, the plan starts with d2 instead
    await harness.state.set('cd:d1', String(harness.clock.now() + 5_000), 60_000);
    await harness.gateway.chat(chatRequest('g'), harness.context());
    expect([d1.calls, d2.calls]).toEqual([1, 1]);
    expect(d1SlotFree).toEqual([true]);
    await harness.clock.advance(5_000);
    // d1's rpm 2: one used; the one reserved ahead was given back, so d1 serves one more
    await harness.gateway.chat(chatRequest('g'), harness.context());
    expect([d1.calls, d2.calls]).toEqual([2, 1]);
    await harness.gateway.chat(chatRequest('g'), harness.context());
    expect([d1.calls, d2.calls]).toEqual([2, 2]);
  });

  it('a request the tenant refuses does not take a round-robin turn', async () => {
    const config = configWith({
      g: {
        strategy: 'round-robin',
        deployments: [
          { id: 'd1', provider: 'east', model: 'm1', rpm: 100 },
          { id: 'd2', provider: 'west', model: 'm2', rpm: 100 },
        ],
      },
    });
    const d1 = ok('m1');
    const d2 = ok('m2');
    const harness = createHarness(config, { d1, d2 });
    const principal = principalOf('t', { rpm: 1 });
    await harness.gateway.chat(chatRequest('g'), harness.context(principal));
    await expect(harness.gateway.chat(chatRequest('g'), harness.context(principal))).rejects.toMatchObject({
      code: 'rate_limited',
    });
    await harness.clock.advance(60_000);
    await harness.gateway.chat(chatRequest('g'), harness.context(principal));
    // the turns went d1, then d2: the refused request's plan gave its turn back
    expect([d1.calls, d2.calls]).toEqual([1, 1]);
  });

  it('a request that ends before its first attempt gives the reservation back', async () => {
    const config = configWith({
      g: { deployments: [{ id: 'd1', provider: 'east', model: 'm1', rpm: 2, max_concurrency: 1 }] },
    });
    const d1 = ok('m1');
    const harness = createHarness(config, { d1 });
    await harness.gateway.chat(chatRequest('g'), harness.context());
    const aborted = new AbortController();
    aborted.abort();
    await expect(
      harness.gateway.chat(chatRequest('g'), harness.context(undefined, { signal: aborted.signal })),
    ).rejects.toBeDefined();
    // rpm 2, concurrency 1: had the aborted request's reservation stayed, the next would be refused
    await harness.gateway.chat(chatRequest('g'), harness.context());
    expect(d1.calls).toBe(2);
  });
});
