import { describe, expect, it } from 'vitest';
import {
  chatRequest,
  configWith,
  createHarness,
  flush,
  ScriptedChatModel,
} from '../../test/support/pipeline/gateway-harness.ts';

const breakerConfig = configWith(
  { g: { deployments: [{ id: 'd1', provider: 'east', model: 'm1' }] } },
  { retries: 0, circuit_breaker: { failure_ratio: 0.5, min_requests: 4, window_s: 30, open_s: 10 } },
);

describe('circuit breaker', () => {
  it('closed → open → half-open (exactly one probe) → closed', async () => {
    const d1 = new ScriptedChatModel('m1', [
      { kind: 'ok' },
      { kind: 'fail', status: 500 },
      { kind: 'fail', status: 500 },
      { kind: 'fail', status: 503 },
      { kind: 'ok' },
    ]);
    const harness = createHarness(breakerConfig, { d1 });
    const send = () => harness.gateway.chat(chatRequest('g'), harness.context());
    await send();
    for (let index = 0; index < 3; index += 1) await send().catch(() => undefined);
    await flush();
    expect(harness.eventsOf('circuit-changed')).toEqual([
      { type: 'circuit-changed', deployment: 'd1', from: 'closed', to: 'open' },
    ]);
    // Open: no traffic reaches the deployment.
    await expect(send()).rejects.toMatchObject({ code: 'no_capacity', status: 503 });
    expect(d1.calls).toBe(4);
    await harness.clock.advance(10_000);
    const results = await Promise.allSettled([send(), send(), send()]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(d1.calls).toBe(5);
    await flush();
    expect(harness.eventsOf('circuit-changed').map((event) => event.to)).toEqual([
      'open',
      'half-open',
      'closed',
    ]);
    await send();
    expect(d1.calls).toBe(6);
  });

  it('a failed probe re-opens the breaker for another open_s', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'fail', status: 500 }]);
    const harness = createHarness(breakerConfig, { d1 });
    const send = () => harness.gateway.chat(chatRequest('g'), harness.context()).catch(() => undefined);
    for (let index = 0; index < 4; index += 1) await send();
    await flush();
    await harness.clock.advance(10_000);
    await send();
    await flush();
    expect(harness.eventsOf('circuit-changed').map((event) => event.to)).toEqual([
      'open',
      'half-open',
      'open',
    ]);
    await harness.clock.advance(9_999);
    await send();
    expect(d1.calls).toBe(5);
    await harness.clock.advance(1);
    await send();
    expect(d1.calls).toBe(6);
  });

  it('client errors do not count against the deployment', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'fail', status: 400 }]);
    const harness = createHarness(breakerConfig, { d1 });
    for (let index = 0; index < 6; index += 1) {
      await harness.gateway.chat(chatRequest('g'), harness.context()).catch(() => undefined);
    }
    await flush();
    expect(harness.eventsOf('circuit-changed')).toHaveLength(0);
    expect(d1.calls).toBe(6);
  });
});

describe('cooldown', () => {
  it('a 429 cools the deployment for its Retry-After, then it serves again', async () => {
    const config = configWith({
      g: {
        strategy: 'ordered',
        deployments: [
          { id: 'd1', provider: 'east', model: 'm1' },
          { id: 'd2', provider: 'west', model: 'm2' },
        ],
      },
    });
    const d1 = new ScriptedChatModel('m1', [
      { kind: 'fail', status: 429, retryAfterMs: 2000 },
      { kind: 'ok' },
    ]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok' }]);
    const harness = createHarness(config, { d1, d2 });
    const send = async () =>
      (await harness.gateway.chat(chatRequest('g'), harness.context())).route.target?.deployment;
    expect(await send()).toBe('d2');
    expect(harness.eventsOf('cooldown-started')).toEqual([
      { type: 'cooldown-started', deployment: 'd1', durationMs: 2000, errorCode: 'upstream_rate_limited' },
    ]);
    expect(await send()).toBe('d2');
    expect(d1.calls).toBe(1);
    await harness.clock.advance(2000);
    expect(await send()).toBe('d1');
  });

  it('when every deployment cools down, the answer is 503 with the soonest Retry-After', async () => {
    const config = configWith(
      { g: { deployments: [{ id: 'd1', provider: 'east', model: 'm1' }] } },
      { retries: 0 },
    );
    const d1 = new ScriptedChatModel('m1', [{ kind: 'fail', status: 429, retryAfterMs: 4000 }]);
    const harness = createHarness(config, { d1 });
    await expect(harness.gateway.chat(chatRequest('g'), harness.context())).rejects.toMatchObject({
      code: 'upstream_rate_limited',
    });
    await harness.clock.advance(1000);
    await expect(harness.gateway.chat(chatRequest('g'), harness.context())).rejects.toMatchObject({
      code: 'no_capacity',
      retryAfterMs: 3000,
    });
  });
});
