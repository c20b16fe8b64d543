import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../src/simulator/start-simulator.ts';
import { ThrowawayRedis } from './support/state/redis-test-support.ts';
import { SlowTcpProxy } from './support/state/slow-tcp-proxy.ts';
import { startReplica, type GatewayReplica } from './support/replicas/gateway-replica.ts';
import { runId, scenarioConfig, type TenantSpec } from './support/replicas/scenario-config.ts';
import { burst, clientsFor, countBy } from './support/replicas/traffic.ts';

// Issue 12 items 8 and 11: limits stay exact across replicas on a healthy but slow Redis. Two
// `spillway serve` processes share a private redis-server through a loopback proxy that delays every
// command; the state settings are the defaults. A tenant with rpm 20 sends 10 requests while Redis is
// fast, then a burst of 30 while every Redis command takes 150 ms: exactly 10 more are admitted, 20
// in all. (The old 50 ms "away" timeout switched both replicas to fresh local shares of 10 each.)

const run = runId();
const tenant: TenantSpec = { name: `slow-${run}`, key: `sk-slow-${run}-key`, rpm: 20 };
const group = 'slow-redis-group';

let sim: RunningSimulator;
let redis: ThrowawayRedis;
let proxy: SlowTcpProxy;
let directory: string;
const replicas: GatewayReplica[] = [];

beforeAll(async () => {
  sim = await startSimulator({ port: 0, latencyScale: 0 });
  redis = await ThrowawayRedis.start();
  proxy = await SlowTcpProxy.start({ host: '127.0.0.1', port: redis.port });
  directory = await mkdtemp(join(tmpdir(), 'spillway-slow-redis-'));
  const config = scenarioConfig({
    simulatorUrl: sim.url,
    redisUrl: `redis://127.0.0.1:${proxy.port}`,
    adminKey: `admin-${run}-key`,
    tenants: [tenant],
    groups: [{ name: group, deployments: [{ id: `slow-deployment-${run}` }] }],
  });
  // the defaults of state.redis_timeout_ms and state.redis_breaker_timeouts are under test
  config.state = { redis_url: `redis://127.0.0.1:${proxy.port}` };
  for (let index = 0; index < 2; index += 1) {
    const cwd = join(directory, `replica-${index}`);
    await mkdir(cwd);
    replicas.push(await startReplica(cwd, config));
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  await proxy.close();
  await sim.close();
  await redis.stopProcess();
  await rm(directory, { recursive: true, force: true });
}, 30_000);

describe('two replicas on a slow Redis', () => {
  it('rpm 20: 10 while Redis is fast, then a burst of 30 at 150 ms a command admits exactly 10 more', async () => {
    const clients = clientsFor(
      replicas.map((replica) => replica.url),
      tenant.key,
    );
    const before = await burst(clients, group, 10);
    expect(countBy(before, (outcome) => String(outcome.status))).toEqual({ 200: 10 });

    proxy.delayMs = 150;
    const during = await burst(clients, group, 30);
    expect(countBy(during, (outcome) => String(outcome.status))).toEqual({ 200: 10, 429: 20 });
  });
});
