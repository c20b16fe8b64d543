import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BedrockProviderConfig } from '../../config/schema.ts';
import type { CallContext, ChatModel } from '../../core/chat-model.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import { upstreamTimeout } from '../../errors/upstream-errors.ts';
import { FakeClock } from '../../testing/fake-clock.ts';
import {
  eventFrame,
  exceptionFrame,
  sendFrames,
  sendJson,
  startBedrockFixtureServer,
  verifySigV4,
  type FixtureServer,
} from './__fixtures__/bedrock-fixture-server.ts';
import { createBedrockChatModel } from './create-bedrock-chat-model.ts';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
const streamFixture = (name: string): Uint8Array[] =>
  (fixture(name) as { event: string; payload: Record<string, unknown> }[]).map((entry) =>
    eventFrame(entry.event, entry.payload),
  );

const secret = 'fixture-secret-key';
const request: ChatRequest = {
  model: 'group',
  stream: false,
  system: 'Be brief.',
  maxTokens: 64,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
};
const context = (signal: AbortSignal = new AbortController().signal): CallContext => ({
  signal,
  requestId: 'req_test',
});

let server: FixtureServer;
const models: ChatModel[] = [];

beforeAll(async () => {
  server = await startBedrockFixtureServer();
});
afterEach(async () => {
  await Promise.all(models.splice(0).map((model) => model.close()));
  server.requests.length = 0;
});
afterAll(async () => {
  await server.close();
});

function model(
  modelId = 'anthropic.claude-3-haiku-20240307-v1:0',
  credentials: BedrockProviderConfig['credentials'] = {
    access_key_id: 'AKIDFIXTURE',
    secret_access_key: secret,
  },
  endpoint = server.url,
): ChatModel {
  const created = createBedrockChatModel({
    providerName: 'bedrock-test',
    config: { type: 'bedrock', region: 'us-west-2', endpoint, credentials },
    modelId,
    clock: new FakeClock(Date.parse('2026-11-21T19:11:37Z')),
  });
  models.push(created);
  return created;
}

