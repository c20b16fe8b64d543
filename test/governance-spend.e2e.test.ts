import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/persistence/postgres-test-database.ts';
import type { InvocationRecord } from '../src/simulator/invocation-log.ts';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, simModels } from './support/gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { runId } from './support/replicas/scenario-config.ts';
import { anthropicClient, openaiClient } from './support/sdk-clients.ts';
import { startTestSimulator } from './support/simulator.ts';
import { waitFor } from './support/wait-for.ts';

// Issue 5 acceptance: the admin API's spend sums equal the per-request costs computed here,
// independently, from the simulator's invocation log (its token counts) × the configured prices;
// `x-spillway-cost-usd` on each complete answer is its own cost. On SQLite and on PostgreSQL.

const run = runId();
const adminKey = `admin-${run}-spend-key`;
const tenants = [
  { name: `spend-a-${run}`, key: `sk-spend-a-${run}-key` },
  { name: `spend-b-${run}`, key: `sk-spend-b-${run}-key` },
] as const;
/** USD per million tokens, per group (one deployment each, id = group). */
const prices = {
  sonnet: { input: 3, output: 15 },
  gpt: { input: 0.15, output: 0.6 },
} as const;
type GroupName = keyof typeof prices;
const groups: readonly GroupName[] = ['sonnet', 'gpt'];

/** Cost in USD of one invocation at a group's price. */
function costOf(group: GroupName, invocation: InvocationRecord): number {
  const price = prices[group];
  return (invocation.inputTokens * price.input + invocation.outputTokens * price.output) / 1_000_000;
}

interface Served {
  readonly tenant: string;
  readonly group: GroupName;
  readonly requestId: string;
  readonly invocation: InvocationRecord;
  readonly cost: number;
}

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startTestSimulator();
});

afterAll(async () => {
  await sim.close();
});

async function admin(gateway: GatewayProcess, path: string): Promise<unknown> {
  const response = await request(`${gateway.url}${path}`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  const body: unknown = await response.body.json();
  expect(response.statusCode, JSON.stringify(body)).toBe(200);
  return body;
}

interface SpendSum {
  readonly key: string;
  readonly requests: number;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cost_usd: number;
}

async function spendBy(gateway: GatewayProcess, groupBy: string): Promise<Map<string, SpendSum>> {
  const body = (await admin(gateway, `/admin/spend?group_by=${groupBy}`)) as { data: SpendSum[] };
  return new Map(body.data.map((sum) => [sum.key, sum]));
}

/** One request through one SDK, streamed or not; returns its request id and the cost header. */
async function send(
  gateway: GatewayProcess,
  key: string,
  group: GroupName,
  sdk: 'openai' | 'anthropic',
  stream: boolean,
): Promise<{ requestId: string; costHeader: string | null }> {
  let headers: Headers;
  if (sdk === 'openai') {
    const client: OpenAI = openaiClient(gateway.url, key);
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: `spend ${group}` }];
    if (stream) {
      const { data, response } = await client.chat.completions
        .create({ model: group, messages, stream: true, stream_options: { include_usage: true } })
        .withResponse();
      headers = response.headers;
      let text = '';
      for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).not.toBe('');
    } else {
      const { data, response } = await client.chat.completions
        .create({ model: group, messages })
        .withResponse();
      headers = response.headers;
      expect(data.choices[0]?.finish_reason).toBe('stop');
    }
  } else {
    const client: Anthropic = anthropicClient(gateway.url, key);
    const params = {
      model: group,
      max_tokens: 256,
      messages: [{ role: 'user' as const, content: `spend ${group} anthropic` }],
    };
    if (stream) {
      const { data, response } = await client.messages.create({ ...params, stream: true }).withResponse();
      headers = response.headers;
      let deltas = 0;
      for await (const event of data) if (event.type === 'content_block_delta') deltas += 1;
      expect(deltas).toBeGreaterThan(0);
    } else {
      const { data, response } = await client.messages.create(params).withResponse();
      headers = response.headers;
      expect(data.stop_reason).toBe('end_turn');
    }
  }
  expect(headers.get('x-spillway-attempts')).toBe('1');
  return { requestId: headers.get('x-request-id') ?? '', costHeader: headers.get('x-spillway-cost-usd') };
}

/** Sends every tenant × group × SDK × stream combination, one at a time, each matched to its invocation. */
async function traffic(gateway: GatewayProcess): Promise<Served[]> {
  const served: Served[] = [];
  for (const tenant of tenants) {
    for (const group of groups) {
      for (const sdk of ['openai', 'anthropic'] as const) {
        for (const stream of [false, true]) {
          const before = sim.invocations().length;
          const { requestId, costHeader } = await send(gateway, tenant.key, group, sdk, stream);
          // One request at a time: the one new invocation is this request's.
          await waitFor(() => sim.invocations().length > before, { timeoutMs: 2000, what: 'invocation' });
          const invocations = sim.invocations().slice(before);
          expect(invocations).toHaveLength(1);
          const invocation = invocations[0] as InvocationRecord;
          expect(invocation.status).toBe(200);
          expect(invocation.api).toBe(group === 'sonnet' ? 'bedrock' : 'openai');
          expect(invocation.stream).toBe(stream);
          expect(invocation.inputTokens).toBeGreaterThan(0);
          expect(invocation.outputTokens).toBeGreaterThan(0);
          const cost = costOf(group, invocation);
          if (!stream) {
            expect(costHeader, `${sdk} ${group}`).not.toBeNull();
            expect(Number(costHeader)).toBeCloseTo(cost, 10);
          }
          served.push({ tenant: tenant.name, group, requestId, invocation, cost });
        }
      }
    }
  }
  return served;
}

