import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultSimWorld } from '../src/simulator/default-sim-world.ts';
import { parseSimWorld } from '../src/simulator/sim-world.ts';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, simModels } from './support/gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { runId } from './support/replicas/scenario-config.ts';
import { openaiClient } from './support/sdk-clients.ts';
import { startTestSimulator } from './support/simulator.ts';
import { waitFor } from './support/wait-for.ts';

// Issue 12 item 6: a stream the client aborts, or that shutdown cuts, was recorded with 0 tokens
// and $0 although the upstream processed the prompt and produced (and billed) the output. Now its
// record has the prompt and the output delivered (estimated, marked usage_estimated) and a cost.

const run = runId();
const adminKey = `admin-${run}-cut-key`;
const tenant = { name: `cut-${run}`, key: `sk-cut-${run}-key` };
const streams = 30;
const price = { input: 1, output: 2 };

// Nova Lite streams slowly (4 tokens a second: its shortest answer takes 3 s) so that every stream is still going when it is cut.
const slowWorld = parseSimWorld(
  {
    ...defaultSimWorld,
    latency: {
      default: { ttft_ms: 0, tokens_per_second: 1000, jitter: 0 },
      overrides: [{ model: simModels.novaLite, ttft_ms: 0, tokens_per_second: 4, jitter: 0 }],
    },
  },
  'slow world',
);

let sim: RunningSimulator;
let directory: string;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 11, world: slowWorld, latencyScale: 1 });
  directory = await mkdtemp(join(tmpdir(), 'spillway-cut-'));
});

afterAll(async () => {
  for (const gateway of gateways) await gateway.stop();
  await sim.close();
  await rm(directory, { recursive: true, force: true });
});

async function started(graceMs: number): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess({
    config: {
      ...simGatewayConfig(sim.url, {
        server: { admin_key: adminKey, shutdown_grace_ms: graceMs },
        models: {
          slow: { deployments: [{ id: 'slow', provider: 'a1-us-east-1', model: simModels.novaLite, price }] },
        },
        tenants: { [tenant.name]: { keys: [tenant.key] } },
      }),
      database: { path: join(directory, 'spillway.db') },
    },
    directory,
  });
  gateways.push(gateway);
  return gateway;
}

interface Row {
  readonly id: string;
  readonly error_code: string | null;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cost_usd: number | null;
  readonly usage_estimated: boolean;
}

async function records(gateway: GatewayProcess): Promise<Row[]> {
  const response = await request(`${gateway.url}/admin/spend/records?limit=1000`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  expect(response.statusCode).toBe(200);
  return ((await response.body.json()) as { data: Row[] }).data;
}

/**
 * Opens `streams` streams; each resolves once `chunks` content chunks arrived (and is then closed
 * when `abort`), with the stream's parts.
 */
async function openStreams(gateway: GatewayProcess, chunks: number, abort: boolean) {
  const client = openaiClient(gateway.url, tenant.key);
  return Promise.all(
    Array.from({ length: streams }, async (_, index) => {
      const { data, response } = await client.chat.completions
        .create({
          model: 'slow',
          messages: [{ role: 'user', content: `Tell me a long story, number ${index}` }],
          max_completion_tokens: 200,
          stream: true,
          stream_options: { include_usage: true },
        })
        .withResponse();
      const iterator = data[Symbol.asyncIterator]();
      let text = '';
      for (let received = 0; received < chunks;) {
        const step = await iterator.next();
        if (step.done === true) throw new Error('the stream ended before it was cut');
        const content = step.value.choices[0]?.delta.content ?? '';
        text += content;
        if (content !== '') received += 1;
      }
      if (abort) await iterator.return?.();
      return { id: response.headers.get('x-spillway-request-id') ?? '', iterator, text: () => text };
    }),
  );
}

function expectCharged(rows: readonly Row[], ids: readonly string[], errorCode: string): void {
  const mine = rows.filter((row) => ids.includes(row.id));
  expect(mine).toHaveLength(ids.length);
  for (const row of mine) {
    expect(row.error_code).toBe(errorCode);
    expect(row.usage_estimated).toBe(true);
    expect(row.input_tokens).toBeGreaterThan(0);
    expect(row.output_tokens).toBeGreaterThan(0);
    expect(row.cost_usd).toBeCloseTo(
      (row.input_tokens * price.input + row.output_tokens * price.output) / 1e6,
      12,
    );
  }
}

it(`${streams} streams the client aborts are recorded with their prompt, the output delivered and a cost`, async () => {
  const gateway = await started(10_000);
  const opened = await openStreams(gateway, 3, true);
  const ids = opened.map((stream) => stream.id);
  let rows: Row[] = [];
  await waitFor(
    async () => {
      rows = await records(gateway);
      return ids.every((id) => rows.some((row) => row.id === id));
    },
    { timeoutMs: 10_000, intervalMs: 100, what: `${streams} records of aborted streams` },
  );
  expectCharged(rows, ids, 'client_closed');
  // At least what the client itself received (about 4 characters a token).
  for (const stream of opened) {
    const row = rows.find((candidate) => candidate.id === stream.id);
    expect(row?.output_tokens).toBeGreaterThanOrEqual(Math.ceil(stream.text().length / 4));
  }
  expect(await gateway.stop()).toEqual({ code: 0, signal: null });
}, 60_000);

it(`${streams} streams cut by shutdown are recorded with their prompt, the output delivered and a cost`, async () => {
  const gateway = await started(300);
  const opened = await openStreams(gateway, 2, false);
  // Reading on: the streams are cut when the shutdown grace ends.
  const reading = opened.map(async (stream) => {
    try {
      for (;;) if ((await stream.iterator.next()).done === true) return;
    } catch {
      // The connection was closed under the stream.
    }
  });
  gateway.signal('SIGTERM');
  expect(await gateway.exited).toEqual({ code: 0, signal: null });
  await Promise.all(reading);
  // The records were stored (or spooled) by the shutdown; the next start on the same directory shows them.
  const next = await started(10_000);
  const ids = opened.map((stream) => stream.id);
  let rows: Row[] = [];
  await waitFor(
    async () => {
      rows = await records(next);
      return ids.every((id) => rows.some((row) => row.id === id));
    },
    { timeoutMs: 10_000, intervalMs: 100, what: `${streams} records of streams cut by shutdown` },
  );
  expectCharged(rows, ids, 'client_closed');
}, 60_000);
