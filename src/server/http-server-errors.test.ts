import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoGateway } from '../../test/support/server/echo-gateway.ts';
import { startTestServer, type TestServer } from '../../test/support/server/start-test-server.ts';

const maxBodyBytes = 64 * 1024;
let test: TestServer;

beforeAll(async () => {
  test = await startTestServer({ maxBodyBytes });
});

afterAll(async () => {
  await test.edge.shutdown(1000);
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/**
 * A request through node:http so that the test controls framing (declared length, chunked bodies);
 * write errors after an early answer (EPIPE, reset) are expected and ignored.
 */
function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
  chunked = false,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, test.origin);
    const outgoing = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text === '' ? undefined : JSON.parse(text),
        });
      });
      res.on('error', reject);
    });
    outgoing.on('error', (error) => {
      // An early 413 may race a reset of the half-sent body; the response handler above has it.
      if (!outgoing.writableEnded) reject(error);
    });
    if (body === undefined) {
      outgoing.end();
    } else if (chunked) {
      const step = 16 * 1024;
      for (let offset = 0; offset < body.length; offset += step)
        outgoing.write(body.slice(offset, offset + step));
      outgoing.end();
    } else {
      outgoing.end(body);
    }
  });
}

const auth = { authorization: `Bearer ${EchoGateway.key}`, 'content-type': 'application/json' };
const anthropicAuth = {
  'x-api-key': EchoGateway.key,
  'content-type': 'application/json',
  'anthropic-version': '2023-06-01',
};
const chat = (body: unknown): string => JSON.stringify(body);
const user = [{ role: 'user', content: 'hi' }];
const huge = JSON.stringify({
  model: 'echo',
  messages: [{ role: 'user', content: 'x'.repeat(maxBodyBytes) }],
});

interface Case {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  chunked?: boolean;
  status: number;
  /** OpenAI `error` fields or Anthropic `error` fields expected in the body. */
  openai?: Record<string, unknown>;
  anthropic?: Record<string, unknown>;
  message?: RegExp;
}

const cases: Case[] = [
  {
    name: 'bad JSON',
    path: '/v1/chat/completions',
    body: '{"model":',
    status: 400,
    openai: { code: 'invalid_json', type: 'invalid_request_error' },
  },
  {
    name: 'empty body',
    path: '/v1/chat/completions',
    body: '',
    status: 400,
    openai: { code: 'invalid_json' },
  },
  {
    name: 'wrong content type',
    path: '/v1/chat/completions',
    headers: { authorization: auth.authorization, 'content-type': 'text/plain' },
    body: chat({ model: 'echo', messages: user }),
    status: 415,
    message: /application\/json/,
  },
  {
    name: 'content of the wrong type',
    path: '/v1/chat/completions',
    body: chat({ model: 'echo', messages: [{ role: 'user', content: 5 }] }),
    status: 400,
    openai: { param: 'messages[0].content', message: 'messages[0].content: expected string or array' },
  },
  {
    name: 'missing messages',
    path: '/v1/chat/completions',
    body: chat({ model: 'echo' }),
    status: 400,
    openai: { param: 'messages' },
  },
  {
    name: 'n=2',
    path: '/v1/chat/completions',
    body: chat({ model: 'echo', messages: user, n: 2 }),
    status: 400,
    openai: { param: 'n', code: 'unsupported' },
  },
  {
    name: 'http image URL',
    path: '/v1/chat/completions',
    body: chat({
      model: 'echo',
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] },
      ],
    }),
    status: 400,
    openai: { param: 'messages[0].content[0].image_url.url' },
    message: /only data URLs are supported/,
  },
  {
    name: 'token-array embeddings',
    path: '/v1/embeddings',
    body: chat({ model: 'echo', input: [[1, 2, 3]] }),
    status: 400,
    openai: { param: 'input[0]' },
  },
  {
    name: 'over-size body (declared length)',
    path: '/v1/chat/completions',
    body: huge,
    status: 413,
    openai: { code: 'request_too_large' },
  },
  {
    name: 'over-size body (chunked)',
    path: '/v1/chat/completions',
    body: huge,
    chunked: true,
    status: 413,
    openai: { code: 'request_too_large' },
  },
  { name: 'unknown route', method: 'GET', path: '/v1/nothing', status: 404, openai: { code: 'not_found' } },
  { name: 'wrong method', method: 'GET', path: '/v1/chat/completions', status: 405, message: /use POST/ },
  {
    name: 'missing key',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json' },
    body: chat({ model: 'echo', messages: user }),
    status: 401,
    openai: { type: 'authentication_error' },
  },
  {
    name: 'bad key',
    path: '/v1/chat/completions',
    headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
    body: chat({ model: 'echo', messages: user }),
    status: 401,
    openai: { code: 'authentication_failed' },
  },
  {
    name: 'anthropic: missing max_tokens',
    path: '/v1/messages',
    headers: anthropicAuth,
    body: chat({ model: 'echo', messages: user }),
    status: 400,
    anthropic: { type: 'invalid_request_error' },
    message: /^max_tokens: /,
  },
  {
    name: 'anthropic: bad JSON',
    path: '/v1/messages',
    headers: anthropicAuth,
    body: '[',
    status: 400,
    anthropic: { type: 'invalid_request_error' },
  },
  {
    name: 'anthropic: missing key',
    path: '/v1/messages',
    headers: { 'content-type': 'application/json' },
    body: chat({ model: 'echo', max_tokens: 5, messages: user }),
    status: 401,
    anthropic: { type: 'authentication_error' },
  },
  {
    name: 'anthropic: over-size body',
    path: '/v1/messages',
    headers: anthropicAuth,
    body: huge,
    status: 413,
    anthropic: { type: 'request_too_large' },
  },
  {
    name: 'anthropic: image by URL',
    path: '/v1/messages',
    headers: anthropicAuth,
    body: chat({
      model: 'echo',
      max_tokens: 5,
      messages: [
        {
          role: 'user',
          content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }],
        },
      ],
    }),
    status: 400,
    message: /only base64 image sources are supported/,
  },
  {
    name: 'anthropic: unknown route',
    method: 'GET',
    path: '/v1/nothing',
    headers: { 'anthropic-version': '2023-06-01' },
    status: 404,
    anthropic: { type: 'not_found_error' },
  },
  {
    name: 'anthropic: wrong method',
    method: 'GET',
    path: '/v1/messages',
    status: 405,
    anthropic: { type: 'invalid_request_error' },
  },
];