const sumOf = <T>(items: readonly T[], pick: (item: T) => number): number =>
  items.reduce((total, item) => total + pick(item), 0);

describe.each([{ database: 'sqlite' }, { database: 'postgres' }])(
  'spend accounting on $database',
  ({ database }) => {
    let gateway: GatewayProcess;
    let testDatabase: TestDatabase | undefined;

    beforeAll(async () => {
      if (database === 'postgres') testDatabase = await createTestDatabase();
      const config = simGatewayConfig(sim.url, {
        server: { admin_key: adminKey },
        models: {
          sonnet: {
            deployments: [
              {
                id: 'sonnet',
                provider: 'a1-us-east-1',
                model: simModels.sonnetUsProfile,
                price: prices.sonnet,
              },
            ],
          },
          gpt: { deployments: [{ id: 'gpt', provider: 'openai', model: simModels.gpt, price: prices.gpt }] },
        },
        tenants: Object.fromEntries(tenants.map((tenant) => [tenant.name, { keys: [tenant.key] }])),
      });
      gateway = await startGatewayProcess({
        config: testDatabase === undefined ? config : { ...config, database: { url: testDatabase.url } },
      });
    });

    afterAll(async () => {
      await gateway.stop();
      await testDatabase?.drop();
    });

    it('admin spend sums equal the costs computed from the invocation log and the prices', async () => {
      const served = await traffic(gateway);
      expect(served).toHaveLength(16);

      // Spend records are written in the background (batches every 250 ms): wait until all are in.
      await waitFor(
        async () => sumOf([...(await spendBy(gateway, 'tenant')).values()], (sum) => sum.requests) === 16,
        { timeoutMs: 10_000, intervalMs: 100, what: '16 spend records' },
      );

      const byTenant = await spendBy(gateway, 'tenant');
      expect([...byTenant.keys()].sort()).toEqual(tenants.map((tenant) => tenant.name).sort());
      for (const tenant of tenants) {
        const mine = served.filter((item) => item.tenant === tenant.name);
        const sum = byTenant.get(tenant.name);
        expect(sum?.requests).toBe(8);
        expect(sum?.input_tokens).toBe(sumOf(mine, (item) => item.invocation.inputTokens));
        expect(sum?.output_tokens).toBe(sumOf(mine, (item) => item.invocation.outputTokens));
        expect(sum?.cost_usd).toBeCloseTo(
          sumOf(mine, (item) => item.cost),
          10,
        );
      }

      for (const groupBy of ['deployment', 'group'] as const) {
        const sums = await spendBy(gateway, groupBy);
        for (const group of groups) {
          const mine = served.filter((item) => item.group === group);
          expect(sums.get(group)?.requests).toBe(8);
          expect(sums.get(group)?.cost_usd).toBeCloseTo(
            sumOf(mine, (item) => item.cost),
            10,
          );
        }
      }

      // And request by request, streams included.
      const records = (await admin(gateway, '/admin/spend/records?limit=100')) as {
        data: { request_id: string; cost_usd: number | null; stream: boolean }[];
      };
      const costs = new Map(records.data.map((record) => [record.request_id, record.cost_usd]));
      expect(costs.size).toBe(16);
      for (const item of served) expect(costs.get(item.requestId)).toBeCloseTo(item.cost, 10);
    });

    it('20 requests sharing one x-request-id, and a second tenant reusing it, leave 21 records', async () => {
      const shared = `shared-${run}-${database}`;
      const gatewayIds: string[] = [];
      const sendWith = async (key: string): Promise<void> => {
        const { response } = await openaiClient(gateway.url, key)
          .chat.completions.create(
            { model: 'gpt', messages: [{ role: 'user', content: 'same id' }] },
            { headers: { 'x-request-id': shared } },
          )
          .withResponse();
        // The client's id is echoed; the gateway's own id is unique per request.
        expect(response.headers.get('x-request-id')).toBe(shared);
        gatewayIds.push(response.headers.get('x-spillway-request-id') ?? '');
      };
      for (let index = 0; index < 20; index += 1) await sendWith(tenants[0].key);
      await sendWith(tenants[1].key);
      type Row = { id: string; request_id: string; tenant: string };
      let mine: Row[] = [];
      await waitFor(
        async () => {
          const records = (await admin(gateway, '/admin/spend/records?limit=1000')) as { data: Row[] };
          mine = records.data.filter((record) => record.request_id === shared);
          return mine.length >= 21;
        },
        { timeoutMs: 10_000, intervalMs: 100, what: `21 records for x-request-id ${shared}` },
      ).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}: have ${mine.length}`, { cause: error });
      });
      expect(new Set(gatewayIds).size).toBe(21);
      expect(mine.map((record) => record.id).sort()).toEqual([...gatewayIds].sort());
      expect(mine.filter((record) => record.tenant === tenants[1].name)).toHaveLength(1);
    });
  },
);
