import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../core/gateway-events.ts';
import { MemoryStateStore } from '../state/memory-state-store.ts';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { parseBreaker } from './deployment-health.ts';
import { RetryBudget } from './retry-budget.ts';

const config = { failure_ratio: 0.5, min_requests: 4, window_s: 30, open_s: 10 };
const ref = { deploymentId: 'dep-a', breakerKey: 'cb:dep-a' };

describe('CircuitBreaker.recordOutcome', () => {
  const stores: MemoryStateStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  function setup() {
    const clock = new FakeClock();
    const state = new MemoryStateStore(clock);
    stores.push(state);
    const events: GatewayEvent[] = [];
    const breaker = new CircuitBreaker(
      state,
      clock,
      { emit: (event) => events.push(event) },
      pino({ level: 'silent' }),
    );
    return { clock, state, events, breaker };
  }

  it('counts successes and failures of the epoch, and opens at the failure ratio', async () => {
    const { state, events, breaker } = setup();
    const closed = parseBreaker(undefined);
    await breaker.recordOutcome(ref, closed, undefined, 'success', config);
    await breaker.recordOutcome(ref, closed, undefined, 'success', config);
    await breaker.recordOutcome(ref, closed, undefined, 'neutral', config);
    await breaker.recordOutcome(ref, closed, undefined, 'failure', config);
    expect(await state.readWindow('cbw:dep-a:0', 30_000)).toEqual({ ok: 2, failed: 1 });
    expect(await state.get('cb:dep-a')).toBeUndefined();
    await breaker.recordOutcome(ref, closed, undefined, 'failure', config);
    expect(await state.get('cb:dep-a')).toBe(`open|0|${String(1_700_000_010_000)}`);
    expect(events).toEqual([{ type: 'circuit-changed', deployment: 'dep-a', from: 'closed', to: 'open' }]);
  });

  it('counts nothing for a breaker that is not closed, and keeps epochs apart', async () => {
    const { state, breaker } = setup();
    await breaker.recordOutcome(ref, parseBreaker('open|0|1'), undefined, 'success', config);
    await breaker.recordOutcome(ref, parseBreaker('open|0|1'), undefined, 'failure', config);
    expect(await state.readWindow('cbw:dep-a:0', 30_000)).toEqual({});
    await breaker.recordOutcome(ref, parseBreaker('closed|1'), undefined, 'success', config);
    await breaker.recordOutcome(ref, parseBreaker('closed|2'), undefined, 'success', config);
    await breaker.recordOutcome(ref, parseBreaker('closed|1'), undefined, 'success', config);
    expect(await state.readWindow('cbw:dep-a:1', 30_000)).toEqual({ ok: 2 });
    expect(await state.readWindow('cbw:dep-a:2', 30_000)).toEqual({ ok: 1 });
  });

  it('closes the breaker in a new epoch when the probe succeeds', async () => {
    const { clock, state, breaker } = setup();
    await state.set('cb:dep-a', 'open|0|1', 60_000);
    const open = parseBreaker(await state.get('cb:dep-a'));
    const probe = await breaker.claimProbe(ref, open, 5_000);
    expect(probe).toBe(`half-open|0|${String(clock.now() + 5_000)}`);
    await breaker.recordOutcome(ref, open, probe, 'success', config);
    expect(await state.get('cb:dep-a')).toBe('closed|1');
  });

  it('rejects when the store fails', async () => {
    const { state, breaker } = setup();
    state.incrementWindow = () => Promise.reject(new Error('store down'));
    state.addToWindow = () => Promise.reject(new Error('store down'));
    await expect(
      breaker.recordOutcome(ref, parseBreaker(undefined), undefined, 'success', config),
    ).rejects.toThrow('store down');
    await expect(
      breaker.recordOutcome(ref, parseBreaker(undefined), undefined, 'failure', config),
    ).rejects.toThrow('store down');
  });
});

describe('RetryBudget', () => {
  it('allows max(min_retries, ratio × requests) retries per window, and refunds denials', async () => {
    const state = new MemoryStateStore(new FakeClock());
    const budget = new RetryBudget(state, pino({ level: 'silent' }));
    const settings = { ratio: 0.5, window_s: 10, min_retries: 1 };
    for (let index = 0; index < 4; index += 1) budget.countRequest('group', settings);
    const granted = [];
    for (let index = 0; index < 4; index += 1) granted.push(await budget.tryAcquire('group', settings));
    expect(granted).toEqual([true, true, false, false]);
    expect(await state.readWindow('rb:group', 10_000)).toEqual({ requests: 4, retries: 2 });
    await state.close();
  });
});
