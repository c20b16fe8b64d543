import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, simModels } from './support/gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { runId } from './support/replicas/scenario-config.ts';
import { openaiClient } from './support/sdk-clients.ts';
import { startTestSimulator } from './support/simulator.ts';
import { waitFor } from './support/wait-for.ts';

// Issue 12 items 7 and 11: a gateway killed with SIGKILL loses no finished request's spend record.
// Records are flushed to the database every 250 ms; the journal (docs/decisions/0008-spend-journal.md)
// holds each one from before its response ends until the database has it. The test kills the
// process right after the answers arrived (well inside one flush interval), restarts a second
// process on the same directory (SQLite file and spool), and expects every record exactly once.

const run = runId();
const adminKey = `admin-${run}-crash-key`;
const tenant = { name: `crash-${run}`, key: `sk-crash-${run}-key` };

let sim: RunningSimulator;
let directory: string;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  sim = await startTestSimulator();
  directory = await mkdtemp(join(tmpdir(), 'spillway-crash-'));
});

afterAll(async () => {
  for (const gateway of gateways) await gateway.stop();
  await sim.close();
  await rm(directory, { recursive: true, force: true });
});

const config = () => ({
  ...simGatewayConfig(sim.url, {
    server: { admin_key: adminKey },
    models: {
      gpt: {
        deployments: [
          { id: 'gpt', provider: 'openai', model: simModels.gpt, price: { input: 1, output: 2 } },
        ],
      },
    },
    tenants: { [tenant.name]: { keys: [tenant.key] } },
  }),
  database: { path: join(directory, 'spillway.db') },
});

async function started(): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess({ config: config(), directory });
  gateways.push(gateway);
  return gateway;
}

/** `count` chat requests at once, streamed and not; the gateway ids they were answered with. */
async function finishRequests(gateway: GatewayProcess, count: number): Promise<string[]> {
  const client = openaiClient(gateway.url, tenant.key);
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const messages = [{ role: 'user' as const, content: `crash ${index}` }];
      if (index % 2 === 0) {
        const { response } = await client.chat.completions.create({ model: 'gpt', messages }).withResponse();
        return response.headers.get('x-spillway-request-id') ?? '';
      }
      const { data, response } = await client.chat.completions
        .create({ model: 'gpt', messages, stream: true, stream_options: { include_usage: true } })
        .withResponse();
      let chunks = 0;
      for await (const _chunk of data) chunks += 1;
      expect(chunks).toBeGreaterThan(1);
      return response.headers.get('x-spillway-request-id') ?? '';
    }),
  );
}

async function recordIds(gateway: GatewayProcess): Promise<string[]> {
  const response = await request(`${gateway.url}/admin/spend/records?limit=1000`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  const body = (await response.body.json()) as { data: { id: string }[] };
  expect(response.statusCode).toBe(200);
  return body.data.map((record) => record.id);
}

it('SIGKILL right after 20 requests finished: after a restart on the same database, all 30 records are there once', async () => {
  const first = await started();
  const stored = await finishRequests(first, 10);
  await waitFor(async () => (await recordIds(first)).length === 10, {
    timeoutMs: 10_000,
    intervalMs: 50,
    what: 'the first 10 records stored',
  });
  const unflushed = await finishRequests(first, 20);
  first.signal('SIGKILL');
  expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
  expect(new Set([...stored, ...unflushed]).size).toBe(30);
  const second = await started();
  let ids: string[] = [];
  await waitFor(
    async () => {
      ids = await recordIds(second);
      return ids.length >= 30;
    },
    { timeoutMs: 10_000, intervalMs: 50, what: '30 spend records after the restart' },
  ).catch((error: unknown) => {
    const missing = unflushed.filter((id) => !ids.includes(id)).length;
    throw new Error(`${(error as Error).message}: have ${ids.length}, ${missing} of the last 20 missing`, {
      cause: error,
    });
  });
  expect(ids.sort()).toEqual([...stored, ...unflushed].sort());
  // The replayed journal is gone once stored: a third start would add nothing.
  await waitFor(
    async () =>
      !(await readdir(join(directory, '.spillway', 'spool'))).some(
        (name) => name.endsWith('.replaying') || name === 'spend.jsonl',
      ),
    { timeoutMs: 10_000, what: 'the replayed journal removed' },
  );
  expect(await second.stop()).toEqual({ code: 0, signal: null });
}, 60_000);