async function collect(
  events: AsyncIterable<ChatStreamEvent>,
): Promise<{ events: ChatStreamEvent[]; error: GatewayError | undefined }> {
  const seen: ChatStreamEvent[] = [];
  try {
    for await (const event of events) seen.push(event);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return { events: seen, error };
  }
  return { events: seen, error: undefined };
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

describe('generate', () => {
  it('signs with SigV4, sends a Converse body and maps the answer', async () => {
    server.handle((_request, response) => {
      sendJson(response, 200, fixture('converse-text.json'));
    });
    const answer = await model().generate(request, context());
    expect(answer).toEqual({
      id: 'fixture-request-id',
      model: 'anthropic.claude-3-haiku-20240307-v1:0',
      content: [{ type: 'text', text: 'Hi! How can I help?' }],
      stopReason: 'end_turn',
      usage: { inputTokens: 12, outputTokens: 7, cacheReadInputTokens: 16, cacheWriteInputTokens: 4 },
    });
    const [sent] = server.requests;
    expect(sent?.rawPath).toBe('/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse');
    expect(sent?.headers['x-amz-date']).toBe('20261121T191137Z');
    expect(await verifySigV4(sent!, secret)).toEqual({
      accessKeyId: 'AKIDFIXTURE',
      region: 'us-west-2',
      service: 'bedrock',
    });
    expect(await verifySigV4(sent!, 'wrong-secret')).toBeUndefined();
    expect(JSON.parse(sent!.body)).toEqual({
      system: [{ text: 'Be brief.' }],
      messages: [{ role: 'user', content: [{ text: 'Hello' }] }],
      inferenceConfig: { maxTokens: 64 },
    });
  });

  it('sends the session token of temporary static credentials', async () => {
    server.handle((_request, response) => {
      sendJson(response, 200, fixture('converse-text.json'));
    });
    await model(undefined, {
      access_key_id: 'ASIAFIXTURE',
      secret_access_key: secret,
      session_token: 'session-token',
    }).generate(request, context());
    const [sent] = server.requests;
    expect(sent?.headers['x-amz-security-token']).toBe('session-token');
    expect(await verifySigV4(sent!, secret)).toBeDefined();
  });

  it('maps a tool call', async () => {
    server.handle((_request, response) => {
      sendJson(response, 200, fixture('converse-tool-use.json'));
    });
    const answer = await model().generate(request, context());
    expect(answer.stopReason).toBe('tool_use');
    expect(answer.content).toEqual([
      { type: 'text', text: 'Let me check the weather.' },
      {
        type: 'tool_call',
        id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q',
        name: 'get_weather',
        arguments: '{"city":"Paris"}',
      },
    ]);
  });

  it('percent-encodes inference profile ids and ARNs in the path, and signs them', async () => {
    server.handle((_request, response) => {
      sendJson(response, 200, fixture('converse-text.json'));
    });
    await model('us.anthropic.claude-sonnet-4-5-20250929-v1:0').generate(request, context());
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123';
    await model(arn).generate(request, context());
    expect(server.requests.map((sent) => sent.rawPath)).toEqual([
      '/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse',
      '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fabc123/converse',
    ]);
    for (const sent of server.requests) expect(await verifySigV4(sent, secret)).toBeDefined();
  });

  it('authenticates with a Bedrock API key as a bearer token', async () => {
    server.handle((_request, response) => {
      sendJson(response, 200, fixture('converse-text.json'));
    });
    await model(undefined, { api_key: 'bedrock-api-key-123' }).generate(request, context());
    const [sent] = server.requests;
    expect(sent?.headers['authorization']).toBe('Bearer bedrock-api-key-123');
    expect(sent?.headers['x-amz-date']).toBeUndefined();
  });

  it('rejects a body without the documented shape as a bad response', async () => {
    server.handle((_request, response) => {
      sendJson(response, 200, { output: {} });
    });
    expect((await failure(model().generate(request, context()))).code).toBe('upstream_bad_response');
  });
});

describe('HTTP errors', () => {
  const errorCases = [
    {
      name: 'ThrottlingException with retry-after',
      status: 429,
      headers: {
        'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/',
        'retry-after': '2',
      },
      body: { message: 'Too many tokens, please wait before trying again.' },
      expected: {
        code: 'upstream_rate_limited',
        retryable: true,
        fallbackEligible: true,
        retryAfterMs: 2000,
      },
    },
    {
      name: 'ServiceUnavailableException 503',
      status: 503,
      headers: { 'x-amzn-errortype': 'ServiceUnavailableException' },
      body: { message: 'Bedrock is unable to process your request.' },
      expected: { code: 'upstream_unavailable', retryable: true, fallbackEligible: true },
    },
    {
      name: 'ModelTimeoutException 408',
      status: 408,
      headers: { 'x-amzn-errortype': 'ModelTimeoutException' },
      body: { message: 'Model has timed out in processing the request.' },
      expected: { code: 'upstream_timeout', retryable: true, fallbackEligible: true },
    },
    {
      name: 'ValidationException',
      status: 400,
      headers: { 'x-amzn-errortype': 'ValidationException' },
      body: { message: 'Malformed input request: extraneous key [foo] is not permitted' },
      expected: { code: 'upstream_invalid_request', retryable: false, fallbackEligible: false },
    },
    {
      name: 'ValidationException for an over-long prompt',
      status: 400,
      headers: { 'x-amzn-errortype': 'ValidationException' },
      body: { message: 'Input is too long for requested model.' },
      expected: { code: 'context_window_exceeded', retryable: false },
    },
    {
      name: 'AccessDeniedException (type from body __type)',
      status: 403,
      headers: {},
      body: { __type: 'AccessDeniedException', Message: 'You do not have access to the model.' },
      expected: { code: 'upstream_auth_failed', retryable: false, fallbackEligible: true },
    },
    {
      name: 'an unknown error type with 503',
      status: 503,
      headers: { 'x-amzn-errortype': 'BrandNewException' },
      body: { message: 'new' },
      expected: { code: 'upstream_unavailable', retryable: true, fallbackEligible: true },
    },
  ];

  it.each(errorCases)('classifies $name', async ({ status, headers, body, expected }) => {
    server.handle((_request, response) => {
      sendJson(response, status, body, headers);
    });
    const error = await failure(model().generate(request, context()));
    expect(error).toMatchObject({ ...expected, upstreamStatus: status });
    expect(error.message).toContain(body.message ?? body.Message);
  });

  it('classifies a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) =>
      closed.close(() => {
        resolve();
      }),
    );
    const error = await failure(
      model(undefined, undefined, `http://127.0.0.1:${port}`).generate(request, context()),
    );
    expect(error).toMatchObject({
      code: 'upstream_connection_failed',
      retryable: true,
      fallbackEligible: true,
    });
  });

  it('classifies an unresolvable credential profile as upstream_auth_failed', async () => {
    const error = await failure(
      model(undefined, { profile: 'spillway-test-profile-that-does-not-exist' }).generate(request, context()),
    );
    expect(error).toMatchObject({ code: 'upstream_auth_failed', retryable: false, fallbackEligible: true });
    expect(server.requests).toHaveLength(0);
  });
});

