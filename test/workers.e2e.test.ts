import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type SpillwayConfig } from '../src/config/schema.ts';
import { startGateway, type RunningGateway } from '../src/main.ts';
import { startSimulator, type RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, simModels, type GatewayConfigInput } from './support/gateway-config.ts';
import { runId } from './support/replicas/scenario-config.ts';
import { metricSum, pinnedConnections, send } from './support/worker-connections.ts';

// `server.workers: 4` in one process: four worker threads on one port (SO_REUSEPORT), limits exact
// across them without Redis (the main thread owns the state) and with Redis (each worker talks to
// it, as replicas do). Requests are sent on kept-alive connections pinned to known workers (each
// answered GET /version with its worker index first), so every worker takes its share.

const workers = 4;
const sharedRedisUrl = process.env.SPILLWAY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const run = runId();
const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'Hello' }] });

let sim: RunningSimulator;
let directory: string;
beforeAll(async () => {
  sim = await startSimulator({ port: 0, latencyScale: 0 });
  directory = await mkdtemp(join(tmpdir(), 'spillway-workers-'));
});
afterAll(async () => {
  await sim.close();
  await rm(directory, { recursive: true, force: true });
});

function configOf(input: GatewayConfigInput, extra: Partial<Record<string, unknown>>): SpillwayConfig {
  return configSchema.parse({ ...input, ...extra });
}

const limitedModels = (id: string) => ({
  limited: { deployments: [{ id, provider: 'a1-us-east-1', model: simModels.novaLite, rpm: 7 }] },
});

/** 20 concurrent requests, 5 on each worker's connections; the statuses by count. */
async function burst(byWorker: Map<number, Agent[]>, url: string): Promise<Record<number, number>> {
  const agents = [...byWorker.values()].flat();
  expect(agents).toHaveLength(20);
  const answers = await Promise.all(
    agents.map((agent) => send(url, '/v1/chat/completions', agent, chat('limited'))),
  );
  const counts: Record<number, number> = {};
  for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
  return counts;
}

