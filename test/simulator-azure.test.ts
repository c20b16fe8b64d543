import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { startTestSimulator } from './support/simulator.ts';

// Issue 14: the simulator serves Azure OpenAI's deployment paths, checks api-version and the
// api-key header (or a bearer token) as Azure does, and words a content-filter refusal as Azure does.

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startTestSimulator({ seed: 3 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
});

const chatBody = { messages: [{ role: 'user', content: 'Hello Azure' }] };

async function post(
  path: string,
  headers: Record<string, string> = { 'api-key': 'sk-sim-openai' },
  body: unknown = chatBody,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await request(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.statusCode, json: (await response.body.json()) as Record<string, unknown> };
}

describe('Azure OpenAI in the simulator', () => {
  const chatPath = '/openai/deployments/gpt-4o-mini/chat/completions';

  it('serves chat at the deployment path with api-version and the api-key header', async () => {
    const { status, json } = await post(`${chatPath}?api-version=2024-10-21`);
    expect(status).toBe(200);
    expect(json).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      prompt_filter_results: [{ prompt_index: 0, content_filter_results: { hate: { filtered: false } } }],
      choices: [{ content_filter_results: { violence: { filtered: false } } }],
    });
    expect(sim.invocations()).toEqual([
      expect.objectContaining({
        api: 'openai',
        operation: 'ChatCompletions',
        modelId: 'gpt-4o-mini',
        status: 200,
      }),
    ]);
  });

  it("streams with Azure's first chunk: no choices, empty id and model, the prompt's filter results", async () => {
    const response = await request(`${sim.url}${chatPath}?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': 'sk-sim-openai' },
      body: JSON.stringify({ ...chatBody, stream: true }),
    });
    expect(response.statusCode).toBe(200);
    const events = (await response.body.text()).split('\n\n').filter((event) => event.startsWith('data: '));
    expect(JSON.parse(events[0]?.slice(6) ?? '')).toMatchObject({
      id: '',
      model: '',
      choices: [],
      prompt_filter_results: [{ prompt_index: 0 }],
    });
    expect(JSON.parse(events[1]?.slice(6) ?? '')).toMatchObject({
      object: 'chat.completion.chunk',
      model: 'gpt-4o-mini',
    });
    expect(events.at(-1)).toBe('data: [DONE]');
  });

  it('takes an Entra ID token as bearer, and serves embeddings', async () => {
    const { status, json } = await post(
      '/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21',
      { authorization: 'Bearer sk-sim-openai' },
      { input: ['one', 'two'] },
    );
    expect(status).toBe(200);
    expect((json['data'] as unknown[]).length).toBe(2);
  });

  it('answers a missing api-version 404 and an unknown one 400, as Azure does', async () => {
    expect(await post(chatPath)).toEqual({
      status: 404,
      json: { error: { code: '404', message: 'Resource not found' } },
    });
    expect(await post(`${chatPath}?api-version=latest`)).toEqual({
      status: 400,
      json: { error: { code: 'BadRequest', message: 'API version not supported' } },
    });
    expect(sim.invocations().map((record) => [record.operation, record.status])).toEqual([
      ['Azure', 404],
      ['Azure', 400],
    ]);
  });

  it('refuses a wrong key 401 and an unknown deployment 404 DeploymentNotFound', async () => {
    const wrongKey = await post(`${chatPath}?api-version=2024-10-21`, { 'api-key': 'nope' });
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.json).toMatchObject({ error: { code: '401' } });
    const noKey = await post(`${chatPath}?api-version=2024-10-21`, {});
    expect(noKey.status).toBe(401);
    const unknown = await post('/openai/deployments/gpt-9/chat/completions?api-version=2024-10-21');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { code: 'DeploymentNotFound' } });
  });

  it('words a content_filter fault with Azure innererror ResponsibleAIPolicyViolation', async () => {
    sim.addFault({ kind: 'error', status: 400, code: 'content_filter', api: 'openai', count: 1 });
    const { status, json } = await post(`${chatPath}?api-version=2024-10-21`);
    expect(status).toBe(400);
    expect(json).toMatchObject({
      error: {
        code: 'content_filter',
        status: 400,
        innererror: {
          code: 'ResponsibleAIPolicyViolation',
          content_filter_result: { hate: { filtered: true, severity: 'high' } },
        },
      },
    });
  });
});
