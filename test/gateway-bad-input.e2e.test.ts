import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { expectAnthropicError, expectOpenaiError } from './support/dialect-bodies.ts';
import {
  simGatewayConfig,
  simModels,
  singleDeploymentGroup,
  type GatewayConfigInput,
} from './support/gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { anthropicClient, openaiClient } from './support/sdk-clients.ts';
import { startTestSimulator } from './support/simulator.ts';

// Issue 2 acceptance: malformed input at a real `spillway serve` process gets the right status and
// an error body in the client's dialect, and the process keeps serving. (Broken configs:
// gateway-config-reload.e2e.test.ts.)

const teamKey = 'sk-team-key-0001';
const maxBodyBytes = 4096;
let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 3 });
});
afterAll(async () => {
  await sim.close();
});

function configWith(models: GatewayConfigInput['models']): GatewayConfigInput {
  return simGatewayConfig(sim.url, {
    models: models ?? {},
    server: { max_body_bytes: maxBodyBytes },
    tenants: { team: { keys: [teamKey] } },
  });
}

const hello = [{ role: 'user', content: 'hi' }];
const chatBody = JSON.stringify({ model: 'gpt', messages: hello });
const messagesBody = JSON.stringify({ model: 'gpt', max_tokens: 10, messages: hello });
const oversize = (body: Record<string, unknown>): string =>
  JSON.stringify({ ...body, messages: [{ role: 'user', content: 'x'.repeat(maxBodyBytes * 2) }] });

interface BadInputCase {
  readonly name: string;
  readonly method?: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
  /** Header overrides; a value of '' removes the header. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly status: number;
  readonly dialect: 'openai' | 'anthropic';
  /** Expected error `type` (both dialects) and, for OpenAI, `param`. */
  readonly type: string;
  readonly param?: string | null;
}

const cases: readonly BadInputCase[] = [
  // OpenAI dialect: /v1/chat/completions and friends.
  {
    name: 'malformed JSON',
    path: '/v1/chat/completions',
    body: '{"model":',
    status: 400,
    dialect: 'openai',
    type: 'invalid_request_error',
  },
  {
    name: 'a JSON array body',
    path: '/v1/chat/completions',
    body: '[1,2]',
    status: 400,
    dialect: 'openai',
    type: 'invalid_request_error',
  },
  {
    name: 'model of the wrong type',
    path: '/v1/chat/completions',
    body: '{"model":5,"messages":[]}',
    status: 400,
    dialect: 'openai',
    type: 'invalid_request_error',
    param: 'model',
  },
  {
    name: 'messages of the wrong type',
    path: '/v1/chat/completions',
    body: '{"model":"gpt","messages":"hi"}',
    status: 400,
    dialect: 'openai',
    type: 'invalid_request_error',
    param: 'messages',
  },
  {
    name: 'missing messages',
    path: '/v1/chat/completions',
    body: '{"model":"gpt"}',
    status: 400,
    dialect: 'openai',
    type: 'invalid_request_error',
    param: 'messages',
  },
  {
    name: 'unknown model',
    path: '/v1/chat/completions',
    body: JSON.stringify({ model: 'no-such-model', messages: hello }),
    status: 404,
    dialect: 'openai',
    type: 'invalid_request_error',
    param: 'model',
  },
  {
    name: 'body over server.max_body_bytes',
    path: '/v1/chat/completions',
    body: oversize({ model: 'gpt' }),
    status: 413,
    dialect: 'openai',
    type: 'invalid_request_error',
  },
  {
    name: 'a wrong key',
    path: '/v1/chat/completions',
    body: chatBody,
    headers: { authorization: 'Bearer sk-not-a-real-key' },
    status: 401,
    dialect: 'openai',
    type: 'authentication_error',
  },
  {
    name: 'no key while tenants exist',
    path: '/v1/chat/completions',
    body: chatBody,
    headers: { authorization: '' },
    status: 401,
    dialect: 'openai',
    type: 'authentication_error',
  },
  {
    name: 'a text/plain content type',
    path: '/v1/chat/completions',
    body: chatBody,
    headers: { 'content-type': 'text/plain' },
    status: 415,
    dialect: 'openai',
    type: 'invalid_request_error',
  },
  {
    name: 'embeddings without input',
    path: '/v1/embeddings',
    body: '{"model":"gpt"}',
    status: 400,
    dialect: 'openai',
    type: 'invalid_request_error',
    param: 'input',
  },
  {
    name: 'an unknown route',
    path: '/v1/no-such-route',
    body: '{}',
    status: 404,
    dialect: 'openai',
    type: 'invalid_request_error',
  },
  {
    name: 'GET on a POST route',
    method: 'GET',
    path: '/v1/chat/completions',
    status: 405,
    dialect: 'openai',
    type: 'invalid_request_error',
  },
  // Anthropic dialect: /v1/messages, and unknown routes asked with anthropic-version.
  {
    name: 'missing max_tokens',
    path: '/v1/messages',
    body: chatBody,
    status: 400,
    dialect: 'anthropic',
    type: 'invalid_request_error',
  },
  {
    name: 'max_tokens of the wrong type',
    path: '/v1/messages',
    body: JSON.stringify({ model: 'gpt', max_tokens: 'ten', messages: hello }),
    status: 400,
    dialect: 'anthropic',
    type: 'invalid_request_error',
  },
  {
    name: 'malformed JSON',
    path: '/v1/messages',
    body: '{"model":',
    status: 400,
    dialect: 'anthropic',
    type: 'invalid_request_error',
  },
  {
    name: 'missing messages',
    path: '/v1/messages',
    body: '{"model":"gpt","max_tokens":10}',
    status: 400,
    dialect: 'anthropic',
    type: 'invalid_request_error',
  },
  {
    name: 'unknown model',
    path: '/v1/messages',
    body: JSON.stringify({ model: 'no-such-model', max_tokens: 10, messages: hello }),
    status: 404,
    dialect: 'anthropic',
    type: 'not_found_error',
  },
  {
    name: 'body over server.max_body_bytes',
    path: '/v1/messages',
    body: oversize({ model: 'gpt', max_tokens: 10 }),
    status: 413,
    dialect: 'anthropic',
    type: 'request_too_large',
  },
  {
    name: 'a wrong x-api-key',
    path: '/v1/messages',
    body: messagesBody,
    headers: { authorization: '', 'x-api-key': 'sk-not-a-real-key' },
    status: 401,
    dialect: 'anthropic',
    type: 'authentication_error',
  },
  {
    name: 'a text/plain content type',
    path: '/v1/messages',
    body: messagesBody,
    headers: { 'content-type': 'text/plain' },
    status: 415,
    dialect: 'anthropic',
    type: 'invalid_request_error',
  },
  {
    name: 'an unknown route',
    path: '/v1/no-such-route',
    body: '{}',
    headers: { 'anthropic-version': '2023-06-01' },
    status: 404,
    dialect: 'anthropic',
    type: 'not_found_error',
  },
];

