import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, simModels } from './support/gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { anthropicClient, openaiClient } from './support/sdk-clients.ts';
import { startTestSimulator } from './support/simulator.ts';
import { waitFor } from './support/wait-for.ts';

// Issue 17, router groups: a request to `auto` lands on the group its first matching rule names
// (the simulator's invocation log says which model was called), with the rule in x-spillway-route,
// the spend record and the metrics; the target's own stages (its cache) run after the router.

const run = randomBytes(4).toString('hex');
const adminKey = `admin-${run}-route-key`;
const legalTenant = { name: `legal-${run}`, key: `sk-legal-${run}-key` };
const plainTenant = { name: `plain-${run}`, key: `sk-plain-${run}-key` };

const simple = 'What is the capital of France?';
const complex = `Design a rate limiter for a multi-tenant API gateway. First, explain why a token bucket
and a sliding window differ, and compare their trade-offs under bursty traffic. Then implement it in
TypeScript:

\`\`\`ts
export function allow(key: string, now: number): boolean {
  const bucket = buckets.get(key);
  if (bucket === undefined) return true;
}
\`\`\`

Requirements:
1. It must be exact across replicas that share Redis.
2. It should never allow more than the configured rate, at most 1% error.
3. Do not use a global lock; ensure each step is O(1).
4. Finally, prove the bound and analyze the complexity of each operation.`;

let sim: RunningSimulator;
let gateway: GatewayProcess;

beforeAll(async () => {
  sim = await startTestSimulator();
  gateway = await startGatewayProcess({
    config: simGatewayConfig(sim.url, {
      server: { admin_key: adminKey },
      models: {
        'nova-lite': {
          cache: { mode: 'exact', ttl_s: 60 },
          deployments: [{ id: 'nova-lite-east', provider: 'a1-us-east-1', model: simModels.novaLite }],
        },
        'claude-sonnet': {
          deployments: [{ id: 'sonnet-direct', provider: 'anthropic', model: simModels.claudeDirect }],
        },
        auto: {
          description: 'routes by tags, prompt size and complexity',
          route: [
            { name: 'legal', when: { tags: ['legal'] }, to: 'claude-sonnet' },
            { when: { prompt_tokens_over: 6000 }, to: 'claude-sonnet' },
            { when: { complexity_at_least: 0.6 }, to: 'claude-sonnet' },
            { default: 'nova-lite' },
          ],
        },
      },
      tenants: {
        [legalTenant.name]: { keys: [legalTenant.key], tags: ['legal'] },
        [plainTenant.name]: { keys: [plainTenant.key] },
      },
    }),
  });
});

afterAll(async () => {
  await gateway.stop();
  await sim.close();
});

interface Routed {
  readonly route: string | null;
  readonly group: string | null;
  readonly requestId: string;
  readonly modelCalled: string | undefined;
  readonly cache: string | null;
}

async function ask(content: string, options: { key?: string; tags?: string } = {}): Promise<Routed> {
  const before = sim.invocations().length;
  const client = openaiClient(gateway.url, options.key ?? plainTenant.key);
  const { data, response } = await client.chat.completions
    .create(
      { model: 'auto', messages: [{ role: 'user', content }] },
      options.tags === undefined ? {} : { headers: { 'x-spillway-tags': options.tags } },
    )
    .withResponse();
  expect(data.choices[0]?.message.content).toBeTruthy();
  const calls = sim.invocations().slice(before);
  return {
    route: response.headers.get('x-spillway-route'),
    group: response.headers.get('x-spillway-model-group'),
    requestId: response.headers.get('x-spillway-request-id') ?? '',
    modelCalled: calls.at(-1)?.modelId,
    cache: response.headers.get('x-spillway-cache'),
  };
}

describe('a router group', () => {
  it('sends a short simple prompt to the default and a long multi-step one to the strong group', async () => {
    const cheap = await ask(simple);
    expect(cheap).toMatchObject({ route: 'auto:default -> nova-lite', modelCalled: simModels.novaLite });
    const strong = await ask(complex);
    expect(strong).toMatchObject({
      route: 'auto:rule-3 -> claude-sonnet',
      modelCalled: simModels.claudeDirect,
    });
    expect(strong.group).toBe('claude-sonnet');
  });

  it('routes by tags from the request header and from the tenant, and by prompt size', async () => {
    expect((await ask(simple, { tags: 'billing, legal' })).route).toBe('auto:legal -> claude-sonnet');
    expect((await ask(simple, { key: legalTenant.key })).route).toBe('auto:legal -> claude-sonnet');
    const long = 'Summarise the attached note. '.repeat(1000);
    expect((await ask(long)).route).toBe('auto:rule-2 -> claude-sonnet');
  });

  it('runs the target group stages after it: the target cache answers a repeat', async () => {
    const question = `Spell ${run} backwards.`;
    const first = await ask(question);
    const second = await ask(question);
    expect([first.cache, second.cache]).toEqual(['miss', 'hit']);
    expect(second.route).toBe('auto:default -> nova-lite');
    expect(second.modelCalled).toBeUndefined();
  });

  it('serves the Anthropic API too, and records the rule on the spend record and in the metrics', async () => {
    const before = sim.invocations().length;
    const { data, response } = await anthropicClient(gateway.url, plainTenant.key)
      .messages.create({ model: 'auto', max_tokens: 200, messages: [{ role: 'user', content: complex }] })
      .withResponse();
    expect(data.content[0]?.type).toBe('text');
    expect(response.headers.get('x-spillway-route')).toBe('auto:rule-3 -> claude-sonnet');
    expect(sim.invocations().slice(before).at(-1)?.modelId).toBe(simModels.claudeDirect);
    const requestId = response.headers.get('x-spillway-request-id');

    let record: Record<string, unknown> | undefined;
    await waitFor(
      async () => {
        const listed = await request(`${gateway.url}/admin/spend/records?limit=200`, {
          headers: { authorization: `Bearer ${adminKey}` },
        });
        const body = (await listed.body.json()) as { data: Record<string, unknown>[] };
        record = body.data.find((row) => row['id'] === requestId);
        return record !== undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'the spend record' },
    );
    expect(record).toMatchObject({
      requested_group: 'auto',
      served_group: 'claude-sonnet',
      route: 'auto:rule-3',
    });

    const metrics = await (await request(`${gateway.url}/metrics`)).body.text();
    expect(metrics).toMatch(
      /spillway_route_decisions_total\{router="auto",rule="rule-3",target="claude-sonnet"\} [2-9]/,
    );
    expect(metrics).toMatch(
      /spillway_route_decisions_total\{router="auto",rule="default",target="nova-lite"\} \d/,
    );
  });

  it("routes by a virtual key's tags (admin API)", async () => {
    const created = await request(`${gateway.url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: plainTenant.name, name: 'legal-team', tags: ['legal'] }),
    });
    expect(created.statusCode).toBe(201);
    const body = (await created.body.json()) as { key: string; tags: string[] };
    expect(body.tags).toEqual(['legal']);
    expect((await ask(simple, { key: body.key })).route).toBe('auto:legal -> claude-sonnet');
    expect((await ask(simple)).route).toBe('auto:default -> nova-lite');
  });

  it('lists the router group in /v1/models', async () => {
    const models = await openaiClient(gateway.url, plainTenant.key).models.list();
    expect(models.data.map((model) => model.id)).toContain('auto');
  });
});