describe('stream', () => {
  it('decodes frames cut at arbitrary boundaries into canonical events', async () => {
    server.handle((_request, response) => {
      sendFrames(response, streamFixture('converse-stream-tool-use.json'), { chunkSize: 7 });
    });
    const { events, error } = await collect(model().stream({ ...request, stream: true }, context()));
    expect(error).toBeUndefined();
    expect(server.requests[0]?.rawPath).toBe(
      '/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream',
    );
    expect(events).toEqual([
      { type: 'message_start', id: 'fixture-stream-id', model: 'anthropic.claude-3-haiku-20240307-v1:0' },
      { type: 'text_delta', index: 0, text: 'Let me ' },
      { type: 'text_delta', index: 0, text: 'check.' },
      { type: 'content_block_stop', index: 0 },
      { type: 'tool_call_start', index: 1, id: 'tooluse_1', name: 'get_weather' },
      { type: 'tool_call_delta', index: 1, argumentsDelta: '{"city":' },
      { type: 'tool_call_delta', index: 1, argumentsDelta: '"Paris"}' },
      { type: 'content_block_stop', index: 1 },
      { type: 'message_stop', stopReason: 'tool_use' },
      { type: 'usage', usage: { inputTokens: 380, outputTokens: 54 } },
    ]);
  });

  const head = (): Uint8Array[] => [
    eventFrame('messageStart', { role: 'assistant' }),
    eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } }),
  ];

  it.each([
    ['throttlingException', 'upstream_rate_limited', true],
    ['modelStreamErrorException', 'upstream_server_error', false],
  ] as const)('throws an in-stream %s as %s after the events before it', async (type, code, retryable) => {
    server.handle((_request, response) => {
      sendFrames(response, [...head(), exceptionFrame(type, 'stream failed')]);
    });
    const { events, error } = await collect(model().stream(request, context()));
    expect(events.map((event) => event.type)).toEqual(['message_start', 'text_delta']);
    expect(error).toMatchObject({ code, retryable, fallbackEligible: true, upstreamCode: type });
  });

  it('fails a stream that ends after a delta without messageStop and metadata', async () => {
    server.handle((_request, response) => {
      sendFrames(response, head());
    });
    const { events, error } = await collect(model().stream(request, context()));
    expect(events).toHaveLength(2);
    expect(error?.code).toBe('upstream_stream_interrupted');
    expect(error?.message).toContain('messageStop and metadata');
  });

  it('fails a frame with a bad CRC as a bad response', async () => {
    const corrupt = Buffer.from(
      eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } }),
    );
    corrupt[corrupt.byteLength - 1] = (corrupt[corrupt.byteLength - 1] ?? 0) ^ 0x01;
    server.handle((_request, response) => {
      sendFrames(response, [eventFrame('messageStart', { role: 'assistant' }), corrupt]);
    });
    const { error } = await collect(model().stream(request, context()));
    expect(error?.code).toBe('upstream_bad_response');
  });

  it('fails a socket reset mid-stream as interrupted', async () => {
    let reset = (): void => undefined;
    server.handle((_request, response) => {
      sendFrames(response, head(), { end: false });
      reset = () => response.socket?.destroy();
    });
    const seen: string[] = [];
    const outcome = await failure(
      (async () => {
        for await (const event of model().stream(request, context())) {
          seen.push(event.type);
          reset();
        }
      })(),
    );
    expect(seen[0]).toBe('message_start');
    expect(outcome).toMatchObject({ code: 'upstream_stream_interrupted', retryable: true });
  });

  it('throws an HTTP error before any event', async () => {
    server.handle((_request, response) => {
      sendJson(
        response,
        429,
        { message: 'Too many requests' },
        { 'x-amzn-errortype': 'ThrottlingException' },
      );
    });
    const { events, error } = await collect(model().stream(request, context()));
    expect(events).toHaveLength(0);
    expect(error?.code).toBe('upstream_rate_limited');
  });

  it('releases the upstream connection when the consumer breaks out', async () => {
    let closed!: Promise<void>;
    server.handle((_request, response) => {
      closed = new Promise((resolve) => response.on('close', resolve));
      sendFrames(response, head(), { end: false });
    });
    for await (const event of model().stream(request, context())) {
      expect(event.type).toBe('message_start');
      break;
    }
    await closed;
  });

  it('stops with the abort reason when the signal is aborted mid-stream', async () => {
    let closed!: Promise<void>;
    server.handle((_request, response) => {
      closed = new Promise((resolve) => response.on('close', resolve));
      sendFrames(response, head(), { end: false });
    });
    const controller = new AbortController();
    const reason = upstreamTimeout('attempt timed out');
    const seen: string[] = [];
    const outcome = await failure(
      (async () => {
        for await (const event of model().stream(request, context(controller.signal))) {
          seen.push(event.type);
          controller.abort(reason);
        }
      })(),
    );
    expect(outcome).toBe(reason);
    expect(seen).toEqual(['message_start']);
    await closed;
  });
});

