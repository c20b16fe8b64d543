import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoGateway } from '../../test/support/server/echo-gateway.ts';
import { startTestServer, type TestServer } from '../../test/support/server/start-test-server.ts';
import type { Dialect } from '../dialects/dialect.ts';
import { dialects } from '../dialects/dialect-registry.ts';
import { openaiChatDialect } from '../dialects/openai-chat/openai-chat-dialect.ts';

// A client API the edge has never heard of: OpenAI's wire shape under another name, path and error
// wording. Adding it to the list is all the edge needs: nothing in server/ knows dialect names.
const nextDialect: Dialect = {
  ...openaiChatDialect,
  name: 'openai-next',
  routes: [{ method: 'POST', path: '/next/v1/chat/completions', operation: 'chat' }],
  claims: (headers) => headers['x-next-client'] !== undefined,
  requestIdHeaders: ['x-next-request-id'],
  renderError: (error) => {
    const rendered = openaiChatDialect.renderError(error);
    return { ...rendered, body: JSON.stringify({ next_error: error.code }) };
  },
};

let test: TestServer;

beforeAll(async () => {
  test = await startTestServer({ dialects: [...dialects, nextDialect] });
});

afterAll(async () => {
  await test.edge.shutdown(1000);
});

describe('a dialect added to the registry list', () => {
  it('is served on its own path, under its own name, through the same edge steps', async () => {
    const client = new OpenAI({ apiKey: EchoGateway.key, baseURL: `${test.origin}/next/v1`, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('echo: hi');
    expect(response.headers.get('x-next-request-id')).toMatch(/./);
    expect(response.headers.get('x-next-request-id')).toBe(response.headers.get('x-request-id'));
    expect(response.headers.get('x-spillway-model-group')).toBe('echo');
    expect(test.gateway.lastContext?.dialect).toBe('openai-next');
  });

  it('words the errors of requests it claims, on paths no dialect serves', async () => {
    const claimed = await fetch(`${test.origin}/nowhere`, { headers: { 'x-next-client': '1' } });
    expect(claimed.status).toBe(404);
    expect(await claimed.json()).toEqual({ next_error: 'not_found' });
    const unclaimed = await fetch(`${test.origin}/nowhere`);
    expect(await unclaimed.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
