import { readFileSync } from 'node:fs';
import type { FixtureReply } from '../../../test/support/providers/fixture-server.ts';
import { describeChatModelContract, type WireFailure, type WireUsage } from '../chat-model.contract.ts';
import { SharedPools } from '../shared/upstream-pool.ts';
import { createAnthropicChatModel } from './anthropic-chat-model.ts';

// The Anthropic Messages wire (https://docs.anthropic.com/en/api/messages and its streaming
// events), as the ChatModel contract needs it.

const model = 'claude-sonnet-4-5-20250929';
const json = (body: unknown, status = 200, headers: Record<string, string> = {}): FixtureReply => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  chunks: [JSON.stringify(body)],
});
const message = (content: unknown[], stopReason: string, usage: WireUsage) =>
  json({
    id: 'msg_contract',
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens },
  });
const event = (type: string, data: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const messageStart = (inputTokens: number) =>
  event('message_start', {
    message: {
      id: 'msg_contract',
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: 1 },
    },
  });
const ending = (stopReason: string, usage: WireUsage) => [
  event('content_block_stop', { index: 0 }),
  event('message_delta', {
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: usage.outputTokens },
  }),
  event('message_stop', {}),
];
const sse = (events: readonly string[], then: FixtureReply['then'] = 'end'): FixtureReply => ({
  headers: { 'content-type': 'text/event-stream' },
  chunks: events,
  then,
});

/** Recorded error answers (status, file under __fixtures__/). */
const errors: Record<WireFailure, readonly [number, string]> = {
  rate_limited: [429, 'error-429.json'],
  server_error: [500, 'error-500.json'],
  unavailable: [503, 'error-503.json'],
  auth: [401, 'error-401.json'],
  invalid: [400, 'error-400-invalid.json'],
  context_window: [400, 'error-400-prompt-too-long.json'],
};

describeChatModelContract('Anthropic', {
  createModel: (baseUrl) =>
    createAnthropicChatModel({
      providerName: 'contract',
      config: { base_url: baseUrl, api_key: 'sk-ant-contract', version: '2023-06-01' },
      modelId: model,
      pools: new SharedPools(),
    }),
  text: (text, usage) => message([{ type: 'text', text }], 'end_turn', usage),
  toolCall: (call, usage) =>
    message(
      [{ type: 'tool_use', id: call.id, name: call.name, input: JSON.parse(call.arguments) as unknown }],
      'tool_use',
      usage,
    ),
  textStream: (pieces, usage) =>
    sse([
      messageStart(usage.inputTokens),
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      ...pieces.map((text) =>
        event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }),
      ),
      ...ending('end_turn', usage),
    ]),
  toolCallStream: (call, pieces, usage) =>
    sse([
      messageStart(usage.inputTokens),
      event('content_block_start', {
        index: 0,
        content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
      }),
      ...pieces.map((partial_json) =>
        event('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json } }),
      ),
      ...ending('tool_use', usage),
    ]),
  streamOpening: (text) =>
    sse(
      [
        messageStart(1),
        event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
        event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }),
      ],
      'hang',
    ),
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