describe('4 workers, no Redis', () => {
  let gateway: RunningGateway;
  let database: string;
  let pins: Awaited<ReturnType<typeof pinnedConnections>>;
  let sent = 0;
  const server = { log_level: 'warn', admin_key: 'admin-key-of-the-workers-test' } as const;
  const base = () => simGatewayConfig(sim.url, { models: limitedModels('limited'), server });

  beforeAll(async () => {
    database = join(directory, 'memory.db');
    gateway = await startGateway({
      config: configOf(base(), { database: { path: database } }),
      port: 0,
      workers,
      spoolDirectory: join(directory, 'spool'),
    });
    pins = await pinnedConnections(gateway.url, workers, 5);
  });
  afterAll(async () => {
    pins.close();
    await gateway.close();
  });

  it('rpm 7, 20 concurrent requests spread over the 4 workers → exactly 7 admitted', async () => {
    expect([...pins.byWorker.keys()].sort()).toEqual([0, 1, 2, 3]);
    const counts = await burst(pins.byWorker, gateway.url);
    sent += 20;
    expect(counts).toEqual({ 200: 7, 429: 13 });
  });

  it('/metrics on any worker shows the process total, not its own', async () => {
    for (const [, agents] of pins.byWorker) {
      const answer = await send(gateway.url, '/metrics', agents[0] ?? false);
      expect(answer.status).toBe(200);
      expect(metricSum(answer.body, 'spillway_requests_total')).toBe(sent);
    }
  });

  it('the dashboard on any worker shows the process: summary totals and history summed over the workers', async () => {
    const admin = { authorization: `Bearer ${server.admin_key}` };
    for (const [, agents] of pins.byWorker) {
      // both reads on this worker's pinned connection
      const read = async (path: string): Promise<string> => {
        const answer = await send(gateway.url, path, agents[0] ?? false, undefined, admin);
        expect(answer.status).toBe(200);
        return answer.body;
      };
      const summary = await read('/admin/dashboard/summary');
      const totals = (JSON.parse(summary) as { totals: { requests_total: number } }).totals;
      expect(totals.requests_total).toBe(sent);
      const history = await read('/admin/dashboard/history?range=15m');
      const view = JSON.parse(history) as {
        requests: { total: number[]; by_group: Record<string, number[]> };
        errors: { by_class: Record<string, number[]> };
      };
      const sum = (values: readonly number[] | undefined) => (values ?? []).reduce((a, b) => a + b, 0);
      expect(sum(view.requests.total)).toBe(sent);
      expect(sum(view.requests.by_group.limited)).toBe(sent);
      // 13 of the 20 were refused by the rpm limit, whichever worker refused them.
      expect(sum(Object.values(view.errors.by_class).flat())).toBe(13);
    }
  });

  it('/health/ready on every worker says all 4 worker threads listen (down while any is starting)', async () => {
    for (const [, agents] of pins.byWorker) {
      const answer = await send(gateway.url, '/health/ready', agents[0] ?? false);
      expect(answer.status).toBe(200);
      const body = JSON.parse(answer.body) as { checks: Record<string, unknown> };
      expect(body.checks.workers).toEqual({ status: 'ok', detail: '4 worker threads' });
    }
  });

  it('the process is one replica in /admin/replicas, whichever worker answers', async () => {
    for (const [, agents] of pins.byWorker) {
      const answer = await send(gateway.url, '/admin/replicas', agents[0] ?? false, undefined, {
        authorization: `Bearer ${server.admin_key}`,
      });
      expect((JSON.parse(answer.body) as { replicas: unknown[] }).replicas).toHaveLength(1);
    }
  });

  it('a reload reaches every worker: a group added by it is served by each', async () => {
    const before = await Promise.all(
      [...pins.byWorker.values()].map((agents) =>
        send(gateway.url, '/v1/chat/completions', agents[1] ?? false, chat('added')),
      ),
    );
    sent += before.length;
    expect(before.map((answer) => answer.status)).toEqual([404, 404, 404, 404]);
    const next = simGatewayConfig(sim.url, {
      models: {
        ...limitedModels('limited'),
        added: { deployments: [{ id: 'added', provider: 'a1-us-east-1', model: simModels.novaLite }] },
      },
      server,
    });
    await gateway.reload(configOf(next, { database: { path: database } }), 'test');
    for (const [worker, agents] of pins.byWorker) {
      const answer = await send(gateway.url, '/v1/chat/completions', agents[2] ?? false, chat('added'));
      sent += 1;
      expect({ worker, status: answer.status }).toEqual({ worker, status: 200 });
    }
  });

  it('every request is recorded exactly once in the spend records, whichever worker served it; the reload audited once', async () => {
    pins.close();
    await gateway.close();
    const db = new DatabaseSync(database, { readOnly: true });
    const row = db
      .prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT request_id) AS ids FROM spend_records')
      .get() as {
      n: number;
      ids: number;
    };
    // The reload is audited once for the process, not once per worker.
    const audits = db
      .prepare("SELECT COUNT(*) AS n FROM audit_records WHERE action = 'config.reloaded'")
      .get() as {
      n: number;
    };
    db.close();
    expect(row).toEqual({ n: sent, ids: sent });
    expect(audits.n).toBe(1);
  });
});

describe('4 workers on Redis', () => {
  let gateway: RunningGateway;
  let pins: Awaited<ReturnType<typeof pinnedConnections>>;

  beforeAll(async () => {
    const input = simGatewayConfig(sim.url, {
      models: limitedModels(`limited-${run}`),
      server: { log_level: 'warn' },
    });
    gateway = await startGateway({
      config: configOf(input, {
        database: { path: join(directory, 'redis.db') },
        state: { redis_url: sharedRedisUrl },
      }),
      port: 0,
      workers,
      spoolDirectory: join(directory, 'spool-redis'),
    });
    pins = await pinnedConnections(gateway.url, workers, 5);
  });
  afterAll(async () => {
    pins.close();
    await gateway.close();
  });

  it('rpm 7, 20 concurrent requests spread over the 4 workers → exactly 7 admitted', async () => {
    expect(await burst(pins.byWorker, gateway.url)).toEqual({ 200: 7, 429: 13 });
  });

  it('the process is one replica in the registry, not one per worker', async () => {
    const answer = await send(gateway.url, '/version', false);
    const { replica } = JSON.parse(answer.body) as { replica: string };
    const seen = new Set<string>();
    for (const [, agents] of pins.byWorker) {
      const version = await send(gateway.url, '/version', agents[0] ?? false);
      seen.add((JSON.parse(version.body) as { replica: string }).replica);
    }
    expect([...seen]).toEqual([replica]);
  });
});
