import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatModel } from '../../core/chat-model.ts';
import { startFixtureServer, type FixtureServer } from '../../../test/support/providers/fixture-server.ts';
import { SharedPools } from '../shared/upstream-pool.ts';
import { createOpenAIChatModel } from './openai-chat-model.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const context = { signal: new AbortController().signal, requestId: 'req_e' };

let server: FixtureServer | undefined;
let model: ChatModel | undefined;
afterEach(async () => {
  await model?.close();
  await server?.close();
});

async function setup(body: string): Promise<{ server: FixtureServer; model: ChatModel }> {
  server = await startFixtureServer(() => ({
    headers: { 'content-type': 'application/json' },
    chunks: [body],
  }));
  model = createOpenAIChatModel({
    providerName: 'emb',
    config: { base_url: `${server.url}/v1`, api_key: 'sk' },
    modelId: 'text-embedding-3-small',
    pools: new SharedPools(),
  });
  return { server, model };
}

describe('OpenAI embeddings', () => {
  it('asks for floats and returns vectors in input order', async () => {
    const { server, model } = await setup(fixture('embeddings-float.json'));
    const response = await model.embed({ model: 'g', input: ['a', 'b'], dimensions: 3, user: 'u' }, context);
    expect(server.requests[0]!.url).toBe('/v1/embeddings');
    expect(server.requests[0]!.json).toEqual({
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
      encoding_format: 'float',
      dimensions: 3,
      user: 'u',
    });
    expect(response).toEqual({
      model: 'text-embedding-3-small',
      embeddings: [
        [0.0023064255, -0.009327292, 0.015797347],
        [0.25, -0.5, 0.75],
      ],
      inputTokens: 8,
    });
  });

  it('decodes base64 float32 vectors too', async () => {
    const { model } = await setup(fixture('embeddings-base64.json'));
    expect((await model.embed({ model: 'g', input: ['x'] }, context)).embeddings).toEqual([[0.5, -1.25, 3]]);
  });

  it('a response missing a vector is a bad response', async () => {
    const { model } = await setup(fixture('embeddings-base64.json'));
    await expect(model.embed({ model: 'g', input: ['x', 'y'] }, context)).rejects.toMatchObject({
      code: 'upstream_bad_response',
    });
  });
});
