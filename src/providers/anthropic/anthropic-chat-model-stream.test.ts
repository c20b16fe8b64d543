import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallContext, ChatModel } from '../../core/chat-model.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import {
  sse,
  startFixtureServer,
  type FixtureReply,
  type FixtureServer,
} from '../../../test/support/providers/fixture-server.ts';
import { SharedPools } from '../shared/upstream-pool.ts';
import { createAnthropicChatModel } from './anthropic-chat-model.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const sseReply = (body: string, then: FixtureReply['then'] = 'end'): FixtureReply => ({
  headers: { 'content-type': 'text/event-stream' },
  chunks: [body],
  then,
});
const context = (signal: AbortSignal = new AbortController().signal): CallContext => ({
  signal,
  requestId: 'req_s',
});
const request: ChatRequest = {
  model: 'g',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
  stream: true,
};
/** The text fixture up to (not including) the `event: <name>` line. */
const cutBefore = (name: string): string => {
  const text = fixture('stream-text.sse');
  return text.slice(0, text.indexOf(`event: ${name}\n`));
};

let server: FixtureServer | undefined;
let model: ChatModel | undefined;
afterEach(async () => {
  await model?.close();
  await server?.close();
  model = undefined;
  server = undefined;
});

async function setup(reply: FixtureReply): Promise<{ server: FixtureServer; model: ChatModel }> {
  server = await startFixtureServer(() => reply);
  model = createAnthropicChatModel({
    providerName: 'test',
    config: { base_url: server.url, api_key: 'k', version: '2023-06-01' },
    modelId: 'claude-sonnet-4-5-20250929',
    pools: new SharedPools(),
  });
  return { server, model };
}

async function collect(
  events: AsyncIterable<ChatStreamEvent>,
  seen: ChatStreamEvent[] = [],
): Promise<ChatStreamEvent[]> {
  for await (const event of events) seen.push(event);
  return seen;
}