describe('malformed input at a running gateway process', () => {
  let gateway: GatewayProcess;
  let exited = false;
  beforeAll(async () => {
    gateway = await startGatewayProcess({
      config: configWith({ gpt: singleDeploymentGroup('gpt', 'openai', simModels.gpt) }),
    });
    void gateway.exited.then(() => {
      exited = true;
    });
  });
  afterAll(async () => {
    expect((await gateway.stop()).code).toBe(0);
  });

  it.each(cases)('$dialect: $name → $status', async (testCase) => {
    const defaults = {
      'content-type': 'application/json',
      authorization: `Bearer ${teamKey}`,
      ...(testCase.dialect === 'anthropic' ? { 'anthropic-version': '2023-06-01' } : {}),
    };
    const headers = Object.fromEntries(
      Object.entries({ ...defaults, ...testCase.headers }).filter(([, value]) => value !== ''),
    );
    const method = testCase.method ?? 'POST';
    const response = await request(`${gateway.url}${testCase.path}`, {
      method,
      headers,
      ...(method === 'POST' ? { body: testCase.body ?? '' } : {}),
    });
    const body: unknown = await response.body.json();
    expect(response.statusCode, JSON.stringify(body)).toBe(testCase.status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['x-request-id']).toBeTruthy();
    if (testCase.dialect === 'openai') {
      const error = expectOpenaiError(body).error;
      expect(error.type).toBe(testCase.type);
      if (testCase.param !== undefined) expect(error.param).toBe(testCase.param);
    } else {
      expect(expectAnthropicError(body).error.type).toBe(testCase.type);
    }
  });

  it('still serves both dialects afterwards, and has not crashed', async () => {
    const completion = await openaiClient(gateway.url, teamKey).chat.completions.create({
      model: 'gpt',
      messages: [{ role: 'user', content: 'still there?' }],
    });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    const message = await anthropicClient(gateway.url, teamKey).messages.create({
      model: 'gpt',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'still there?' }],
    });
    expect(message.stop_reason).toBe('end_turn');
    expect(exited).toBe(false);
    expect(gateway.output()).not.toMatch(/request handler failed|uncaught/i);
  });
});