describe('embed', () => {
  it('calls InvokeModel once per input for Titan text embeddings', async () => {
    server.handle((sent, response) => {
      const { inputText } = JSON.parse(sent.body) as { inputText: string };
      sendJson(response, 200, { embedding: [inputText.length, 0.5], inputTextTokenCount: inputText.length });
    });
    const result = await model('amazon.titan-embed-text-v2:0').embed(
      { model: 'embed', input: ['one', 'three'], dimensions: 256 },
      context(),
    );
    expect(result).toEqual({
      model: 'amazon.titan-embed-text-v2:0',
      embeddings: [
        [3, 0.5],
        [5, 0.5],
      ],
      inputTokens: 8,
    });
    expect(server.requests.map((sent) => sent.rawPath)).toEqual([
      '/model/amazon.titan-embed-text-v2%3A0/invoke',
      '/model/amazon.titan-embed-text-v2%3A0/invoke',
    ]);
    expect(server.requests.map((sent) => JSON.parse(sent.body) as unknown)).toEqual([
      { inputText: 'one', dimensions: 256 },
      { inputText: 'three', dimensions: 256 },
    ]);
  });

  it('reports other models as unsupported without calling upstream', async () => {
    const error = await failure(model().embed({ model: 'embed', input: ['x'] }, context()));
    expect(error).toMatchObject({ code: 'unsupported', retryable: false });
    expect(server.requests).toHaveLength(0);
  });
});
