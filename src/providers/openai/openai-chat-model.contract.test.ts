import { readFileSync } from 'node:fs';
import type { FixtureReply } from '../../../test/support/providers/fixture-server.ts';
import { describeChatModelContract, type WireFailure, type WireUsage } from '../chat-model.contract.ts';
import { SharedPools } from '../shared/upstream-pool.ts';
import { createOpenAIChatModel } from './openai-chat-model.ts';

// The OpenAI Chat Completions wire (https://platform.openai.com/docs/api-reference/chat), as the
// ChatModel contract needs it.

const model = 'gpt-4o-mini-2024-07-18';
const usageOf = (usage: WireUsage) => ({
  prompt_tokens: usage.inputTokens,
  completion_tokens: usage.outputTokens,
  total_tokens: usage.inputTokens + usage.outputTokens,
});
const json = (body: unknown, status = 200, headers: Record<string, string> = {}): FixtureReply => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  chunks: [JSON.stringify(body)],
});
const completion = (message: unknown, finishReason: string, usage: WireUsage) =>
  json({
    id: 'chatcmpl-contract',
    object: 'chat.completion',
    created: 1726012700,
    model,
    choices: [{ index: 0, message, finish_reason: finishReason }],
    usage: usageOf(usage),
  });
const chunk = (delta: unknown, finishReason: string | null = null) =>
  JSON.stringify({
    id: 'chatcmpl-contract',
    object: 'chat.completion.chunk',
    created: 1726012700,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
const usageChunk = (usage: WireUsage) =>
  JSON.stringify({
    id: 'chatcmpl-contract',
    object: 'chat.completion.chunk',
    created: 1726012700,
    model,
    choices: [],
    usage: usageOf(usage),
  });
const sse = (messages: readonly string[], then: FixtureReply['then'] = 'end'): FixtureReply => ({
  headers: { 'content-type': 'text/event-stream' },
  chunks: messages.map((message) => `data: ${message}\n\n`),
  then,
});

/** Recorded error answers (status, file under __fixtures__/). */
const errors: Record<WireFailure, readonly [number, string]> = {
  rate_limited: [429, 'error-429-rate-limit.json'],
  server_error: [500, 'error-500.json'],
  unavailable: [503, 'error-503.json'],
  auth: [401, 'error-401.json'],
  invalid: [400, 'error-400-invalid.json'],
  context_window: [400, 'error-400-context-length.json'],
};

describeChatModelContract('OpenAI', {
  createModel: (baseUrl) =>
    createOpenAIChatModel({
      providerName: 'contract',
      config: { base_url: `${baseUrl}/v1`, api_key: 'sk-contract' },
      modelId: 'gpt-4o-mini',
      pools: new SharedPools(),
    }),
  text: (text, usage) => completion({ role: 'assistant', content: text }, 'stop', usage),
  toolCall: (call, usage) =>
    completion(
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } },
        ],
      },
      'tool_calls',
      usage,
    ),
  textStream: (pieces, usage) =>
    sse([
      chunk({ role: 'assistant', content: '' }),
      ...pieces.map((piece) => chunk({ content: piece })),
      chunk({}, 'stop'),
      usageChunk(usage),
      '[DONE]',
    ]),
  toolCallStream: (call, pieces, usage) =>
    sse([
      chunk({
        role: 'assistant',
        content: null,
        tool_calls: [
          { index: 0, id: call.id, type: 'function', function: { name: call.name, arguments: '' } },
        ],
      }),
      ...pieces.map((piece) => chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] })),
      chunk({}, 'tool_calls'),
      usageChunk(usage),
      '[DONE]',
    ]),
  streamOpening: (piece) =>
    sse([chunk({ role: 'assistant', content: '' }), chunk({ content: piece })], 'hang'),
  error: (failure, retryAfterSeconds) => {
    const [status, file] = errors[failure];
    return {
      status,
      headers: {
        'content-type': 'application/json',
        ...(retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) }),
      },
      chunks: [readFileSync(new URL(`./__fixtures__/${file}`, import.meta.url), 'utf8')],
    };
  },
});
