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
import { createOpenAIChatModel } from './openai-chat-model.ts';

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
  model: 'group',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
  stream: true,
};

/** The text fixture up to (not including) the line starting with `marker`. */
const cutBefore = (marker: string): string => {
  const text = fixture('stream-text.sse');
  return text.slice(0, text.indexOf(marker));
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
  model = createOpenAIChatModel({
    providerName: 'test',
    config: { base_url: `${server.url}/v1`, api_key: 'sk-test' },
    modelId: 'gpt-4o-mini',
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

describe('OpenAI chat model: stream', () => {
  it('asks for usage and yields canonical events in order', async () => {
    const { server, model } = await setup(sseReply(fixture('stream-text.sse')));
    const events = await collect(model.stream(request, context()));
    expect(server.requests[0]!.json).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(events).toEqual([
      { type: 'message_start', id: 'chatcmpl-S1', model: 'gpt-4o-mini-2024-07-18' },
      { type: 'text_delta', index: 0, text: 'Hello' },
      { type: 'text_delta', index: 0, text: ' world' },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_stop', stopReason: 'end_turn' },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 2 } },
    ]);
  });

  it('streams text then parallel tool calls as separate content blocks', async () => {
    const { model } = await setup(sseReply(fixture('stream-parallel-tools.sse')));
    const events = await collect(model.stream(request, context()));
    expect(events).toEqual([
      { type: 'message_start', id: 'chatcmpl-T2', model: 'gpt-4o-mini-2024-07-18' },
      { type: 'text_delta', index: 0, text: 'Checking both.' },
      { type: 'content_block_stop', index: 0 },
      { type: 'tool_call_start', index: 1, id: 'call_paris', name: 'get_weather' },
      { type: 'tool_call_delta', index: 1, argumentsDelta: '{"ci' },
      { type: 'tool_call_delta', index: 1, argumentsDelta: 'ty": "Paris"}' },
      { type: 'content_block_stop', index: 1 },
      { type: 'tool_call_start', index: 2, id: 'call_tokyo', name: 'get_weather' },
      { type: 'tool_call_delta', index: 2, argumentsDelta: '{"city": "Tokyo"}' },
      { type: 'content_block_stop', index: 2 },
      { type: 'message_stop', stopReason: 'tool_use' },
      { type: 'usage', usage: { inputTokens: 76, outputTokens: 40, cacheReadInputTokens: 1024 } },
    ]);
  });

  it('a stream ending before its finish reason is interrupted', async () => {
    const { model } = await setup(
      sseReply(
        cutBefore(
          'data: {"id":"chatcmpl-S1","object":"chat.completion.chunk","created":1726012700,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_560af6e559","choices":[{"index":0,"delta":{},',
        ),
      ),
    );
    const seen: ChatStreamEvent[] = [];
    const error = await streamFailure(model.stream(request, context()), seen);
    expect(error).toMatchObject({
      code: 'upstream_stream_interrupted',
      retryable: true,
      fallbackEligible: true,
    });
    expect(seen.map((event) => event.type)).toEqual(['message_start', 'text_delta', 'text_delta']);
  });

  it('a stream that ends cleanly after its finish reason without [DONE] completes with the usage it sent', async () => {
    const { model } = await setup(sseReply(cutBefore('data: [DONE]')));
    const events = await collect(model.stream(request, context()));
    expect(events.filter((event) => event.type === 'message_stop')).toHaveLength(1);
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { inputTokens: 9, outputTokens: 2 } });
  });

  it('a stream that ends cleanly after its finish reason without usage or [DONE] completes with estimated usage', async () => {
    const body = cutBefore(
      'data: {"id":"chatcmpl-S1","object":"chat.completion.chunk","created":1726012700,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_560af6e559","choices":[],',
    );
    const { model } = await setup(sseReply(body));
    const events = await collect(model.stream(request, context()));
    expect(events.at(-1)).toMatchObject({ type: 'usage', usage: { estimated: true } });
  });

  it('[DONE] without a usage chunk completes with estimated usage (servers that ignore include_usage)', async () => {
    const body =
      cutBefore(
        'data: {"id":"chatcmpl-S1","object":"chat.completion.chunk","created":1726012700,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_560af6e559","choices":[],',
      ) + 'data: [DONE]\n\n';
    const { model } = await setup(sseReply(body));
    const events: ChatStreamEvent[] = [];
    for await (const event of model.stream(request, context())) events.push(event);
    const usage = events.at(-1);
    expect(usage?.type).toBe('usage');
    if (usage?.type !== 'usage') return;
    expect(usage.usage.estimated).toBe(true);
    expect(usage.usage.inputTokens).toBeGreaterThan(0);
    expect(usage.usage.outputTokens).toBeGreaterThan(0);
    expect(events.some((event) => event.type === 'message_stop')).toBe(true);
  });

  it('an in-stream error is classified by its type', async () => {
    const overloaded = sse([
      '{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}',
      '{"error":{"message":"The server is overloaded","type":"server_error","param":null,"code":null}}',
    ]);
    const { model } = await setup(sseReply(overloaded));
    expect(await streamFailure(model.stream(request, context()))).toMatchObject({
      code: 'upstream_server_error',
      retryable: true,
      fallbackEligible: true,
    });
  });

  it('an in-stream rate limit error is a retryable rate limit', async () => {
    const body = sse([
      '{"error":{"message":"Rate limit reached","type":"tokens","code":"rate_limit_exceeded"}}',
    ]);
    const { model } = await setup(sseReply(body));
    expect(await streamFailure(model.stream(request, context()))).toMatchObject({
      code: 'upstream_rate_limited',
      retryable: true,
    });
  });

  it('a malformed chunk is skipped and reported; the stream goes on', async () => {
    const text = fixture('stream-text.sse');
    const cut = text.indexOf(
      'data: {"id":"chatcmpl-S1","object":"chat.completion.chunk","created":1726012700,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_560af6e559","choices":[{"index":0,"delta":{"content":" world"}',
    );
    const body = `${text.slice(0, cut)}${sse(['{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"', '{"choices":"no"}'])}${text.slice(cut)}`;
    const { model } = await setup(sseReply(body));
    const skipped: string[] = [];
    const events = await collect(
      model.stream(request, { ...context(), onMalformedEvent: (reason) => skipped.push(reason) }),
    );
    const text2 = events.flatMap((event) => (event.type === 'text_delta' ? [event.text] : [])).join('');
    expect(text2).toBe('Hello world');
    expect(skipped).toHaveLength(2);
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { inputTokens: 9, outputTokens: 2 } });
  });

  it('malformed chunks up to the limit in a row are a bad response', async () => {
    const first = `${fixture('stream-text.sse').split('\n\n')[0] ?? ''}\n\n`;
    const garbage = sse(['{"id":"c"', 'not json', '[1,2']);
    const { model } = await setup(sseReply(`${first}${garbage}${fixture('stream-text.sse')}`));
    expect(await streamFailure(model.stream(request, context()))).toMatchObject({
      code: 'upstream_bad_response',
      retryable: true,
    });
  });

  it('with a limit of 1 the first malformed chunk is a bad response', async () => {
    const { model } = await setup(sseReply(sse(['{"id":"c"'])));
    const failure = await streamFailure(model.stream(request, { ...context(), malformedEventLimit: 1 }));
    expect(failure).toMatchObject({ code: 'upstream_bad_response' });
  });

  it('a socket reset mid-stream is interrupted', async () => {
    const { server, model } = await setup(sseReply(cutBefore('data: [DONE]'), 'hang'));
    const seen: ChatStreamEvent[] = [];
    const events = (async function* () {
      for await (const event of model.stream(request, context())) {
        yield event;
        if (event.type === 'text_delta') server.resetSockets();
      }
    })();
    expect(await streamFailure(events, seen)).toMatchObject({
      code: 'upstream_stream_interrupted',
      retryable: true,
    });
    expect(seen.some((event) => event.type === 'usage')).toBe(false);
  });
});
