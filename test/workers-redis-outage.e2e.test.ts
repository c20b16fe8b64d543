import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../src/simulator/start-simulator.ts';
import { readinessOf } from './support/gateway-process.ts';
import { startReplica, waitUntil, type GatewayReplica } from './support/replicas/gateway-replica.ts';
import { runId, scenarioConfig, type TenantSpec } from './support/replicas/scenario-config.ts';
import { ThrowawayRedis } from './support/state/redis-test-support.ts';
import { pinnedConnections, send } from './support/worker-connections.ts';

// One `spillway serve --workers 2` process on a throwaway redis-server that the test kills: while
// Redis is away each worker enforces limits locally, at its share of the replica's share (the
// process is one replica of two workers), so the process as a whole admits no more than one
// process without workers would. rpm 6, one live replica, two workers: exactly 3 per worker, 6 in
// all, of 10 requests (5 on each worker's pinned connections). Without the worker count in the
// share, each worker would admit 6 (10 of 10 in all).

const run = runId();
const adminKey = `admin-${run}-key`;
const group = 'workers-outage-group';
const six: TenantSpec = { name: `six-${run}`, key: `sk-six-${run}-key`, rpm: 6 };
const chat = { model: group, messages: [{ role: 'user', content: 'Hello' }], max_completion_tokens: 8 };

let sim: RunningSimulator;
let redis: ThrowawayRedis;
let directory: string;
let gateway: GatewayReplica;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, latencyScale: 0 });
  redis = await ThrowawayRedis.start();
  directory = await mkdtemp(join(tmpdir(), 'spillway-workers-redis-outage-'));
  const config = scenarioConfig({
    simulatorUrl: sim.url,
    redisUrl: redis.url,
    adminKey,
    tenants: [six],
    groups: [{ name: group, deployments: [{ id: `workers-outage-deployment-${run}`, rpm: 100_000 }] }],
  });
  gateway = await startReplica(directory, config, { workers: 2 });
}, 60_000);

afterAll(async () => {
  await gateway.stop();
  await sim.close();
  await redis.stopProcess();
  await rm(directory, { recursive: true, force: true });
}, 30_000);

describe('Redis outage, one process of two workers', () => {
  it('each worker enforces half the replica share: rpm 6 → exactly 3 + 3 of 10', async () => {
    const pins = await pinnedConnections(gateway.url, 2, 5);
    try {
      expect([...pins.byWorker.keys()].sort()).toEqual([0, 1]);
      await redis.stopProcess();
      const answers = await Promise.all(
        [...pins.byWorker.entries()].flatMap(([worker, agents]) =>
          agents.map(async (agent) => ({
            worker,
            status: (
              await send(gateway.url, '/v1/chat/completions', agent, chat, {
                authorization: `Bearer ${six.key}`,
              })
            ).status,
          })),
        ),
      );
      const admitted = (worker: number) =>
        answers.filter((answer) => answer.worker === worker && answer.status === 200).length;
      expect(answers.filter((answer) => answer.status !== 200 && answer.status !== 429)).toEqual([]);
      expect([admitted(0), admitted(1)]).toEqual([3, 3]);
      // Still ready, and /health/ready says the state store is away.
      await waitUntil(
        async () => (await readinessOf(gateway.url)).checks.state?.status === 'degraded',
        10_000,
        'readiness to report Redis degraded',
      );
    } finally {
      pins.close();
    }
  }, 60_000);
});