describe('malformed requests get the right status and dialect body', () => {
  it.each(cases)('$name → $status', async (entry) => {
    const response = await rawRequest(
      entry.method ?? 'POST',
      entry.path,
      entry.headers ?? auth,
      entry.body,
      entry.chunked,
    );
    expect(response.status).toBe(entry.status);
    expect(response.headers['x-request-id']).toMatch(/^req_/);
    const body = response.body as { type?: string; error: Record<string, unknown> };
    const isAnthropic = entry.anthropic !== undefined || entry.path === '/v1/messages';
    if (isAnthropic) {
      expect(body.type).toBe('error');
      expect(Object.keys(body.error).sort()).toEqual(['message', 'type']);
      if (entry.anthropic !== undefined) expect(body.error).toMatchObject(entry.anthropic);
    } else {
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      if (entry.openai !== undefined) expect(body.error).toMatchObject(entry.openai);
    }
    if (entry.message !== undefined) expect(body.error.message).toMatch(entry.message);
    if (entry.status === 405) expect(response.headers.allow).toBe('POST');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('still serves after all of them', async () => {
    const response = await rawRequest(
      'POST',
      '/v1/chat/completions',
      auth,
      chat({ model: 'echo', messages: user }),
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ choices: [{ message: { content: 'echo: hi' } }] });
  });

  it('answers an unexpected handler failure with a 500 in the dialect, no stack', async () => {
    const original = test.gateway.listModels.bind(test.gateway);
    test.gateway.listModels = () => {
      throw new TypeError('boom in a dependency');
    };
    try {
      const response = await rawRequest('GET', '/v1/models', auth);
      expect(response.status).toBe(500);
      const body = response.body as { error: { code: string; message: string } };
      expect(body.error.code).toBe('internal_error');
      expect(body.error.message).not.toMatch(/boom|at /);
    } finally {
      test.gateway.listModels = original;
    }
  });
});

describe('Bedrock routes at the edge', () => {
  const bearer = { authorization: `Bearer ${EchoGateway.key}` };
  const invoke = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 10, messages: user });

  it('reads an InvokeModel body as JSON whatever its content type (the SDK says octet-stream)', async () => {
    const headers = { ...bearer, 'content-type': 'application/octet-stream' };
    const response = await rawRequest('POST', '/model/echo/invoke', headers, invoke);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'echo: hi' }] });
  });

  it('refuses a non-JSON Converse body as a Bedrock ValidationException', async () => {
    const headers = { ...bearer, 'content-type': 'text/plain' };
    const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] });
    const response = await rawRequest('POST', '/model/echo/converse', headers, body);
    expect(response.status).toBe(415);
    expect(response.headers['x-amzn-errortype']).toBe('ValidationException');
    expect(response.body).toEqual({ message: expect.stringMatching(/application\/json/) });
  });
});
