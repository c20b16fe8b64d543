import { eventFrame } from '../../../test/support/providers/bedrock-fixture-server.ts';
import type { FixtureReply } from '../../../test/support/providers/fixture-server.ts';
import { FakeClock } from '../../../test/support/fake-clock.ts';
import { describeChatModelContract, type WireFailure, type WireUsage } from '../chat-model.contract.ts';
import { createBedrockChatModel } from './create-bedrock-chat-model.ts';

// The Bedrock Runtime Converse and ConverseStream wire (protocols.md 1.x: JSON answers, errors named
// by x-amzn-ErrorType, streams as event-stream frames), as the ChatModel contract needs it.

const usageOf = (usage: WireUsage) => ({ ...usage, totalTokens: usage.inputTokens + usage.outputTokens });
const json = (body: unknown, status = 200, headers: Record<string, string> = {}): FixtureReply => ({
  status,
  headers: { 'content-type': 'application/json', 'x-amzn-requestid': 'contract-request-id', ...headers },
  chunks: [JSON.stringify(body)],
});
const converse = (content: unknown[], stopReason: string, usage: WireUsage) =>
  json({
    output: { message: { role: 'assistant', content } },
    stopReason,
    usage: usageOf(usage),
    metrics: { latencyMs: 120 },
  });
const frames = (list: readonly Uint8Array[], then: FixtureReply['then'] = 'end'): FixtureReply => ({
  headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'contract-stream-id' },
  chunks: list,
  then,
});
const ending = (stopReason: string, usage: WireUsage) => [
  eventFrame('contentBlockStop', { contentBlockIndex: 0 }),
  eventFrame('messageStop', { stopReason }),
  eventFrame('metadata', { usage: usageOf(usage), metrics: { latencyMs: 120 } }),
];

const errors: Record<WireFailure, { status: number; type: string; message: string }> = {
  rate_limited: { status: 429, type: 'ThrottlingException', message: 'Too many requests, please wait.' },
  server_error: { status: 500, type: 'InternalServerException', message: 'Internal server error' },
  unavailable: { status: 503, type: 'ServiceUnavailableException', message: 'Service unavailable' },
  auth: { status: 403, type: 'AccessDeniedException', message: 'You do not have access to the model' },
  invalid: { status: 400, type: 'ValidationException', message: 'Malformed input request' },
  context_window: {
    status: 400,
    type: 'ValidationException',
    message: 'Input is too long for requested model.',
  },
};

describeChatModelContract('Bedrock', {
  createModel: (baseUrl) =>
    createBedrockChatModel({
      providerName: 'contract',
      config: {
        region: 'us-west-2',
        endpoint: baseUrl,
        credentials: { access_key_id: 'AKIDCONTRACT', secret_access_key: 'contract-secret' },
      },
      modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
      clock: new FakeClock(Date.parse('2026-11-21T19:11:37Z')),
    }),
  text: (text, usage) => converse([{ text }], 'end_turn', usage),
  toolCall: (call, usage) =>
    converse(
      [{ toolUse: { toolUseId: call.id, name: call.name, input: JSON.parse(call.arguments) as unknown } }],
      'tool_use',
      usage,
    ),
  textStream: (pieces, usage) =>
    frames([
      eventFrame('messageStart', { role: 'assistant' }),
      ...pieces.map((text) => eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text } })),
      ...ending('end_turn', usage),
    ]),
  toolCallStream: (call, pieces, usage) =>
    frames([
      eventFrame('messageStart', { role: 'assistant' }),
      eventFrame('contentBlockStart', {
        contentBlockIndex: 0,
        start: { toolUse: { toolUseId: call.id, name: call.name } },
      }),
      ...pieces.map((input) =>
        eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input } } }),
      ),
      ...ending('tool_use', usage),
    ]),
  streamOpening: (text) =>
    frames(
      [
        eventFrame('messageStart', { role: 'assistant' }),
        eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text } }),
      ],
      'hang',
    ),
  error: (failure, retryAfterSeconds) => {
    const { status, type, message } = errors[failure];
    return json({ message }, status, {
      'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
      ...(retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) }),
    });
  },
});
