import { readFileSync } from 'node:fs';
import { failure } from '../../../test/support/providers/adapter-outcomes.ts';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallContext, ChatModel } from '../../core/chat-model.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import {
  startFixtureServer,
  type FixtureReply,
  type FixtureServer,
} from '../../../test/support/providers/fixture-server.ts';
import { SharedPools } from '../shared/upstream-pool.ts';
import { createOpenAIChatModel } from './openai-chat-model.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const json = (name: string, status = 200, headers: Record<string, string> = {}): FixtureReply => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  chunks: [fixture(name)],
});
const sseReply = (body: string, then: FixtureReply['then'] = 'end'): FixtureReply => ({
  headers: { 'content-type': 'text/event-stream' },
  chunks: [body],
  then,
});

const context = (signal: AbortSignal = new AbortController().signal): CallContext => ({
  signal,
  requestId: 'req_test_1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
});

const hello: ChatRequest = {
  model: 'group',
  system: 'Be brief.',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
  maxTokens: 64,
  temperature: 0.2,
  stream: false,
};

let server: FixtureServer | undefined;
let model: ChatModel | undefined;
afterEach(async () => {
  await model?.close();
  await server?.close();
  model = undefined;
  server = undefined;
});

async function setup(
  reply: (index: number) => FixtureReply,
): Promise<{ server: FixtureServer; model: ChatModel }> {
  server = await startFixtureServer((_request, index) => reply(index));
  model = createOpenAIChatModel({
    providerName: 'test',
    config: {
      base_url: `${server.url}/v1`,
      api_key: 'sk-test',
      headers: { 'X-Extra': 'yes' },
    },
    modelId: 'gpt-4o-mini',
    pools: new SharedPools(),
  });
  return { server, model };
}

async function collect(events: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const out: ChatStreamEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe('OpenAI chat model: generate', () => {
  it('sends the translated request with auth, ids and extra headers, and maps text and cached usage', async () => {
    const { server, model } = await setup(() => json('chat-text.json'));
    const response = await model.generate(hello, context());
    const received = server.requests[0]!;
    expect(received.url).toBe('/v1/chat/completions');
    expect(received.headers['authorization']).toBe('Bearer sk-test');
    expect(received.headers['x-client-request-id']).toBe('req_test_1');
    expect(received.headers['traceparent']).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(received.headers['x-extra']).toBe('yes');
    expect(received.json).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
      stream: false,
      max_tokens: 64,
      temperature: 0.2,
    });
    expect(response).toEqual({
      id: 'chatcmpl-AbC123',
      model: 'gpt-4o-mini-2024-07-18',
      content: [{ type: 'text', text: 'Hi there!' }],
      stopReason: 'end_turn',
      usage: { inputTokens: 189, outputTokens: 5, cacheReadInputTokens: 1024 },
    });
  });

  it('maps tool calls, length and content_filter stop reasons', async () => {
    const replies = ['chat-tool-calls.json', 'chat-length.json', 'chat-content-filter.json'];
    const { model } = await setup((index) => json(replies[index]!));
    const tools = await model.generate(hello, context());
    expect(tools.stopReason).toBe('tool_use');
    expect(tools.content).toEqual([
      { type: 'tool_call', id: 'call_weather_paris', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'tool_call', id: 'call_weather_tokyo', name: 'get_weather', arguments: '{"city":"Tokyo"}' },
    ]);
    expect((await model.generate(hello, context())).stopReason).toBe('max_tokens');
    const filtered = await model.generate(hello, context());
    expect(filtered.stopReason).toBe('content_filter');
    expect(filtered.content).toEqual([]);
  });

  it('reuses one kept-alive socket across requests, streams included', async () => {
    const replies = [json('chat-text.json'), json('chat-text.json'), sseReply(fixture('stream-text.sse'))];
    const { server, model } = await setup((index) => replies[index]!);
    // Between calls, one event-loop turn lets the pool mark the socket free (no timing involved).
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    await model.generate(hello, context());
    await nextTurn();
    await model.generate(hello, context());
    await nextTurn();
    expect((await collect(model.stream(hello, context()))).at(-1)?.type).toBe('usage');
    expect(server.requests).toHaveLength(3);
    expect(server.socketsAccepted()).toBe(1);
  });
});

describe('OpenAI chat model: errors', () => {
  it('429 with retry-after-ms is retryable and carries the wait', async () => {
    const { model } = await setup(() =>
      json('error-429-rate-limit.json', 429, { 'retry-after-ms': '84', 'retry-after': '1' }),
    );
    const error = await failure(model.generate(hello, context()));
    expect(error).toMatchObject({
      code: 'upstream_rate_limited',
      status: 429,
      retryable: true,
      fallbackEligible: true,
    });
    expect(error.retryAfterMs).toBe(84);
    expect(error.upstreamCode).toBe('rate_limit_exceeded');
  });

  it('insufficient_quota is not retryable on the same target but may fall back', async () => {
    const { model } = await setup(() => json('error-429-insufficient-quota.json', 429));
    const error = await failure(model.generate(hello, context()));
    expect(error).toMatchObject({
      code: 'upstream_quota_exceeded',
      retryable: false,
      fallbackEligible: true,
    });
  });

  it.each([] as const)('%s (%d) → %s', async (name, status, code, retryable, fallbackEligible) => {
    const { model } = await setup(() => json(name, status));
    const error = await failure(model.generate(hello, context()));
    expect(error).toMatchObject({ code, retryable, fallbackEligible, upstreamStatus: status });
  });

  it('a non-JSON error body still classifies by status', async () => {
    const { model } = await setup(() => ({ status: 502, chunks: ['<html>Bad Gateway</html>'] }));
    expect(await failure(model.generate(hello, context()))).toMatchObject({
      code: 'upstream_server_error',
      retryable: true,
    });
  });

  it('malformed JSON in a 200 is a retryable bad response', async () => {
    const { model } = await setup(() => ({ chunks: ['{"id":"x","choices":[{"mess'] }));
    expect(await failure(model.generate(hello, context()))).toMatchObject({
      code: 'upstream_bad_response',
      retryable: true,
    });
  });

  it('a 200 of the wrong shape is a bad response', async () => {
    const { model } = await setup(() => ({ chunks: ['{"id":"x","choices":[]}'] }));
    expect(await failure(model.generate(hello, context()))).toMatchObject({ code: 'upstream_bad_response' });
  });

  it('a reset before the body completes is a connection failure', async () => {
    const { model } = await setup(() => ({
      headers: { 'content-length': '500' },
      chunks: ['{"id":'],
      then: 'reset',
    }));
    expect(await failure(model.generate(hello, context()))).toMatchObject({
      code: 'upstream_connection_failed',
    });
  });
});
