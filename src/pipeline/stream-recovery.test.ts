import { describe, expect, it } from 'vitest';
import type { ChatStreamEvent } from '../core/stream-event.ts';
import {
  chatRequest,
  configWith,
  createHarness,
  until,
  ScriptedChatModel,
} from '../../test/support/pipeline/gateway-harness.ts';
import { continueInstruction } from './stream-recovery.ts';

const config = (recovery: 'continue' | 'off', deployments = ['d1', 'd2']) =>
  configWith({
    g: {
      strategy: 'ordered',
      stream_recovery: recovery,
      deployments: deployments.map((id, index) => ({
        id,
        provider: 'east',
        model: `m${index + 1}`,
        ...(index === 0 ? { price: { input: 1, output: 2 } } : {}),
      })),
    },
  });

const start: ChatStreamEvent = { type: 'message_start', id: 'm', model: 'm1' };
const cutAfterHello = new ScriptedChatModel('m1', [
  { kind: 'events', events: [start, { type: 'text_delta', index: 0, text: 'Hello ' }], then: 'fail' },
]);
const request = chatRequest('g', { stream: true });

async function read(
  events: AsyncIterable<ChatStreamEvent>,
): Promise<{ events: ChatStreamEvent[]; error: unknown }> {
  const received: ChatStreamEvent[] = [];
  try {
    for await (const event of events) received.push(event);
  } catch (error) {
    return { events: received, error };
  }
  return { events: received, error: undefined };
}

const textOf = (events: readonly ChatStreamEvent[]): string =>
  events.flatMap((event) => (event.type === 'text_delta' ? [event.text] : [])).join('');
const count = (events: readonly ChatStreamEvent[], type: ChatStreamEvent['type']): number =>
  events.filter((event) => event.type === type).length;

