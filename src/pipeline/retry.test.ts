import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.ts';
import { errorCodes, errorTable } from '../errors/error-table.ts';
import {
  chatRequest,
  configWith,
  createHarness,
  principalOf,
  ScriptedChatModel,
  until,
} from '../../test/support/pipeline/gateway-harness.ts';

const twoDeployments = (router: Record<string, unknown> = {}) =>
  configWith(
    {
      g: {
        strategy: 'ordered',
        deployments: [
          { id: 'd1', provider: 'east', model: 'm1' },
          { id: 'd2', provider: 'west', model: 'm2' },
        ],
      },
    },
    router,
  );

const oneDeployment = (router: Record<string, unknown> = {}) =>
  configWith({ g: { deployments: [{ id: 'd1', provider: 'east', model: 'm1' }] } }, router);

describe('retries', () => {
  it('moves to another healthy candidate at once instead of sleeping', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'fail', status: 503 }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok' }]);
    const harness = createHarness(twoDeployments(), { d1, d2 });
    const result = await harness.gateway.chat(chatRequest('g'), harness.context());
    expect(result.route.target?.deployment).toBe('d2');
    expect(result.route.attempts).toBe(2);
    expect(harness.eventsOf('retry-scheduled')).toHaveLength(0);
    expect(harness.clock.pendingSleeps()).toBe(0);
  });

  it('honours Retry-After on the same deployment (never sooner)', async () => {
    const d1 = new ScriptedChatModel('m1', [
      { kind: 'fail', status: 429, retryAfterMs: 3000 },
      { kind: 'ok' },
    ]);
    const harness = createHarness(oneDeployment(), { d1 }, { random: () => 0.99 });
    let settled = false;
    const pending = harness.gateway.chat(chatRequest('g'), harness.context()).finally(() => {
      settled = true;
    });
    await until(() => harness.eventsOf('retry-scheduled').length === 1);
    expect(harness.eventsOf('retry-scheduled')[0]?.delayMs).toBe(3000);
    expect(harness.eventsOf('cooldown-started')[0]).toMatchObject({ deployment: 'd1', durationMs: 3000 });
    await harness.clock.advance(2999);
    expect(settled).toBe(false);
    await harness.clock.advance(1);
    const result = await pending;
    expect(result.route.attempts).toBe(2);
    expect(d1.calls).toBe(2);
  });

  it('does not wait out a Retry-After when a fallback group can serve now', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'fail', status: 429, retryAfterMs: 3000 }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok' }]);
    const config = configWith(
      {
        g: { deployments: [{ id: 'd1', provider: 'east', model: 'm1' }], fallbacks: ['f'] },
        f: { deployments: [{ id: 'd2', provider: 'west', model: 'm2' }] },
      },
      { retries: 2 },
    );
    const harness = createHarness(config, { d1, d2 }, { random: () => 0.99 });
    const result = await harness.gateway.chat(chatRequest('g'), harness.context());
    expect(result.route.target).toMatchObject({ group: 'f', deployment: 'd2' });
    expect(result.route.attempts).toBe(2);
    expect(d1.calls).toBe(1);
    expect(harness.eventsOf('retry-scheduled')).toHaveLength(0);
    expect(harness.clock.pendingSleeps()).toBe(0);
  });

  it('a 5xx without Retry-After is still retried on the same deployment before the fallback', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'fail', status: 500 }, { kind: 'ok' }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok' }]);
    const config = configWith(
      {
        g: { deployments: [{ id: 'd1', provider: 'east', model: 'm1' }], fallbacks: ['f'] },
        f: { deployments: [{ id: 'd2', provider: 'west', model: 'm2' }] },
      },
      { retries: 2, backoff: { base_ms: 100, max_ms: 100 } },
    );
    const harness = createHarness(config, { d1, d2 }, { random: () => 0.99 });
    const pending = harness.gateway.chat(chatRequest('g'), harness.context());
    await until(() => harness.eventsOf('retry-scheduled').length === 1);
    await harness.clock.advance(100);
    const result = await pending;
    expect(result.route.target).toMatchObject({ group: 'g', deployment: 'd1' });
    expect(d2.calls).toBe(0);
  });

  it('never retries a non-retryable, non-fallback error', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'fail', status: 400 }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok' }]);
    const harness = createHarness(twoDeployments(), { d1, d2 });
    await expect(harness.gateway.chat(chatRequest('g'), harness.context())).rejects.toMatchObject({
      code: 'upstream_invalid_request',
      status: 400,
    });
    expect(d1.calls + d2.calls).toBe(1);
  });

  it('moves on after a fallback-only error but never repeats it on the same deployment', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'fail', status: 401 }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'fail', status: 401 }]);
    const harness = createHarness(twoDeployments({ retries: 5 }), { d1, d2 });
    await expect(harness.gateway.chat(chatRequest('g'), harness.context())).rejects.toMatchObject({
      code: 'upstream_auth_failed',
    });
    expect([d1.calls, d2.calls]).toEqual([1, 1]);
  });

  it('retries a retryable but not fallback-eligible error only on the same deployment', async () => {
    // The table decides which codes are retryable but not fallback-eligible (a state store that did not answer).
    const code = errorCodes.find((each) => errorTable[each].retryable && !errorTable[each].fallbackEligible);
    if (code === undefined) throw new Error('no retryable, non-fallback code in the error table');
    const error = new GatewayError('flaky', { code });
    const d1 = new ScriptedChatModel('m1', [{ kind: 'error', error }, { kind: 'ok' }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok' }]);
    const harness = createHarness(twoDeployments(), { d1, d2 }, { random: () => 0.5 });
    const pending = harness.gateway.chat(chatRequest('g'), harness.context());
    await until(() => harness.eventsOf('retry-scheduled').length === 1);
    expect(harness.eventsOf('retry-scheduled')[0]?.delayMs).toBe(50);
    await harness.clock.advance(50);
    const result = await pending;
    expect(result.route.target?.deployment).toBe('d1');
    expect(d2.calls).toBe(0);
  });

  it('the retry budget stops retries from multiplying an outage', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'fail', status: 503 }]);
    const router = { retries: 3, retry_budget: { ratio: 0, window_s: 10, min_retries: 1 } };
    const harness = createHarness(oneDeployment(router), { d1 }, { random: () => 0 });
    const first = harness.gateway.chat(chatRequest('g'), harness.context()).catch((error: unknown) => error);
    await until(() => harness.clock.pendingSleeps() === 1);
    await harness.clock.advance(0);
    const error = (await first) as GatewayError;
    expect(error.code).toBe('upstream_unavailable');
    expect(d1.calls).toBe(2);
    expect(harness.eventsOf('retry-denied')).toEqual([
      { type: 'retry-denied', requestId: expect.any(String), group: 'g', reason: 'budget-exhausted' },
    ]);
  });

  it('stops at the retries limit with the last upstream error', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'fail', status: 503 }]);
    const harness = createHarness(oneDeployment({ retries: 2 }), { d1 }, { random: () => 0 });
    const pending = harness.gateway
      .chat(chatRequest('g'), harness.context())
      .catch((error: unknown) => error);
    // Zero-delay sleeps (random 0) registered while advancing wake within the same advance.
    await until(() => harness.clock.pendingSleeps() === 1);
    await harness.clock.advance(0);
    expect(await pending).toMatchObject({ code: 'upstream_unavailable' });
    expect(d1.calls).toBe(3);
    expect(harness.eventsOf('request-finished')[0]).toMatchObject({ attempts: 3, status: 503 });
  });

  it('a client disconnect stops everything at once, no more retries', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'fail', status: 503 }]);
    const harness = createHarness(oneDeployment({ retries: 5 }), { d1 }, { random: () => 0.5 });
    const controller = new AbortController();
    const pending = harness.gateway
      .chat(chatRequest('g'), harness.context(principalOf('t'), { signal: controller.signal }))
      .catch((error: unknown) => error);
    await until(() => harness.eventsOf('retry-scheduled').length === 1);
    controller.abort();
    expect(await pending).toMatchObject({ code: 'client_closed' });
    expect(d1.calls).toBe(1);
  });

  it('a client disconnect aborts the upstream call in flight', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'hang' }]);
    const harness = createHarness(oneDeployment(), { d1 });
    const controller = new AbortController();
    const pending = harness.gateway
      .chat(chatRequest('g'), harness.context(principalOf('t'), { signal: controller.signal }))
      .catch((error: unknown) => error);
    await until(() => d1.active === 1);
    controller.abort();
    expect(await pending).toMatchObject({ code: 'client_closed' });
    expect(d1.active).toBe(0);
    expect(harness.clock.pendingSleeps()).toBe(0);
  });

  it('the first-token timeout fails a silent attempt over to the next deployment', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'hang' }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok' }]);
    const harness = createHarness(twoDeployments({ first_token_timeout_ms: 1000 }), { d1, d2 });
    const pending = harness.gateway.chat(chatRequest('g'), harness.context());
    await until(() => d1.active === 1);
    await harness.clock.advance(1000);
    const result = await pending;
    expect(result.route.target?.deployment).toBe('d2');
    expect(harness.eventsOf('attempt-finished')[0]).toMatchObject({
      outcome: 'error',
      errorCode: 'upstream_timeout',
    });
  });

  it('a timed-out deployment is never tried again: the fallback answers after one timeout', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'hang' }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok' }]);
    const config = configWith(
      {
        g: { deployments: [{ id: 'd1', provider: 'east', model: 'm1' }], fallbacks: ['f'] },
        f: { deployments: [{ id: 'd2', provider: 'west', model: 'm2' }] },
      },
      { retries: 3, first_token_timeout_ms: 1000 },
    );
    const harness = createHarness(config, { d1, d2 }, { random: () => 0 });
    const pending = harness.gateway.chat(chatRequest('g'), harness.context());
    await until(() => d1.active === 1);
    await harness.clock.advance(1000);
    const result = await pending;
    expect(result.route.target).toMatchObject({ group: 'f', deployment: 'd2' });
    expect(d1.calls).toBe(1);
    expect(harness.eventsOf('retry-scheduled')).toHaveLength(0);
  });

  it('after a timeout, retries go to the other deployment, never back to the silent one', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'hang' }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'fail', status: 503 }, { kind: 'ok' }]);
    const harness = createHarness(
      twoDeployments({ retries: 3, first_token_timeout_ms: 1000 }),
      { d1, d2 },
      { random: () => 0 },
    );
    const pending = harness.gateway.chat(chatRequest('g'), harness.context());
    await until(() => d1.active === 1);
    await harness.clock.advance(1000);
    // d2's 503 is retried after a zero backoff (random 0): on d2, the only one not excluded.
    await until(() => d2.calls === 2 || harness.clock.pendingSleeps() === 1);
    await harness.clock.advance(0);
    const result = await pending;
    expect(result.route.target?.deployment).toBe('d2');
    expect([d1.calls, d2.calls]).toEqual([1, 2]);
  });

  it('the total timeout ends the request', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'hang' }]);
    const harness = createHarness(oneDeployment({ timeout_ms: 500, first_token_timeout_ms: 1000 }), { d1 });
    const pending = harness.gateway
      .chat(chatRequest('g'), harness.context())
      .catch((error: unknown) => error);
    await until(() => d1.active === 1);
    await harness.clock.advance(500);
    expect(await pending).toMatchObject({ code: 'timeout', status: 504 });
    expect(d1.calls).toBe(1);
  });
});
