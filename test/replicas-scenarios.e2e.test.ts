import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../src/simulator/start-simulator.ts';
import { getJson, startReplica, type GatewayReplica } from './support/replicas/gateway-replica.ts';
import { runId, scenarioConfig, type TenantSpec } from './support/replicas/scenario-config.ts';
import { burst, clientsFor, countBy, type Outcome } from './support/replicas/traffic.ts';

// Three `spillway serve` processes with one config, sharing the real Redis, in front of the
// simulator. Traffic is spread round-robin over the three; the counts must be exactly those of one
// replica (docs/operations.md: "ten concurrent requests against an rpm of 3 send exactly 3, on one
// replica or on ten"). Names carry a per-run id so that state keys never collide with other runs on this Redis.

const sharedRedisUrl = process.env.SPILLWAY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const run = runId();
const adminKey = `admin-${run}-key`;
const name = (base: string): string => `${base}-${run}`;
const tenant = (base: string, rpm?: number): TenantSpec => ({
  name: name(base),
  key: `sk-${base}-${run}-key`,
  ...(rpm === undefined ? {} : { rpm }),
});
const tenants = {
  client: tenant('client'),
  a: tenant('a', 3),
  b: tenant('b', 10),
  c: tenant('c', 10),
  d: tenant('d', 2),
};

let sim: RunningSimulator;
let directory: string;
const replicas: GatewayReplica[] = [];
const clients = (key: string): OpenAI[] =>
  clientsFor(
    replicas.map((replica) => replica.url),
    key,
  );

beforeAll(async () => {
  sim = await startSimulator({ port: 0, latencyScale: 0 });
  directory = await mkdtemp(join(tmpdir(), 'spillway-replicas-'));
  const config = scenarioConfig({
    simulatorUrl: sim.url,
    redisUrl: sharedRedisUrl,
    redisTimeoutMs: 2000,
    adminKey,
    tenants: Object.values(tenants),
    groups: [
      {
        name: name('fallback-demo'),
        deployments: [{ id: name('primary'), rpm: 3 }],
        fallbacks: [name('fb')],
      },
      { name: name('fb'), model: 'gpt-4o', deployments: [{ id: name('fb'), rpm: 25 }] },
      {
        name: name('lb-demo'),
        deployments: [
          { id: name('lb-1'), rpm: 3 },
          { id: name('lb-2'), rpm: 3 },
        ],
        fallbacks: [name('lb-fb')],
      },
      { name: name('lb-fb'), model: 'gpt-4o', deployments: [{ id: name('lb-fb'), rpm: 25 }] },
      { name: name('five'), deployments: [{ id: name('five'), rpm: 5 }], fallbacks: [name('five-fb')] },
      { name: name('five-fb'), model: 'gpt-4o', deployments: [{ id: name('five-fb'), rpm: 25 }] },
      { name: name('shared'), deployments: [{ id: name('shared') }] },
    ],
  });
  // Each replica in its own working directory (its own SQLite file), all on the same config.
  for (let index = 0; index < 3; index += 1) {
    const cwd = join(directory, `replica-${index}`);
    await mkdir(cwd);
    replicas.push(await startReplica(cwd, config));
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  await sim.close();
  await rm(directory, { recursive: true, force: true });
}, 30_000);

const byDeployment = (outcomes: readonly Outcome[]): Record<string, number> =>
  countBy(outcomes, (outcome) => `${outcome.status} ${outcome.deployment}`);

describe('three replicas on one Redis', () => {
  it('fallback: rpm 3 primary, rpm 25 fallback, 10 concurrent → exactly 3 primary and 7 fallback', async () => {
    const outcomes = await burst(clients(tenants.client.key), name('fallback-demo'), 10);
    expect(byDeployment(outcomes)).toEqual({ [`200 ${name('primary')}`]: 3, [`200 ${name('fb')}`]: 7 });
    expect(countBy(outcomes, (outcome) => outcome.group)).toEqual({
      [name('fallback-demo')]: 3,
      [name('fb')]: 7,
    });
    // Every replica took its share of the round-robin traffic.
    expect(countBy(outcomes, (outcome) => String(outcome.gateway))).toEqual({ 0: 4, 1: 3, 2: 3 });
  });

  it('fallback: rpm 5 with 12 requests → exactly 5 primary and 7 fallback', async () => {
    const outcomes = await burst(clients(tenants.client.key), name('five'), 12);
    expect(byDeployment(outcomes)).toEqual({ [`200 ${name('five')}`]: 5, [`200 ${name('five-fb')}`]: 7 });
  });

  it('load balancing with overflow: two rpm 3 primaries and an rpm 25 fallback, 10 concurrent → 3 + 3 + 4', async () => {
    const outcomes = await burst(clients(tenants.client.key), name('lb-demo'), 10);
    expect(byDeployment(outcomes)).toEqual({
      [`200 ${name('lb-1')}`]: 3,
      [`200 ${name('lb-2')}`]: 3,
      [`200 ${name('lb-fb')}`]: 4,
    });
  });

  it('quota: A rpm 3, B and C rpm 10, 5 concurrent each → A 3 + 2×429, B 5/5, C 5/5', async () => {
    const group = name('shared');
    const [a, b, c] = await Promise.all([
      burst(clients(tenants.a.key), group, 5),
      burst(clients(tenants.b.key), group, 5),
      burst(clients(tenants.c.key), group, 5),
    ]);
    const statuses = (outcomes: readonly Outcome[]) => countBy(outcomes, (outcome) => String(outcome.status));
    expect(statuses(a)).toEqual({ 200: 3, 429: 2 });
    expect(statuses(b)).toEqual({ 200: 5 });
    expect(statuses(c)).toEqual({ 200: 5 });
    for (const rejected of a.filter((outcome) => outcome.status === 429)) {
      expect(Number(rejected.retryAfter)).toBeGreaterThanOrEqual(1);
    }
  });

  it('quota: a tenant with rpm 2 sending 5 concurrent → exactly 2 + 3×429', async () => {
    const outcomes = await burst(clients(tenants.d.key), name('shared'), 5);
    expect(countBy(outcomes, (outcome) => String(outcome.status))).toEqual({ 200: 2, 429: 3 });
  });

  it('/admin/replicas on each replica lists the three, with the same config hash', async () => {
    const versions = (await Promise.all(replicas.map((replica) => getJson(`${replica.url}/version`)))) as {
      replica: string;
      config_hash: string;
    }[];
    const hash = versions[0]?.config_hash;
    expect(hash).toMatch(/\w{8,}/);
    expect(new Set(versions.map((version) => version.config_hash))).toEqual(new Set([hash]));
    for (const replica of replicas) {
      const body = (await getJson(`${replica.url}/admin/replicas`, adminKey)) as {
        replicas: { id: string; configHash: string; host: string; port: number }[];
      };
      // Other test runs may have gateways on this shared Redis too: look at ours.
      const ours = body.replicas.filter((entry) => replicas.some((r) => r.replicaId === entry.id));
      expect(ours.map((entry) => `${entry.host}:${entry.port}=${entry.configHash}`).sort()).toEqual(
        replicas.map((r) => `127.0.0.1:${r.port}=${hash ?? ''}`).sort(),
      );
    }
    const unauthorized = await fetch(`${replicas[0]?.url ?? ''}/admin/replicas`);
    expect(unauthorized.status).toBe(401);
  });
});
