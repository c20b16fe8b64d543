import { randomBytes } from 'node:crypto';
import type OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, simModels } from './support/gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { openaiClient } from './support/sdk-clients.ts';
import { useGatewayReplicas } from './support/gateway-replicas.ts';
import { startTestSimulator } from './support/simulator.ts';
import { waitFor } from './support/wait-for.ts';

// Issue 17, the response cache: identical requests through a real gateway process make one upstream
// call (the simulator's invocation log counts them), as JSON and as streams; tenants never share
// answers; `cache-control: no-cache` and sampled requests go upstream; a hit's spend record costs 0
// and carries the saving; two replicas on Redis share hits.

const run = randomBytes(4).toString('hex');
const adminKey = `admin-${run}-cache-key`;
const tenantA = { name: `cache-a-${run}`, key: `sk-cache-a-${run}-key` };
const tenantB = { name: `cache-b-${run}`, key: `sk-cache-b-${run}-key` };
const price = { input: 0.15, output: 0.6 };

function config(simUrl: string, state?: { redis_url: string }) {
  return {
    ...simGatewayConfig(simUrl, {
      server: { admin_key: adminKey },
      models: {
        cached: {
          cache: { mode: 'exact' as const, ttl_s: 300 },
          deployments: [{ id: 'cached-gpt', provider: 'openai', model: simModels.gpt, price }],
        },
        plain: { deployments: [{ id: 'plain-gpt', provider: 'openai', model: simModels.gpt, price }] },
      },
      tenants: Object.fromEntries([tenantA, tenantB].map((t) => [t.name, { keys: [t.key] }])),
    }),
    ...(state === undefined ? {} : { state }),
  };
}

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim.close();
});

/** Upstream calls the simulator saw while `action` ran. */
async function upstreamCalls(action: () => Promise<void>): Promise<number> {
  const before = sim.invocations().length;
  await action();
  return sim.invocations().length - before;
}

interface Answer {
  readonly text: string;
  readonly cache: string | null;
  readonly deployment: string | null;
  readonly requestId: string;
}

async function ask(
  gateway: GatewayProcess,
  key: string,
  content: string,
  options: { stream?: boolean; temperature?: number; headers?: Record<string, string>; group?: string } = {},
): Promise<Answer> {
  const client: OpenAI = openaiClient(gateway.url, key);
  const body = {
    model: options.group ?? 'cached',
    messages: [{ role: 'user' as const, content }],
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
  };
  const requestOptions = options.headers === undefined ? {} : { headers: options.headers };
  let text = '';
  let headers: Headers;
  if (options.stream === true) {
    const { data, response } = await client.chat.completions
      .create({ ...body, stream: true, stream_options: { include_usage: true } }, requestOptions)
      .withResponse();
    headers = response.headers;
    for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
  } else {
    const { data, response } = await client.chat.completions.create(body, requestOptions).withResponse();
    headers = response.headers;
    text = data.choices[0]?.message.content ?? '';
  }
  expect(text).not.toBe('');
  return {
    text,
    cache: headers.get('x-spillway-cache'),
    deployment: headers.get('x-spillway-deployment'),
    requestId: headers.get('x-spillway-request-id') ?? '',
  };
}

interface SpendRow {
  readonly id: string;
  readonly cost_usd: number | null;
  readonly answered_by: string | null;
  readonly saved_usd: number | null;
  readonly deployment: string;
  readonly input_tokens: number;
}