describe('stream recovery (stream_recovery: continue)', () => {
  it('continues a cut stream on the next deployment with a prefill; one message, the usage summed, both attempts accounted', async () => {
    const d1 = new ScriptedChatModel('m1', [
      { kind: 'events', events: [start, { type: 'text_delta', index: 0, text: 'Hello ' }], then: 'fail' },
    ]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok', text: 'world' }]);
    const harness = createHarness(config('continue'), { d1, d2 });
    const result = await harness.gateway.streamChat(request, harness.context());
    const { events, error } = await read(result.events);
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe('Hello world');
    expect([count(events, 'message_start'), count(events, 'message_stop'), count(events, 'usage')]).toEqual([
      1, 1, 1,
    ]);
    // The continuation: the original request plus the delivered text (trailing space left out) as a prefill.
    expect(d2.streamed[0]?.messages.at(-1)).toEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'Hello' }],
    });
    const usage = events.at(-1);
    expect(usage?.type === 'usage' && usage.usage).toMatchObject({ outputTokens: 2 + 5, estimated: true });
    expect(
      harness.eventsOf('attempt-finished').map((event) => [event.target.deployment, event.outcome]),
    ).toEqual([
      ['d1', 'error'],
      ['d2', 'success'],
    ]);
    const [finished] = harness.eventsOf('request-finished');
    expect(finished).toMatchObject({
      attempts: 2,
      errorCode: undefined,
      outputTokens: 7,
      usageEstimated: true,
    });
    expect(finished?.target?.deployment).toBe('d2');
    // The spend record carries the cut attempt's cost (d1 is priced, d2 is not).
    expect(finished?.costUsd).toBeGreaterThan(0);
    expect(harness.eventsOf('stream-recovered')).toMatchObject([{ group: 'g', outcome: 'continued' }]);
  });

  it('a deployment that refuses the prefill (400) continues without it; the 400 never reaches the client', async () => {
    const d2 = new ScriptedChatModel('m2', [
      { kind: 'fail', status: 400 },
      { kind: 'ok', text: 'world' },
    ]);
    const harness = createHarness(config('continue'), { d1: cutAfterHello, d2 });
    const result = await harness.gateway.streamChat(request, harness.context());
    const { events, error } = await read(result.events);
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe('Hello world');
    expect(d2.streamed.map((sent) => sent.messages.at(-1)?.role)).toEqual(['assistant', 'user']);
    expect(d2.streamed[1]?.messages.at(-1)).toEqual({
      role: 'user',
      content: [{ type: 'text', text: continueInstruction }],
    });
  });

  it('with nothing left to continue on, the client gets the error that cut its stream', async () => {
    const d1 = new ScriptedChatModel('m1', [
      { kind: 'events', events: [start, { type: 'text_delta', index: 0, text: 'Hello ' }], then: 'fail' },
    ]);
    const harness = createHarness(config('continue', ['d1']), { d1 });
    const result = await harness.gateway.streamChat(request, harness.context());
    const { events, error } = await read(result.events);
    expect(textOf(events)).toBe('Hello ');
    expect(error).toMatchObject({ code: 'upstream_unavailable' });
    expect(harness.eventsOf('stream-recovered')).toMatchObject([{ outcome: 'failed' }]);
    expect(harness.eventsOf('request-finished')[0]).toMatchObject({
      errorCode: 'upstream_unavailable',
      attempts: 1,
    });
  });

  it('a cut after a tool call started is not spliced', async () => {
    const d1 = new ScriptedChatModel('m1', [
      {
        kind: 'events',
        events: [
          start,
          { type: 'tool_call_start', index: 0, id: 't', name: 'f' },
          { type: 'tool_call_delta', index: 0, argumentsDelta: '{"ci' },
        ],
        then: 'fail',
      },
    ]);
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok', text: 'never' }]);
    const harness = createHarness(config('continue'), { d1, d2 });
    const { error } = await read((await harness.gateway.streamChat(request, harness.context())).events);
    expect(error).toBeDefined();
    expect(d2.calls).toBe(0);
    expect(harness.eventsOf('stream-recovered')).toMatchObject([{ outcome: 'refused' }]);
  });

  it('off (the default): the cut stream ends in its error, nothing else is called', async () => {
    const d2 = new ScriptedChatModel('m2', [{ kind: 'ok', text: 'never' }]);
    const d1 = new ScriptedChatModel('m1', [
      { kind: 'events', events: [start, { type: 'text_delta', index: 0, text: 'Hello ' }], then: 'fail' },
    ]);
    const harness = createHarness(config('off'), { d1, d2 });
    const { error } = await read((await harness.gateway.streamChat(request, harness.context())).events);
    expect(error).toBeDefined();
    expect(d2.calls).toBe(0);
  });
});

describe('stream recovery of a hedged stream', () => {
  it('the hedge that won is cut: the answer is continued on the one deployment left', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'hang' }]);
    const d2 = new ScriptedChatModel('m2', [
      { kind: 'events', events: [start, { type: 'text_delta', index: 0, text: 'Hello ' }], then: 'fail' },
    ]);
    const d3 = new ScriptedChatModel('m3', [{ kind: 'ok', text: 'world' }]);
    const harness = createHarness(
      configWith(
        {
          g: {
            strategy: 'ordered',
            hedge_after_ms: 500,
            stream_recovery: 'continue',
            deployments: ['d1', 'd2', 'd3'].map((id, index) => ({
              id,
              provider: 'east',
              model: `m${index + 1}`,
            })),
          },
        },
        { first_token_timeout_ms: 5000 },
      ),
      { d1, d2, d3 },
    );
    const pending = harness.gateway.streamChat(request, harness.context());
    await until(() => d1.active === 1 || d1.calls === 1);
    await harness.clock.advance(500);
    const result = await pending;
    expect(result.route.hedged).toBe(true);
    const { events, error } = await read(result.events);
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe('Hello world');
    expect(d3.streamed).toHaveLength(1);
    // The outpaced first attempt is not asked to continue.
    expect(d1.calls).toBe(1);
    expect(harness.eventsOf('stream-recovered')).toMatchObject([{ outcome: 'continued' }]);
  });
});
