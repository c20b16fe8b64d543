import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, simModels } from './support/gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { openaiClient } from './support/sdk-clients.ts';
import { startTestSimulator } from './support/simulator.ts';
import { waitFor } from './support/wait-for.ts';

// Issue 17, the routing extras: Bedrock service tiers as a routing dimension (a latency-sensitive
// tenant to priority, batch-tagged work to flex) and a cascade (a cheap answer stopped at
// max_tokens is escalated to the strong group, both paid for) and a classifier model for the
// complexity score (its timeout falls back to the transparent score), through a real gateway process, the simulator and
// the official OpenAI SDK.

const run = randomBytes(4).toString('hex');
const adminKey = `admin-${run}-extras-key`;
const interactive = { name: `live-${run}`, key: `sk-live-${run}-key` };
const plain = { name: `plain-${run}`, key: `sk-plain-${run}-key` };
const prices = {
  priority: { input: 1.75, output: 7 },
  default: { input: 1, output: 4 },
  flex: { input: 0.5, output: 2 },
};

let sim: RunningSimulator;
let gateway: GatewayProcess;

beforeAll(async () => {
  sim = await startTestSimulator();
  const tiered = (tier: 'priority' | 'default' | 'flex') => ({
    deployments: [
      {
        id: `nova-${tier}`,
        provider: 'a1-us-east-1',
        model: simModels.novaLite,
        service_tier: tier,
        price: prices[tier],
      },
    ],
  });
  gateway = await startGatewayProcess({
    config: simGatewayConfig(sim.url, {
      server: { admin_key: adminKey },
      models: {
        'nova-priority': tiered('priority'),
        'nova-standard': tiered('default'),
        'nova-flex': tiered('flex'),
        cheap: {
          deployments: [
            { id: 'cheap-nova', provider: 'a1-us-east-1', model: simModels.novaLite, price: prices.flex },
          ],
        },
        strong: {
          deployments: [
            {
              id: 'strong-claude',
              provider: 'anthropic',
              model: simModels.claudeDirect,
              price: prices.priority,
            },
          ],
        },
        judge: {
          deployments: [{ id: 'judge-gpt', provider: 'openai', model: simModels.gpt }],
        },
        judged: {
          route: [{ when: { complexity_at_least: 0.6 }, to: 'strong' }, { default: 'cheap' }],
          classifier: { group: 'judge', timeout_ms: 400 },
        },
        cascading: {
          route: [{ default: 'cheap' }],
          cascade: { from: 'cheap', to: 'strong', escalate_on: ['max_tokens'] },
        },
        tiers: {
          route: [
            { name: 'latency-sensitive', when: { tenants: [interactive.name] }, to: 'nova-priority' },
            { name: 'batch', when: { tags: ['batch'] }, to: 'nova-flex' },
            { default: 'nova-standard' },
          ],
        },
      },
      tenants: {
        [interactive.name]: { keys: [interactive.key] },
        [plain.name]: { keys: [plain.key] },
      },
    }),
  });
});

afterAll(async () => {
  await gateway.stop();
  await sim.close();
});

