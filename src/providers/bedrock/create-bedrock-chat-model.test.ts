import { describe, expect, it } from 'vitest';
import { sendJson, verifySigV4 } from '../../../test/support/providers/bedrock-fixture-server.ts';
import {
  context,
  failure,
  fixture,
  request,
  secret,
  useFixtureServer,
} from '../../../test/support/providers/bedrock-test-harness.ts';

const { model, server } = useFixtureServer();

describe('generate', () => {
  it('signs with SigV4, sends a Converse body and maps the answer', async () => {
    server().handle((_request, response) => {
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
    const [sent] = server().requests;
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
    server().handle((_request, response) => {
      sendJson(response, 200, fixture('converse-text.json'));
    });
    await model(undefined, {
      access_key_id: 'ASIAFIXTURE',
      secret_access_key: secret,
      session_token: 'session-token',
    }).generate(request, context());
    const [sent] = server().requests;
    expect(sent?.headers['x-amz-security-token']).toBe('session-token');
    expect(await verifySigV4(sent!, secret)).toEqual({
      accessKeyId: 'ASIAFIXTURE',
      region: 'us-west-2',
      service: 'bedrock',
    });
  });

  it('percent-encodes inference profile ids and ARNs in the path, and signs them', async () => {
    server().handle((_request, response) => {
      sendJson(response, 200, fixture('converse-text.json'));
    });
    await model('us.anthropic.claude-sonnet-4-5-20250929-v1:0').generate(request, context());
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123';
    await model(arn).generate(request, context());
    expect(server().requests.map((sent) => sent.rawPath)).toEqual([
      '/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse',
      '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fabc123/converse',
    ]);
    for (const sent of server().requests)
      expect(await verifySigV4(sent, secret)).toEqual({
        accessKeyId: 'AKIDFIXTURE',
        region: 'us-west-2',
        service: 'bedrock',
      });
  });

  it('authenticates with a Bedrock API key as a bearer token', async () => {
    server().handle((_request, response) => {
      sendJson(response, 200, fixture('converse-text.json'));
    });
    await model(undefined, { api_key: 'bedrock-api-key-123' }).generate(request, context());
    const [sent] = server().requests;
    expect(sent?.headers['authorization']).toBe('Bearer bedrock-api-key-123');
    expect(sent?.headers['x-amz-date']).toBeUndefined();
  });

  it('rejects a body without the documented shape as a bad response', async () => {
    server().handle((_request, response) => {
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
      name: 'ModelTimeoutException 408',
      status: 408,
      headers: { 'x-amzn-errortype': 'ModelTimeoutException' },
      body: { message: 'Model has timed out in processing the request.' },
      expected: { code: 'upstream_timeout', retryable: true, fallbackEligible: true },
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
    server().handle((_request, response) => {
      sendJson(response, status, body, headers);
    });
    const error = await failure(model().generate(request, context()));
    expect(error).toMatchObject({ ...expected, upstreamStatus: status });
    expect(error.message).toContain(body.message ?? body.Message);
  });

  it('classifies an unresolvable credential profile as upstream_auth_failed', async () => {
    const error = await failure(
      model(undefined, { profile: 'spillway-test-profile-that-does-not-exist' }).generate(request, context()),
    );
    expect(error).toMatchObject({ code: 'upstream_auth_failed', retryable: false, fallbackEligible: true });
    expect(server().requests).toHaveLength(0);
  });
});

describe('embed', () => {
  it('calls InvokeModel once per input for Titan text embeddings', async () => {
    server().handle((sent, response) => {
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
    expect(server().requests.map((sent) => sent.rawPath)).toEqual([
      '/model/amazon.titan-embed-text-v2%3A0/invoke',
      '/model/amazon.titan-embed-text-v2%3A0/invoke',
    ]);
    expect(server().requests.map((sent) => JSON.parse(sent.body) as unknown)).toEqual([
      { inputText: 'one', dimensions: 256 },
      { inputText: 'three', dimensions: 256 },
    ]);
  });

  it('reports other models as unsupported without calling upstream', async () => {
    const error = await failure(model().embed({ model: 'embed', input: ['x'] }, context()));
    expect(error).toMatchObject({ code: 'unsupported', retryable: false });
    expect(server().requests).toHaveLength(0);
  });
});
