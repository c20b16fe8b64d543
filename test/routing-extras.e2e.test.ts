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
// tenant to priority, batch-tagged work to flex), through a real gateway process, the simulator and
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