async function spendRecord(requestId: string): Promise<Record<string, unknown>> {
  let record: Record<string, unknown> | undefined;
  await waitFor(
    async () => {
      const listed = await request(`${gateway.url}/admin/spend/records?limit=500`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      const body = (await listed.body.json()) as { data: Record<string, unknown>[] };
      record = body.data.find((row) => row['id'] === requestId);
      return record !== undefined;
    },
    { timeoutMs: 10_000, intervalMs: 100, what: `the spend record of ${requestId}` },
  );
  return record ?? {};
}

describe('Bedrock service tiers', () => {
  const prompt = `Name three rivers of Europe (${run}).`;

  async function ask(key: string, tags?: string) {
    const before = sim.invocations().length;
    const { data, response } = await openaiClient(gateway.url, key)
      .chat.completions.create(
        { model: 'tiers', max_completion_tokens: 60, messages: [{ role: 'user', content: prompt }] },
        tags === undefined ? {} : { headers: { 'x-spillway-tags': tags } },
      )
      .withResponse();
    const requestId = response.headers.get('x-spillway-request-id') ?? '';
    const record = await spendRecord(requestId);
    return {
      route: response.headers.get('x-spillway-route'),
      tier: sim.invocations().slice(before).at(-1)?.serviceTier,
      tokens: [data.usage?.prompt_tokens, data.usage?.completion_tokens],
      cost: record['cost_usd'] as number,
    };
  }

  it('sends a latency-sensitive tenant to priority and batch work to flex, at the tier price', async () => {
    const live = await ask(interactive.key);
    const batch = await ask(plain.key, 'batch');
    const standard = await ask(plain.key);
    expect([live.route, batch.route, standard.route]).toEqual([
      'tiers:latency-sensitive -> nova-priority',
      'tiers:batch -> nova-flex',
      'tiers:default -> nova-standard',
    ]);
    // Converse's serviceTier reached the model (the simulator's invocation log).
    expect([live.tier, batch.tier, standard.tier]).toEqual(['priority', 'flex', 'default']);
    // The same prompt and answer cost what each tier charges.
    expect(batch.tokens).toEqual(live.tokens);
    const [input = 0, output = 0] = live.tokens;
    const expected = (price: { input: number; output: number }) =>
      (input * price.input + output * price.output) / 1e6;
    expect(live.cost).toBeCloseTo(expected(prices.priority), 12);
    expect(batch.cost).toBeCloseTo(expected(prices.flex), 12);
    expect(standard.cost).toBeCloseTo(expected(prices.default), 12);
    expect(live.cost).toBeGreaterThan(standard.cost);
    expect(standard.cost).toBeGreaterThan(batch.cost);
  });
});

describe('a cascade', () => {
  const cost = (price: { input: number; output: number }, input: number, output: number) =>
    (input * price.input + output * price.output) / 1e6;

  async function ask(maxTokens: number) {
    const before = sim.invocations().length;
    const { data, response } = await openaiClient(gateway.url, plain.key)
      .chat.completions.create({
        model: 'cascading',
        max_completion_tokens: maxTokens,
        messages: [{ role: 'user', content: `Describe the water cycle in detail (${run}, ${maxTokens}).` }],
      })
      .withResponse();
    const requestId = response.headers.get('x-spillway-request-id') ?? '';
    return {
      data,
      cascade: response.headers.get('x-spillway-cascade'),
      route: response.headers.get('x-spillway-route'),
      group: response.headers.get('x-spillway-model-group'),
      calls: sim.invocations().slice(before),
      record: await spendRecord(requestId),
    };
  }

  it('escalates an answer stopped at max_tokens to the strong group and records both costs', async () => {
    const answer = await ask(8);
    expect(answer.cascade).toBe('escalated:max_tokens -> strong');
    expect(answer.calls.map((call) => call.modelId)).toEqual([simModels.novaLite, simModels.claudeDirect]);
    const [cheapCall, strongCall] = answer.calls;
    expect(answer.data.usage?.completion_tokens).toBe(strongCall?.outputTokens);
    const both =
      cost(prices.flex, cheapCall?.inputTokens ?? 0, cheapCall?.outputTokens ?? 0) +
      cost(prices.priority, strongCall?.inputTokens ?? 0, strongCall?.outputTokens ?? 0);
    expect(answer.record['cost_usd']).toBeCloseTo(both, 12);
    expect(answer.record['route']).toBe('cascading:default cascading:cascade-max_tokens');
    const metrics = await (await request(`${gateway.url}/metrics`)).body.text();
    expect(metrics).toMatch(
      /spillway_route_decisions_total\{router="cascading",rule="cascade-max_tokens",target="strong"\} 1/,
    );
  });

  it('keeps a cheap answer that passes the check: one call, one cost', async () => {
    const answer = await ask(2000);
    expect(answer.cascade).toBe('kept');
    expect(answer.calls.map((call) => call.modelId)).toEqual([simModels.novaLite]);
    expect(answer.data.choices[0]?.finish_reason).toBe('stop');
    const [call] = answer.calls;
    expect(answer.record['cost_usd']).toBeCloseTo(
      cost(prices.flex, call?.inputTokens ?? 0, call?.outputTokens ?? 0),
      12,
    );
  });

  it('leaves streams alone: a stream is relayed from the cheap group as it comes', async () => {
    const before = sim.invocations().length;
    const { data: stream, response } = await openaiClient(gateway.url, plain.key)
      .chat.completions.create({
        model: 'cascading',
        stream: true,
        max_completion_tokens: 8,
        messages: [{ role: 'user', content: `Describe the water cycle (${run}, stream).` }],
      })
      .withResponse();
    const reasons: (string | null | undefined)[] = [];
    for await (const chunk of stream) reasons.push(chunk.choices[0]?.finish_reason);
    expect(reasons).toContain('length');
    expect(response.headers.get('x-spillway-cascade')).toBeNull();
    expect(
      sim
        .invocations()
        .slice(before)
        .map((call) => call.modelId),
    ).toEqual([simModels.novaLite]);
  });
});

describe('a classifier model', () => {
  const complex = `Design a rate limiter for a multi-tenant API gateway (${run}). First, explain why a
token bucket and a sliding window differ, and compare their trade-offs under bursty traffic. Then
implement it in TypeScript. Requirements:
1. It must be exact across replicas that share Redis.
2. It should never allow more than the configured rate, at most 1% error.
3. Do not use a global lock; ensure each step is O(1).
4. Finally, prove the bound and analyze the complexity of each operation.`;

  async function ask(content: string) {
    const before = sim.invocations().length;
    const { data, response } = await openaiClient(gateway.url, plain.key)
      .chat.completions.create({ model: 'judged', messages: [{ role: 'user', content }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBeTruthy();
    const [score, source] = (response.headers.get('x-spillway-complexity') ?? '').split('; source=');
    return {
      route: response.headers.get('x-spillway-route'),
      score: Number(score),
      source,
      calls: sim.invocations().slice(before),
    };
  }

  it('routes by the score the classifier group gives', async () => {
    const answer = await ask(`What is the capital of France? (${run})`);
    expect(answer.source).toBe('classifier');
    expect(answer.score).toBeGreaterThanOrEqual(0);
    expect(answer.score).toBeLessThanOrEqual(1);
    // The classifier was asked first, then the group its score chose.
    const chosen = answer.score >= 0.6 ? 'strong' : 'cheap';
    expect(answer.route).toBe(`judged:${chosen === 'strong' ? 'rule-1' : 'default'} -> ${chosen}`);
    expect(answer.calls.map((call) => call.modelId)).toEqual([
      simModels.gpt,
      chosen === 'strong' ? simModels.claudeDirect : simModels.novaLite,
    ]);
  });

  it('falls back to the transparent score when the classifier does not answer in time', async () => {
    const fault = sim.addFault({ kind: 'hang', model: simModels.gpt });
    try {
      const hard = await ask(complex);
      expect(hard.source).toBe('fallback');
      expect(hard.score).toBeGreaterThanOrEqual(0.6);
      expect(hard.route).toBe('judged:rule-1 -> strong');
      const easy = await ask(`Spell ${run} backwards.`);
      expect(easy.source).toBe('fallback');
      expect(easy.route).toBe('judged:default -> cheap');
      // The hung classifier call is logged when it is aborted, before or after the routed one.
      const called = easy.calls.map((call) => call.modelId);
      expect(called).toContain(simModels.novaLite);
      expect(called).not.toContain(simModels.claudeDirect);
    } finally {
      sim.removeFault(fault.id);
    }
  });
});
