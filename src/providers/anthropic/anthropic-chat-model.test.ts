import { readFileSync } from 'node:fs';
import { failure } from '../../../test/support/providers/adapter-outcomes.ts';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnthropicProviderConfig } from '../../config/schema.ts';
import type { CallContext, ChatModel } from '../../core/chat-model.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import {
  startFixtureServer,
  type FixtureReply,
  type FixtureServer,
} from '../../../test/support/providers/fixture-server.ts';
import { SharedPools } from '../shared/upstream-pool.ts';
import { createAnthropicChatModel } from './anthropic-chat-model.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const json = (name: string, status = 200, headers: Record<string, string> = {}): FixtureReply => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  chunks: [fixture(name)],
});
const context = (signal: AbortSignal = new AbortController().signal): CallContext => ({
  signal,
  requestId: 'req_a1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
});
const hello: ChatRequest = {
  model: 'group',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
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
  config: Partial<AnthropicProviderConfig> = {},
): Promise<{ server: FixtureServer; model: ChatModel }> {
  server = await startFixtureServer((_request, index) => reply(index));
  model = createAnthropicChatModel({
    providerName: 'test',
    config: {
      type: 'anthropic',
      base_url: server.url,
      api_key: 'sk-ant-test',
      version: '2023-06-01',
      ...config,
    },
    modelId: 'claude-sonnet-4-5-20250929',
    pools: new SharedPools(),
  });
  return { server, model };
}

describe('Anthropic chat model: generate', () => {
  it('sends auth, version, ids and a default max_tokens; maps text and cache usage', async () => {
    const { server, model } = await setup(() => json('message-text.json'));
    const response = await model.generate(hello, context());
    const received = server.requests[0]!;
    expect(received.url).toBe('/v1/messages');
    expect(received.headers['x-api-key']).toBe('sk-ant-test');
    expect(received.headers['anthropic-version']).toBe('2023-06-01');
    expect(received.headers['traceparent']).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(received.headers['x-client-request-id']).toBe('req_a1');
    expect(received.json).toEqual({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      stream: false,
    });
    expect(response).toEqual({
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      model: 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: 'Hi!' }],
      stopReason: 'end_turn',
      usage: { inputTokens: 12, outputTokens: 4, cacheReadInputTokens: 2048, cacheWriteInputTokens: 100 },
    });
  });

  it('accepts a base_url that already ends in /v1', async () => {
    const { server, model } = await setup(() => json('message-text.json'));
    await model.close();
    const withV1 = createAnthropicChatModel({
      providerName: 'v1',
      config: { base_url: `${server.url}/v1/`, version: '2023-06-01' },
      modelId: 'claude',
      pools: new SharedPools(),
    });
    await withV1.generate(hello, context());
    await withV1.close();
    expect(server.requests[0]!.url).toBe('/v1/messages');
  });

  it('maps thinking (with its signature) and tool_use blocks and every stop reason', async () => {
    const replies = [
      'message-tool-use.json',
      'message-stop-sequence.json',
      'message-refusal.json',
      'message-context-window.json',
      'message-max-tokens.json',
    ];
    const { model } = await setup((index) => json(replies[index]!));
    const tools = await model.generate(hello, context());
    expect(tools.stopReason).toBe('tool_use');
    expect(tools.content).toEqual([
      {
        type: 'reasoning',
        text: 'The user wants two cities.',
        signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds',
      },
      { type: 'text', text: "I'll check both cities." },
      {
        type: 'tool_call',
        id: 'toolu_01A09q90qw90lq917835lq9',
        name: 'get_weather',
        arguments: '{"city":"Paris"}',
      },
      {
        type: 'tool_call',
        id: 'toolu_01B19q90qw90lq917835lq8',
        name: 'get_weather',
        arguments: '{"city":"Tokyo"}',
      },
    ]);
    const stopped = await model.generate(hello, context());
    expect([stopped.stopReason, stopped.stopSequence]).toEqual(['stop_sequence', '4']);
    expect((await model.generate(hello, context())).stopReason).toBe('content_filter');
    expect((await model.generate(hello, context())).stopReason).toBe('context_window_exceeded');
    expect((await model.generate(hello, context())).stopReason).toBe('max_tokens');
  });

  it('embeddings are unsupported: not retryable, fallback-eligible', async () => {
    const { model, server } = await setup(() => json('message-text.json'));
    const error = await failure(model.embed({ model: 'e', input: ['x'] }, context()));
    expect(error).toMatchObject({
      code: 'unsupported',
      status: 400,
      retryable: false,
      fallbackEligible: true,
    });
    expect(server.requests).toHaveLength(0);
  });
});

describe('Anthropic chat model: errors', () => {
  it('429 carries retry-after-ms in preference', async () => {
    const { model } = await setup(() =>
      json('error-429.json', 429, { 'retry-after': '3', 'retry-after-ms': '1500' }),
    );
    expect((await failure(model.generate(hello, context()))).retryAfterMs).toBe(1500);
  });

  it.each([
    ['error-529.json', 529, 'upstream_overloaded', true, true],
    ['error-400-context-limit.json', 400, 'context_window_exceeded', false, false],
  ] as const)('%s (%d) → %s', async (name, status, code, retryable, fallbackEligible) => {
    const { model } = await setup(() => json(name, status));
    const error = await failure(model.generate(hello, context()));
    expect(error).toMatchObject({ code, retryable, fallbackEligible, upstreamStatus: status });
  });

  it('malformed JSON in a 200 is a retryable bad response', async () => {
    const { model } = await setup(() => ({ chunks: ['{"id":"msg_1","content":[{"type":"te'] }));
    expect(await failure(model.generate(hello, context()))).toMatchObject({
      code: 'upstream_bad_response',
      retryable: true,
    });
  });
});
