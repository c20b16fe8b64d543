import { describe, expect, it } from 'vitest';
import {
  chatRequest,
  configWith,
  createHarness,
  ScriptedChatModel,
  streamOf,
  until,
} from '../../test/support/pipeline/gateway-harness.ts';

const price = { input: 3, output: 15 };
const hedged = (extra: Record<string, unknown> = {}) =>
  configWith(
    {
      g: {
        strategy: 'ordered',
        hedge_after_ms: 500,
        deployments: [
          { id: 'd1', provider: 'east', model: 'm1', price },
          { id: 'd2', provider: 'west', model: 'm2', price },
        ],
        ...extra,
      },
    },
    { first_token_timeout_ms: 5000 },
  );

describe('hedged first tokens', () => {
  it('no first token by the delay: the hedge on the other deployment serves, the first is aborted', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'hang' }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok' }]);
    const harness = createHarness(hedged(), { d1, d2 });
    const pending = harness.gateway.chat(chatRequest('g'), harness.context());
    await until(() => d1.active === 1);
    expect(d2.calls).toBe(0);
    await harness.clock.advance(500);
    const result = await pending;
    expect(result.route).toMatchObject({ target: { deployment: 'd2' }, attempts: 2, hedged: true });
    expect(d1.active).toBe(0);
    expect(harness.eventsOf('hedge-finished')).toEqual([
      expect.objectContaining({
        group: 'g',
        outcome: 'won',
        deployment: 'd2',
        loserCostUsd: expect.any(Number),
      }),
    ]);
    const attempts = harness
      .eventsOf('attempt-finished')
      .map((event) => [event.target.deployment, event.errorCode]);
    expect(attempts.sort()).toEqual([
      ['d1', 'hedge_outpaced'],
      ['d2', undefined],
    ]);
    // The loser's input tokens are part of the request's cost.
    const finished = harness.eventsOf('request-finished')[0];
    const loser = harness.eventsOf('hedge-finished')[0]?.loserCostUsd ?? 0;
    expect(loser).toBeGreaterThan(0);
    expect(finished?.costUsd).toBeCloseTo((result.costUsd ?? 0) + loser, 12);
  });

  it('a first token before the delay: no hedge at all', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'ok' }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok' }]);
    const harness = createHarness(hedged(), { d1, d2 });
    const result = await harness.gateway.chat(chatRequest('g'), harness.context());
    expect(result.route).toMatchObject({ target: { deployment: 'd1' }, attempts: 1 });
    expect(result.route.hedged).toBeUndefined();
    expect(d2.calls).toBe(0);
    expect(harness.eventsOf('hedge-finished')).toHaveLength(0);
  });

  it('the hedge budget bounds hedging: none left, the request waits for its first attempt', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'hang' }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok' }]);
    const harness = createHarness(hedged({ hedge_budget: 0 }), { d1, d2 });
    // min 1 hedge per window: the first request may hedge, the second may not.
    const first = harness.gateway.chat(chatRequest('g'), harness.context());
    await until(() => d1.active === 1);
    await harness.clock.advance(500);
    expect((await first).route.hedged).toBe(true);
    const second = harness.gateway.chat(chatRequest('g'), harness.context()).catch((error: unknown) => error);
    await until(() => d1.active === 1);
    await harness.clock.advance(500);
    await until(() => harness.eventsOf('hedge-finished').length === 2);
    expect(harness.eventsOf('hedge-finished')[1]).toMatchObject({ outcome: 'denied' });
    expect(d2.calls).toBe(1);
    // The first attempt's first-token timeout then fails it over to d2 as usual.
    await harness.clock.advance(4500);
    expect(await second).toMatchObject({ route: { target: { deployment: 'd2' } } });
  });

  it('a stream: the first to send content wins; the other is aborted', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'hang' }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok', text: 'hello' }]);
    const harness = createHarness(hedged(), { d1, d2 });
    const pending = harness.gateway.streamChat(chatRequest('g', { stream: true }), harness.context());
    await until(() => d1.calls === 1);
    await harness.clock.advance(500);
    const result = await pending;
    expect(result.route).toMatchObject({ target: { deployment: 'd2' }, hedged: true });
    let text = '';
    for await (const event of result.events) if (event.type === 'text_delta') text += event.text;
    expect(text).toBe('hello');
    expect(
      harness.eventsOf('attempt-finished').find((event) => event.target.deployment === 'd1'),
    ).toMatchObject({
      errorCode: 'hedge_outpaced',
    });
  });

  it('the first attempt answers after the hedge started: the hedge is aborted, neutral for its health', async () => {
    const d2 = new ScriptedChatModel('m2', [{ kind: 'hang' }]);
    const d1 = new ScriptedChatModel('m1', [{ kind: 'ok', during: () => until(() => d2.active === 1) }]);
    const harness = createHarness(hedged(), { d1, d2 });
    const pending = harness.gateway.chat(chatRequest('g'), harness.context());
    await until(() => d1.active === 1);
    await harness.clock.advance(500);
    const result = await pending;
    expect(result.route.target?.deployment).toBe('d1');
    expect(result.route.hedged).toBeUndefined();
    await until(() => d2.active === 0);
    expect(harness.eventsOf('hedge-finished')[0]).toMatchObject({ outcome: 'lost', deployment: 'd2' });
    expect(
      harness.eventsOf('attempt-finished').find((event) => event.target.deployment === 'd2'),
    ).toMatchObject({
      errorCode: 'hedge_cancelled',
    });
  });

  it('learned delay (p95): until the deployment has samples, half the first-token timeout', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'hang' }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok' }]);
    const harness = createHarness(hedged({ hedge_after_ms: 'p95' }), { d1, d2 });
    const pending = harness.gateway.chat(chatRequest('g'), harness.context());
    await until(() => d1.active === 1);
    await harness.clock.advance(2499);
    expect(d2.calls).toBe(0);
    await harness.clock.advance(1);
    expect((await pending).route.hedged).toBe(true);
  });

  it('learned delay (p95): the best deployment observed first-token p95', async () => {
    // The upstream's latency: each of the first 16 answers takes 100 ms on the harness's clock.
    const box: { harness?: ReturnType<typeof createHarness> } = {};
    const fast = { kind: 'ok' as const, during: () => box.harness?.clock.advance(100) ?? Promise.resolve() };
    const d1 = new ScriptedChatModel('m1', [...Array.from({ length: 16 }, () => fast), { kind: 'hang' }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok' }]);
    const harness = createHarness(hedged({ hedge_after_ms: 'p95' }), { d1, d2 });
    box.harness = harness;
    for (let index = 0; index < 16; index += 1)
      await harness.gateway.chat(chatRequest('g'), harness.context());
    expect(d2.calls).toBe(0);
    const pending = harness.gateway.chat(chatRequest('g'), harness.context());
    await until(() => d1.active === 1);
    await harness.clock.advance(99);
    expect(d2.calls).toBe(0);
    await harness.clock.advance(1);
    expect((await pending).route).toMatchObject({ target: { deployment: 'd2' }, hedged: true });
  });

  it('learned delay (p95) of a non-streamed request: whole answers, not first tokens', async () => {
    // d1 streams a first token at once and the rest in 100 ms (20 ms per token), then answers 16
    // non-streamed requests in 100 ms each: their first tokens are estimated at 0 ms, their answers
    // take 100 ms. A non-streamed request commits with its whole answer, so its hedge waits for the
    // answers' p95 (100 ms); measured against first tokens (0 ms) every answer would be hedged.
    const box: { harness?: ReturnType<typeof createHarness> } = {};
    const advance = (ms: number) => () => box.harness?.clock.advance(ms) ?? Promise.resolve();
    const answer = (ms: number) => ({ kind: 'ok' as const, during: advance(ms) });
    const d1 = new ScriptedChatModel('m1', [
      { kind: 'events', events: streamOf('m1', 'streamed'), afterFirstText: advance(100) },
      ...Array.from({ length: 16 }, () => answer(100)),
      answer(60),
    ]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok' }]);
    const harness = createHarness(hedged({ hedge_after_ms: 'p95' }), { d1, d2 });
    box.harness = harness;
    const streamed = await harness.gateway.streamChat(chatRequest('g', { stream: true }), harness.context());
    for await (const event of streamed.events) expect(event.type).toBeDefined();
    for (let index = 0; index < 17; index += 1) {
      const result = await harness.gateway.chat(chatRequest('g'), harness.context());
      expect(result.route.target?.deployment).toBe('d1');
    }
    expect(d2.calls).toBe(0);
    expect(harness.eventsOf('hedge-finished')).toHaveLength(0);
  });
});
