import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, simModels } from './support/gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { openaiClient } from './support/sdk-clients.ts';
import { useGatewayReplicas } from './support/gateway-replicas.ts';
import { startTestSimulator } from './support/simulator.ts';
import { waitFor } from './support/wait-for.ts';

// Issue 17, the semantic response cache: through a real gateway process, the simulator (whose
// embeddings are a hashed bag of words: one word changed in twenty is cosine ≈ 0.95, five changed
// ≈ 0.6) and the openai SDK, a near-duplicate prompt is answered from the cache above the threshold
// and goes upstream below it; tenants never share answers; the embedding call has its own spend
// record; two replicas on Redis share hits.

const run = randomBytes(4).toString('hex');
const adminKey = `admin-${run}-semantic-key`;
const tenantA = { name: `sem-a-${run}`, key: `sk-sem-a-${run}-key` };
const tenantB = { name: `sem-b-${run}`, key: `sk-sem-b-${run}-key` };
const price = { input: 0.15, output: 0.6 };

function config(simUrl: string, state?: { redis_url: string }) {
  return {
    ...simGatewayConfig(simUrl, {
      server: { admin_key: adminKey },
      models: {
        support: {
          cache: { mode: 'semantic' as const, embedding_group: 'embed', threshold: 0.9, ttl_s: 300 },
          deployments: [{ id: 'support-gpt', provider: 'openai', model: simModels.gpt, price }],
        },
        embed: {
          deployments: [
            {
              id: 'embed-openai',
              provider: 'openai',
              model: simModels.openaiEmbed,
              price: { input: 0.02, output: 0 },
            },
          ],
        },
      },
      tenants: Object.fromEntries([tenantA, tenantB].map((t) => [t.name, { keys: [t.key] }])),
    }),
    ...(state === undefined ? {} : { state }),
  };
}

/** Twenty-two words; `near` changes one, `far` five (and the topic). */
const prompt = (tag: string, word = 'damaged') =>
  `Please explain in simple terms how a refund works for an order ${tag} that arrived ${word} at my home address last week`;
const farPrompt = (tag: string) =>
  `Please explain how a warranty claim works for a laptop ${tag} that stopped charging at my office address last week`;

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim.close();
});

/** Chat calls (not embeddings) the simulator saw while `action` ran. */
async function chatCalls(action: () => Promise<void>): Promise<number> {
  const before = sim.invocations().length;
  await action();
  return sim
    .invocations()
    .slice(before)
    .filter((call) => call.modelId === simModels.gpt).length;
}

interface Answer {
  readonly text: string;
  readonly cache: string | null;
  readonly similarity: string | null;
  readonly requestId: string;
}

async function ask(gateway: GatewayProcess, key: string, content: string, stream = false): Promise<Answer> {
  const client = openaiClient(gateway.url, key);
  const body = { model: 'support', messages: [{ role: 'user' as const, content }] };
  let text = '';
  let headers: Headers;
  if (stream) {
    const { data, response } = await client.chat.completions.create({ ...body, stream: true }).withResponse();
    headers = response.headers;
    for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
  } else {
    const { data, response } = await client.chat.completions.create(body).withResponse();
    headers = response.headers;
    text = data.choices[0]?.message.content ?? '';
  }
  expect(text).not.toBe('');
  return {
    text,
    cache: headers.get('x-spillway-cache'),
    similarity: headers.get('x-spillway-cache-similarity'),
    requestId: headers.get('x-spillway-request-id') ?? '',
  };
}

describe('the semantic response cache (one replica)', () => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = await startGatewayProcess({ config: config(sim.url) });
  });
  afterAll(async () => {
    await gateway.stop();
  });

  it('answers a near-duplicate above the threshold from the cache, and misses below it', async () => {
    const tag = `n-${run}`;
    const calls = await chatCalls(async () => {
      const first = await ask(gateway, tenantA.key, prompt(tag));
      const near = await ask(gateway, tenantA.key, prompt(tag, 'broken'), true);
      const far = await ask(gateway, tenantA.key, farPrompt(tag));
      expect([first.cache, near.cache, far.cache]).toEqual(['miss', 'hit', 'miss']);
      expect(near.text).toBe(first.text);
      expect(Number(near.similarity)).toBeGreaterThanOrEqual(0.9);
      expect(Number(near.similarity)).toBeLessThan(0.99);
      expect(far.similarity).toBeNull();
    });
    expect(calls).toBe(2);
  });

  it('never gives tenant B the answer cached for tenant A', async () => {
    const tag = `t-${run}`;
    await ask(gateway, tenantA.key, prompt(tag));
    const calls = await chatCalls(async () => {
      const b = await ask(gateway, tenantB.key, prompt(tag));
      expect(b.cache).toBe('miss');
    });
    expect(calls).toBe(1);
  });

  it('records each embedding call as its own spend record under the request id', async () => {
    const answer = await ask(gateway, tenantA.key, prompt(`s-${run}`));
    let rows: { id: string; deployment: string; cost_usd: number | null }[] = [];
    await waitFor(
      async () => {
        const response = await request(`${gateway.url}/admin/spend/records?limit=500`, {
          headers: { authorization: `Bearer ${adminKey}` },
        });
        rows = ((await response.body.json()) as { data: typeof rows }).data;
        return rows.some((row) => row.id === `${answer.requestId}.embed`);
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'the embedding spend record' },
    );
    const embedding = rows.find((row) => row.id === `${answer.requestId}.embed`);
    expect(embedding).toMatchObject({ deployment: 'embed-openai' });
    expect(embedding?.cost_usd).toBeGreaterThan(0);
  });
});

describe('the semantic response cache on Redis', () => {
  const replicas = useGatewayReplicas(() => config(sim.url, { redis_url: 'redis://127.0.0.1:6379' }));

  it('shares hits between two replicas (vectors announced, answers in Redis)', async () => {
    const [one, two] = replicas as [GatewayProcess, GatewayProcess];
    const tag = `r-${run}`;
    const first = await ask(one, tenantA.key, prompt(tag));
    expect(first.cache).toBe('miss');
    // The announcement crosses Redis pub/sub asynchronously: ask replica two until it has arrived.
    let near: Answer | undefined;
    await waitFor(
      async () => {
        near = await ask(two, tenantA.key, prompt(tag, 'broken'));
        return near.cache === 'hit';
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'a hit on replica two' },
    );
    expect(near?.text).toBe(first.text);
    const calls = await chatCalls(async () => {
      expect((await ask(two, tenantB.key, prompt(tag))).cache).toBe('miss');
    });
    expect(calls).toBe(1);
  });
});
