import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../src/simulator/start-simulator.ts';
import { readinessOf } from './support/gateway-process.ts';
import { ThrowawayRedis } from './support/state/redis-test-support.ts';
import { getJson, startReplica, waitUntil, type GatewayReplica } from './support/replicas/gateway-replica.ts';
import { runId, scenarioConfig, type TenantSpec } from './support/replicas/scenario-config.ts';
import { burst, clientsFor, countBy, load, sendChat, type Outcome } from './support/replicas/traffic.ts';

// Static stability (decision 0004) with real processes: three `spillway serve` replicas on a
// throwaway redis-server (never the shared one) that the test kills in the middle of a load and
// starts again on the same port.
//
// Asserted exactly:
//  - every one of the 300 load requests (capacity serves them all) is a 200, before, during and after
//    the kill;
//  - during the outage, with N = 3 live replicas, a fresh tenant with rpm R gets exactly
//    s = max(1, floor(R / N)) admissions on EACH replica (R = 6 → 2 per replica, 6 in the fleet;
//    R = 2 → 1 per replica, 3 in the fleet: the documented "N when L < N");
//  - after redis-server is back and every replica reports `spillway_state_store_degraded 0`, a fresh
//    tenant with rpm 3 gets exactly 3 of 10 concurrent requests across the three replicas.

const run = runId();
const adminKey = `admin-${run}-key`;
const replicaCount = 3;
const tenant = (base: string, rpm: number): TenantSpec => ({
  name: `${base}-${run}`,
  key: `sk-${base}-${run}-key`,
  rpm,
});
const tenants = {
  bulk: tenant('bulk', 100_000),
  six: tenant('six', 6),
  two: tenant('two', 2),
  fresh: tenant('fresh', 3),
};
const group = 'outage-group';

let sim: RunningSimulator;
let redis: ThrowawayRedis;
let directory: string;
const replicas: GatewayReplica[] = [];
const clients = (key: string): OpenAI[] =>
  clientsFor(
    replicas.map((replica) => replica.url),
    key,
  );

async function degradedGauge(replica: GatewayReplica): Promise<number> {
  const response = await request(`${replica.url}/metrics`);
  const text = await response.body.text();
  const line = text.split('\n').find((entry) => entry.startsWith('spillway_state_store_degraded'));
  return Number(line?.split(' ').at(-1));
}

async function allDegraded(value: number): Promise<boolean> {
  const gauges = await Promise.all(replicas.map(degradedGauge));
  return gauges.every((gauge) => gauge === value);
}

/** `perReplica` concurrent requests to each replica at once; outcomes grouped by replica. */
async function perReplicaBurst(key: string, perReplica: number): Promise<Record<string, number>[]> {
  const all = clients(key);
  const outcomes = await Promise.all(
    all.flatMap((client, gateway) =>
      Array.from({ length: perReplica }, () => sendChat(client, group, gateway)),
    ),
  );
  return all.map((_, gateway) =>
    countBy(
      outcomes.filter((outcome) => outcome.gateway === gateway),
      (outcome) => String(outcome.status),
    ),
  );
}

beforeAll(async () => {
  sim = await startSimulator({ port: 0, latencyScale: 0 });
  redis = await ThrowawayRedis.start();
  directory = await mkdtemp(join(tmpdir(), 'spillway-redis-outage-'));
  const config = scenarioConfig({
    simulatorUrl: sim.url,
    redisUrl: redis.url,
    adminKey,
    tenants: Object.values(tenants),
    groups: [{ name: group, deployments: [{ id: `outage-deployment-${run}`, rpm: 100_000 }] }],
  });
  for (let index = 0; index < replicaCount; index += 1) {
    const cwd = join(directory, `replica-${index}`);
    await mkdir(cwd);
    replicas.push(await startReplica(cwd, config));
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  await sim.close();
  await redis.stopProcess();
  await rm(directory, { recursive: true, force: true });
}, 30_000);

describe('Redis outage under load, three replicas', () => {
  it('serves every request through the outage, enforces per-replica shares, and is exact again after', async () => {
    // Every replica reads the registry now (GET /admin/replicas refreshes its view): N = 3 everywhere.
    for (const replica of replicas) {
      const body = (await getJson(`${replica.url}/admin/replicas`, adminKey)) as { replicas: unknown[] };
      expect(body.replicas).toHaveLength(replicaCount);
    }
    expect(await allDegraded(0)).toBe(true);

    // 300 requests, 12 in flight, round-robin; redis-server is SIGKILLed when request 100 is sent.
    let killed = false;
    const outcomes: Outcome[] = await load(clients(tenants.bulk.key), group, 300, 12, async (index) => {
      if (index === 100) {
        await redis.stopProcess();
        killed = true;
      }
    });
    expect(killed).toBe(true);
    expect(countBy(outcomes, (outcome) => String(outcome.status))).toEqual({ 200: 300 });
    expect(countBy(outcomes, (outcome) => String(outcome.gateway))).toEqual({ 0: 100, 1: 100, 2: 100 });

    // Every replica noticed (the load after the kill reached all three) and answers limits locally.
    await waitUntil(() => allDegraded(1), 10_000, 'every replica degraded');
    // Still ready (it serves), and /health/ready says which store is away.
    for (const replica of replicas) {
      expect(await readinessOf(replica.url)).toMatchObject({
        httpStatus: 200,
        status: 'degraded',
        checks: {
          config: { status: 'ok' },
          state: { status: 'degraded', detail: expect.stringContaining('Redis unreachable') as unknown },
          database: { status: 'ok' },
        },
      });
    }

    // Steady outage: rpm 6 over 3 replicas → exactly 2 per replica (5 sent to each).
    expect(await perReplicaBurst(tenants.six.key, 5)).toEqual([
      { 200: 2, 429: 3 },
      { 200: 2, 429: 3 },
      { 200: 2, 429: 3 },
    ]);
    // rpm 2 < 3 replicas → each replica keeps one unit: exactly 1 per replica, 3 in the fleet.
    expect(await perReplicaBurst(tenants.two.key, 3)).toEqual([
      { 200: 1, 429: 2 },
      { 200: 1, 429: 2 },
      { 200: 1, 429: 2 },
    ]);

    // Redis comes back on the same port; each replica's PING (every second) finds it.
    await redis.startProcess();
    await waitUntil(() => allDegraded(0), 15_000, 'every replica back on Redis');
    for (const replica of replicas) {
      expect(await readinessOf(replica.url)).toMatchObject({
        httpStatus: 200,
        status: 'ok',
        checks: { state: { status: 'ok', detail: 'Redis' } },
      });
    }

    // Shared and exact again: rpm 3, 10 concurrent over the three replicas → exactly 3.
    const fresh = await burst(clients(tenants.fresh.key), group, 10);
    expect(countBy(fresh, (outcome) => String(outcome.status))).toEqual({ 200: 3, 429: 7 });

    // And the unlimited traffic still all succeeds.
    const after = await load(clients(tenants.bulk.key), group, 60, 12);
    expect(countBy(after, (outcome) => String(outcome.status))).toEqual({ 200: 60 });
  }, 90_000);
});