async function streamFailure(
  events: AsyncIterable<ChatStreamEvent>,
  seen: ChatStreamEvent[] = [],
): Promise<GatewayError> {
  try {
    await collect(events, seen);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected the stream to fail');
}

describe('Anthropic chat model: stream', () => {
  it('yields canonical events with cumulative usage', async () => {
    const { server, model } = await setup(sseReply(fixture('stream-text.sse')));
    const events = await collect(model.stream(request, context()));
    expect(server.requests[0]!.json).toMatchObject({ stream: true });
    expect(events).toEqual([
      {
        type: 'message_start',
        id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY',
        model: 'claude-sonnet-4-5-20250929',
        // message_start's usage: the real input count, reported before the first token
        usage: { inputTokens: 25, outputTokens: 1, cacheReadInputTokens: 1500 },
      },
      { type: 'text_delta', index: 0, text: 'Hello' },
      { type: 'text_delta', index: 0, text: '!' },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_stop', stopReason: 'end_turn' },
      { type: 'usage', usage: { inputTokens: 25, outputTokens: 15, cacheReadInputTokens: 1500 } },
    ]);
  });

  it('forwards thinking with its signature and keeps text and parallel tool calls in order', async () => {
    const { model } = await setup(sseReply(fixture('stream-tool-use.sse')));
    expect(await collect(model.stream(request, context()))).toEqual([
      {
        type: 'message_start',
        id: 'msg_014p7gG3wDgGV9EUtLvnow3U',
        model: 'claude-sonnet-4-5-20250929',
        usage: { inputTokens: 472, outputTokens: 2 },
      },
      { type: 'reasoning_delta', index: 0, text: 'Two cities, two calls.' },
      { type: 'reasoning_signature', index: 0, signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3h' },
      { type: 'content_block_stop', index: 0 },
      { type: 'text_delta', index: 1, text: 'Checking both.' },
      { type: 'content_block_stop', index: 1 },
      { type: 'tool_call_start', index: 2, id: 'toolu_paris', name: 'get_weather' },
      { type: 'tool_call_delta', index: 2, argumentsDelta: '{"city": "Pa' },
      { type: 'tool_call_delta', index: 2, argumentsDelta: 'ris"}' },
      { type: 'content_block_stop', index: 2 },
      { type: 'tool_call_start', index: 3, id: 'toolu_tokyo', name: 'get_weather' },
      { type: 'tool_call_delta', index: 3, argumentsDelta: '{"city": "Tokyo"}' },
      { type: 'content_block_stop', index: 3 },
      { type: 'message_stop', stopReason: 'tool_use' },
      { type: 'usage', usage: { inputTokens: 472, outputTokens: 89 } },
    ]);
  });

  it('a stream that ends cleanly after its stop reason without message_stop completes with its usage', async () => {
    const { model } = await setup(sseReply(cutBefore('message_stop')));
    const events = await collect(model.stream(request, context()));
    expect(events.map((event) => event.type).slice(-2)).toEqual(['message_stop', 'usage']);
    const usage = events.at(-1);
    expect(usage?.type === 'usage' && usage.usage.estimated).toBeFalsy();
  });

  it('a stream ending before its stop reason is interrupted and yields no usage', async () => {
    const { model } = await setup(sseReply(cutBefore('message_delta')));
    const seen: ChatStreamEvent[] = [];
    expect(await streamFailure(model.stream(request, context()), seen)).toMatchObject({
      code: 'upstream_stream_interrupted',
      retryable: true,
      fallbackEligible: true,
    });
    expect(seen.map((event) => event.type)).toEqual([
      'message_start',
      'text_delta',
      'text_delta',
      'content_block_stop',
    ]);
  });

  it.each([
    ['overloaded_error', 'upstream_overloaded', true],
    ['rate_limit_error', 'upstream_rate_limited', true],
    ['api_error', 'upstream_server_error', true],
    ['invalid_request_error', 'upstream_invalid_request', false],
  ] as const)('an in-stream %s error → %s', async (type, code, retryable) => {
    const body =
      cutBefore('content_block_stop') +
      sse([{ event: 'error', data: `{"type":"error","error":{"type":"${type}","message":"Overloaded"}}` }]);
    const { model } = await setup(sseReply(body));
    expect(await streamFailure(model.stream(request, context()))).toMatchObject({ code, retryable });
  });

  it('a malformed event is skipped and reported; the stream goes on', async () => {
    const garbage = sse([{ event: 'content_block_delta', data: '{"type":"content_bl' }]);
    const body =
      cutBefore('content_block_stop') +
      garbage +
      fixture('stream-text.sse').slice(cutBefore('content_block_stop').length);
    const { model } = await setup(sseReply(body));
    const skipped: string[] = [];
    const events = await collect(
      model.stream(request, { ...context(), onMalformedEvent: (reason) => skipped.push(reason) }),
    );
    expect(skipped).toHaveLength(1);
    expect(events.map((event) => event.type).slice(-2)).toEqual(['message_stop', 'usage']);
  });

  it('three malformed events in a row are a bad response', async () => {
    const garbage = sse([
      { event: 'content_block_delta', data: '{"type":"content_bl' },
      { event: 'content_block_delta', data: '{"type": 5}' },
      { event: 'content_block_delta', data: 'nope' },
    ]);
    const { model } = await setup(sseReply(cutBefore('content_block_stop') + garbage));
    expect(await streamFailure(model.stream(request, context()))).toMatchObject({
      code: 'upstream_bad_response',
    });
  });

  it('a 529 before the stream is classified as overloaded', async () => {
    const { model } = await setup({
      status: 529,
      headers: { 'content-type': 'application/json' },
      chunks: [fixture('error-529.json')],
    });
    expect(await streamFailure(model.stream(request, context()))).toMatchObject({
      code: 'upstream_overloaded',
      status: 529,
    });
  });

  it('a socket reset mid-stream is interrupted', async () => {
    const { server, model } = await setup(sseReply(cutBefore('message_delta'), 'hang'));
    const events = (async function* () {
      for await (const event of model.stream(request, context())) {
        yield event;
        if (event.type === 'text_delta') server.resetSockets();
      }
    })();
    expect(await streamFailure(events)).toMatchObject({ code: 'upstream_stream_interrupted' });
  });
});