async function spendRows(gateway: GatewayProcess): Promise<SpendRow[]> {
  const response = await request(`${gateway.url}/admin/spend/records?limit=500`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  expect(response.statusCode).toBe(200);
  return ((await response.body.json()) as { data: SpendRow[] }).data;
}

describe('the exact response cache (in memory)', () => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = await startGatewayProcess({ config: config(sim.url) });
  });
  afterAll(async () => {
    await gateway.stop();
  });

  it('answers three identical requests with one upstream call and the same content', async () => {
    const answers: Answer[] = [];
    const calls = await upstreamCalls(async () => {
      for (let i = 0; i < 3; i += 1) answers.push(await ask(gateway, tenantA.key, `three times ${run}`));
    });
    expect(calls).toBe(1);
    expect(answers.map((a) => a.cache)).toEqual(['miss', 'hit', 'hit']);
    expect(answers[1]?.text).toBe(answers[0]?.text);
    expect(answers[2]?.text).toBe(answers[0]?.text);
    // A hit names no deployment: none was called.
    expect(answers[0]?.deployment).toBe('cached-gpt');
    expect(answers[1]?.deployment).toBeNull();
  });

  it('serves a stream from the cache as a stream, and keeps a streamed answer for JSON', async () => {
    const calls = await upstreamCalls(async () => {
      const first = await ask(gateway, tenantA.key, `streamed ${run}`, { stream: true });
      const second = await ask(gateway, tenantA.key, `streamed ${run}`, { stream: true });
      const json = await ask(gateway, tenantA.key, `streamed ${run}`);
      expect([first.cache, second.cache, json.cache]).toEqual(['miss', 'hit', 'hit']);
      expect(second.text).toBe(first.text);
      expect(json.text).toBe(first.text);
    });
    expect(calls).toBe(1);
  });

  it('never gives tenant B the answer cached for tenant A', async () => {
    await ask(gateway, tenantA.key, `per tenant ${run}`);
    const calls = await upstreamCalls(async () => {
      const b = await ask(gateway, tenantB.key, `per tenant ${run}`);
      expect(b.cache).toBe('miss');
      expect(b.deployment).toBe('cached-gpt');
    });
    expect(calls).toBe(1);
  });

  it('goes upstream for cache-control: no-cache, and for sampled requests', async () => {
    await ask(gateway, tenantA.key, `no-cache ${run}`);
    const calls = await upstreamCalls(async () => {
      const fresh = await ask(gateway, tenantA.key, `no-cache ${run}`, {
        headers: { 'cache-control': 'no-cache' },
      });
      expect(fresh.cache).toBe('miss');
      for (let i = 0; i < 2; i += 1) {
        const sampled = await ask(gateway, tenantA.key, `sampled ${run}`, { temperature: 0.8 });
        expect(sampled.cache).toBe('miss');
      }
    });
    expect(calls).toBe(3);
    // A group without a cache says nothing about one.
    const plain = await ask(gateway, tenantA.key, `plain ${run}`, { group: 'plain' });
    expect(plain.cache).toBeNull();
  });

  it('records a hit at cost 0 with the saving, and counts lookups in the metrics', async () => {
    const miss = await ask(gateway, tenantA.key, `spend ${run}`);
    const hit = await ask(gateway, tenantA.key, `spend ${run}`);
    let rows: SpendRow[] = [];
    await waitFor(
      async () => {
        rows = await spendRows(gateway);
        return [miss.requestId, hit.requestId].every((id) => rows.some((row) => row.id === id));
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'both spend records' },
    );
    const paid = rows.find((row) => row.id === miss.requestId) as SpendRow;
    const replayed = rows.find((row) => row.id === hit.requestId) as SpendRow;
    expect(paid.cost_usd).toBeGreaterThan(0);
    expect(paid.answered_by).toBeNull();
    expect(replayed).toMatchObject({ cost_usd: 0, answered_by: 'cache', deployment: '', input_tokens: 0 });
    expect(replayed.saved_usd).toBeCloseTo(paid.cost_usd ?? 0, 12);

    const metrics = await (await request(`${gateway.url}/metrics`)).body.text();
    const hits = /spillway_cache_lookups_total\{group="cached",result="hit"\} (\d+)/.exec(metrics);
    expect(Number(hits?.[1])).toBeGreaterThanOrEqual(5);
    expect(metrics).toMatch(/spillway_cache_lookups_total\{group="cached",result="bypass"\} 3/);
    expect(metrics).toMatch(/spillway_cache_saved_usd_total\{group="cached"\} [0-9.e-]+/);
  });
});

describe('the exact response cache on Redis', () => {
  const replicas = useGatewayReplicas(() => config(sim.url, { redis_url: 'redis://127.0.0.1:6379' }));

  it('shares hits between two replicas', async () => {
    const [one, two] = replicas as [GatewayProcess, GatewayProcess];
    const calls = await upstreamCalls(async () => {
      const first = await ask(one, tenantA.key, `replicas ${run}`);
      const second = await ask(two, tenantA.key, `replicas ${run}`, { stream: true });
      expect([first.cache, second.cache]).toEqual(['miss', 'hit']);
      expect(second.text).toBe(first.text);
      const other = await ask(two, tenantB.key, `replicas ${run}`);
      expect(other.cache).toBe('miss');
    });
    expect(calls).toBe(2);
  });
});
