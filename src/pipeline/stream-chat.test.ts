import { describe, expect, it } from 'vitest';
import type { ChatStreamEvent } from '../core/stream-event.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import { estimatePromptTokens } from '../limits/estimate-tokens.ts';
import {
  chatRequest,
  configWith,
  createHarness,
  principalOf,
  ScriptedChatModel,
  until,
} from '../../test/support/pipeline/gateway-harness.ts';

const config = (router: Record<string, unknown> = {}) =>
  configWith(
    {
      g: {
        strategy: 'ordered',
        deployments: [
          { id: 'd1', provider: 'east', model: 'm1', price: { input: 1, output: 2 } },
          { id: 'd2', provider: 'west', model: 'm2' },
        ],
      },
    },
    router,
  );

const start: ChatStreamEvent = { type: 'message_start', id: 'm', model: 'm1' };
/** What the client reads for `start`: the upstream gave no usage, so the prompt estimate stands in. */
const startWithEstimate: ChatStreamEvent = {
  ...start,
  usage: { inputTokens: 6, outputTokens: 0, estimated: true },
};
const delta: ChatStreamEvent = { type: 'text_delta', index: 0, text: 'partial' };
const streamRequest = chatRequest('g', { stream: true });

async function collect(events: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const received: ChatStreamEvent[] = [];
  for await (const event of events) received.push(event);
  return received;
}

describe('streamChat', () => {
  it('fails over when a stream breaks before its first content', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'events', events: [start], then: 'fail' }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok', text: 'whole' }]);
    const harness = createHarness(config(), { d1, d2 });
    const result = await harness.gateway.streamChat(streamRequest, harness.context());
    expect(result.route).toMatchObject({ attempts: 2, target: { deployment: 'd2' } });
    const events = await collect(result.events);
    expect(events.filter((event) => event.type === 'message_start')).toHaveLength(1);
    expect(events).toContainEqual({ type: 'text_delta', index: 0, text: 'whole' });
    expect(harness.eventsOf('request-finished')[0]).toMatchObject({
      status: 200,
      stream: true,
      inputTokens: 10,
      outputTokens: 5,
      errorCode: undefined,
    });
  });

  it('after the commit, a failure ends the stream in-band and is accounted', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'events', events: [start, delta], then: 'fail' }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok' }]);
    const harness = createHarness(config(), { d1, d2 });
    const result = await harness.gateway.streamChat(streamRequest, harness.context());
    expect(result.route.target?.deployment).toBe('d1');
    const received: ChatStreamEvent[] = [];
    const error = await (async () => {
      try {
        for await (const event of result.events) received.push(event);
        return undefined;
      } catch (thrown) {
        return thrown as GatewayError;
      }
    })();
    expect(received).toEqual([startWithEstimate, delta]);
    expect(error).toMatchObject({ code: 'upstream_unavailable' });
    expect(d2.calls).toBe(0);
    expect(harness.eventsOf('request-finished')[0]).toMatchObject({
      status: 200,
      errorCode: 'upstream_unavailable',
      inputTokens: estimatePromptTokens(streamRequest),
      outputTokens: 2,
      usageEstimated: true,
    });
  });

  it('the first-token timeout moves a silent stream to the next deployment', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'events', events: [start], then: 'hang' }]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok' }]);
    const harness = createHarness(config({ first_token_timeout_ms: 2000 }), { d1, d2 });
    const pending = harness.gateway.streamChat(streamRequest, harness.context());
    await until(() => d1.calls === 1 && harness.clock.pendingSleeps() >= 2);
    await harness.clock.advance(1999);
    expect(d2.calls).toBe(0);
    await harness.clock.advance(1);
    const result = await pending;
    expect(result.route.target?.deployment).toBe('d2');
    await collect(result.events);
  });

  it('the idle timeout ends a committed stream that goes silent', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'events', events: [start, delta], then: 'hang' }]);
    const harness = createHarness(config({ stream_idle_timeout_ms: 500 }), {
      d1,
      d2: new ScriptedChatModel('m2', []),
    });
    const result = await harness.gateway.streamChat(streamRequest, harness.context());
    const iterator = result.events[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual(startWithEstimate);
    expect((await iterator.next()).value).toEqual(delta);
    const next = iterator.next().catch((error: unknown) => error);
    await harness.clock.advance(499);
    await harness.clock.advance(1);
    expect(await next).toMatchObject({ code: 'upstream_timeout' });
    expect(harness.eventsOf('request-finished')[0]).toMatchObject({ errorCode: 'upstream_timeout' });
  });

  it('a consumer that stops early aborts the upstream, and the request is still accounted', async () => {
    const d1 = new ScriptedChatModel('m1', [
      { kind: 'events', events: [start, delta], then: 'hang' },
      { kind: 'ok' },
    ]);
    const harness = createHarness(config(), { d1, d2: new ScriptedChatModel('m2', []) });
    const principal = principalOf('t', { maxConcurrency: 1 });
    const result = await harness.gateway.streamChat(streamRequest, harness.context(principal));
    for await (const event of result.events) {
      if (event.type === 'text_delta') break;
    }
    // The prompt was processed and 'partial' delivered upstream: both are accounted and priced
    // (estimated: the upstream's usage report never came), not recorded as 0 tokens and $0.
    const finished = harness.eventsOf('request-finished')[0];
    expect(finished).toMatchObject({
      status: 200,
      errorCode: 'client_closed',
      inputTokens: estimatePromptTokens(streamRequest),
      outputTokens: Math.ceil('partial'.length / 4),
      usageEstimated: true,
    });
    expect(finished?.costUsd).toBeCloseTo((estimatePromptTokens(streamRequest) * 1 + 2 * 2) / 1e6, 12);
    expect(harness.clock.pendingSleeps()).toBe(0);
    // The tenant's concurrency slot came back.
    const again = await harness.gateway.streamChat(streamRequest, harness.context(principal));
    await collect(again.events);
  });

  it('a stream closed before it was read is accounted too', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'ok' }]);
    const harness = createHarness(config(), { d1, d2: new ScriptedChatModel('m2', []) });
    const result = await harness.gateway.streamChat(streamRequest, harness.context());
    await result.events[Symbol.asyncIterator]().return?.();
    expect(harness.eventsOf('request-finished')).toHaveLength(1);
    // The upstream had the prompt: its estimate is accounted even though nothing was delivered.
    expect(harness.eventsOf('request-finished')[0]).toMatchObject({
      inputTokens: estimatePromptTokens(streamRequest),
      outputTokens: 0,
      usageEstimated: true,
    });
    expect(harness.clock.pendingSleeps()).toBe(0);
  });

  it('a complete stream reports cost and first-token time', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'ok' }]);
    const harness = createHarness(config(), { d1, d2: new ScriptedChatModel('m2', []) });
    const result = await harness.gateway.streamChat(streamRequest, harness.context());
    const events = await collect(result.events);
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { inputTokens: 10, outputTokens: 5 } });
    const finished = harness.eventsOf('request-finished')[0];
    expect(finished?.costUsd).toBeCloseTo((10 * 1 + 5 * 2) / 1e6, 12);
    expect(finished?.firstTokenMs).toBe(0);
  });
});
