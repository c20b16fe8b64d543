import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readinessOf } from './support/gateway-process.ts';
import { createTestDatabase, type TestDatabase } from './support/persistence/postgres-test-database.ts';
import { startSimulator, type RunningSimulator } from '../src/simulator/start-simulator.ts';
import { startReplica, waitUntil, type GatewayReplica } from './support/replicas/gateway-replica.ts';
import { runId, scenarioConfig } from './support/replicas/scenario-config.ts';
import { spendRequestIds, spooledRequestIds, waitForSpendRows } from './support/replicas/spend-rows.ts';
import { ThrowawayPostgres, throwawayPostgresAvailable } from './support/replicas/throwaway-postgres.ts';
import { clientsFor, countBy, load, type Outcome } from './support/replicas/traffic.ts';

// Issue 5: "Killing the database under load loses no spend record: after restart, every request's
// record is there exactly once." One `spillway serve` process (two worker threads, each with its own
// spend recorder and spool) on PostgreSQL (a fresh database on the
// shared server). The outage: ALTER DATABASE … ALLOW_CONNECTIONS false plus pg_terminate_backend of
// its sessions (every connection dropped, new ones refused); the restore: ALLOW_CONNECTIONS true.
// The shared server itself is never stopped. A third case SIGKILLs a private cluster's postmaster
// (a crash: inserts cut mid-transaction, the acknowledgement of a commit possibly lost).

const run = runId();
const adminKey = `admin-${run}-key`;
const payer = { name: `payer-${run}`, key: `sk-payer-${run}-key` };
const group = 'spend-group';

let sim: RunningSimulator;
const cleanups: (() => Promise<unknown>)[] = [];

async function cut(database: TestDatabase): Promise<void> {
  await database.admin(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS false`);
  await database.admin(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${database.name}' AND pid <> pg_backend_pid()`,
  );
}

async function restore(database: TestDatabase): Promise<void> {
  await database.admin(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS true`);
}

/** A fresh database and working directory, and a gateway on them; all removed after the test. */
async function setUp(): Promise<{ database: TestDatabase; directory: string; config: unknown }> {
  const database = await createTestDatabase();
  const directory = await mkdtemp(join(tmpdir(), 'spillway-db-outage-'));
  cleanups.push(
    () => restore(database).then(() => database.drop()),
    () => rm(directory, { recursive: true, force: true }),
  );
  const config = scenarioConfig({
    simulatorUrl: sim.url,
    databaseUrl: database.url,
    adminKey,
    tenants: [payer],
    groups: [{ name: group, deployments: [{ id: `spend-deployment-${run}` }] }],
  });
  return { database, directory, config };
}

/** Two worker threads: each has its own spend recorder and spool, and none may lose or double a record. */
async function started(directory: string, config: unknown): Promise<GatewayReplica> {
  const replica = await startReplica(directory, config, { workers: 2 });
  cleanups.push(() => replica.stop());
  return replica;
}

const ids = (outcomes: readonly Outcome[]): string[] => outcomes.map((outcome) => outcome.requestId);

beforeAll(async () => {
  sim = await startSimulator({ port: 0, latencyScale: 0 });
});

afterEach(async () => {
  // Gateways first (they were pushed last), then the database and the directories.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}, 30_000);

afterAll(async () => {
  await sim.close();
});

describe('database outage: no spend record lost, none doubled', () => {
  it('cut under load and restored: every request has exactly one spend record', async () => {
    const { database, directory, config } = await setUp();
    const gateway = await started(directory, config);
    const clients = clientsFor([gateway.url], payer.key);

    // 240 requests, 8 in flight. When request 80 is sent the database goes away; when request 160 is
    // sent, once the recorder has failed to store at least once, it comes back.
    const outcomes = await load(clients, group, 240, 8, async (index) => {
      if (index === 80) await cut(database);
      if (index === 160) {
        await waitUntil(
          () => Promise.resolve(gateway.output().includes('spend flush failed')),
          15_000,
          'a failed spend flush',
        );
        await restore(database);
      }
    });
    // The database is off the request path: every request succeeded.
    expect(countBy(outcomes, (outcome) => String(outcome.status))).toEqual({ 200: 240 });
    const requestIds = ids(outcomes);
    expect(new Set(requestIds).size).toBe(240);

    const rows = await waitForSpendRows(database.url, 240, 30_000);
    expect([...rows.keys()].sort()).toEqual([...requestIds].sort());
    expect([...rows.values()].every((copies) => copies === 1)).toBe(true);
  }, 90_000);

  it('SIGTERM while the database is down: records spool to disk and arrive exactly once after restart', async () => {
    const { database, directory, config } = await setUp();
    const first = await started(directory, config);
    const before = await load(clientsFor([first.url], payer.key), group, 20, 4);
    expect(countBy(before, (outcome) => String(outcome.status))).toEqual({ 200: 20 });
    await waitForSpendRows(database.url, 20, 15_000);

    await cut(database);
    const during = await load(clientsFor([first.url], payer.key), group, 50, 5);
    expect(countBy(during, (outcome) => String(outcome.status))).toEqual({ 200: 50 });
    // Still ready (the database is off the request path), and /health/ready says it is away (each
    // worker thread answers for its own spend records: one that has failed a flush says degraded).
    let readiness: Awaited<ReturnType<typeof readinessOf>> | undefined;
    await waitUntil(
      async () => {
        readiness = await readinessOf(first.url);
        return readiness.checks.database?.status === 'degraded';
      },
      15_000,
      'readiness to report the database degraded',
    );
    expect(readiness).toMatchObject({
      httpStatus: 200,
      status: 'degraded',
      checks: {
        state: { status: 'ok' },
        database: {
          status: 'degraded',
          detail: expect.stringContaining('PostgreSQL unreachable') as unknown,
        },
      },
    });
    expect(await first.stop()).toBe(0);

    // Exactly the 50 unstored records are in the spool file, each once.
    const spoolDirectory = join(directory, '.spillway', 'spool');
    const spooled = await spooledRequestIds(spoolDirectory);
    expect(spooled.sort()).toEqual(ids(during).sort());

    await restore(database);
    await started(directory, config);
    const rows = await waitForSpendRows(database.url, 70, 30_000);
    expect([...rows.keys()].sort()).toEqual([...ids(before), ...ids(during)].sort());
    expect([...rows.values()].every((copies) => copies === 1)).toBe(true);
    // The replayed spool is gone, so a third start would not insert anything again.
    await waitUntil(
      async () => (await spooledRequestIds(spoolDirectory)).length === 0,
      10_000,
      'an empty spool',
    );
    expect((await spendRequestIds(database.url)).size).toBe(70);
  }, 90_000);

  it.skipIf(!throwawayPostgresAvailable())(
    'postmaster SIGKILLed under load and started again: every request has exactly one spend record',
    async () => {
      const cluster = await ThrowawayPostgres.start();
      cleanups.push(() => cluster.destroy());
      const directory = await mkdtemp(join(tmpdir(), 'spillway-db-crash-'));
      cleanups.push(() => rm(directory, { recursive: true, force: true }));
      const config = scenarioConfig({
        simulatorUrl: sim.url,
        databaseUrl: cluster.url(),
        adminKey,
        tenants: [payer],
        groups: [{ name: group, deployments: [{ id: `spend-deployment-${run}` }] }],
      });
      const gateway = await started(directory, config);
      const outcomes = await load(clientsFor([gateway.url], payer.key), group, 240, 8, async (index) => {
        if (index === 80) await cluster.kill();
        if (index === 160) {
          await waitUntil(
            () => Promise.resolve(gateway.output().includes('spend flush failed')),
            15_000,
            'a failed spend flush',
          );
          await cluster.startServer();
        }
      });
      expect(countBy(outcomes, (outcome) => String(outcome.status))).toEqual({ 200: 240 });
      const rows = await waitForSpendRows(cluster.url(), 240, 30_000);
      expect([...rows.keys()].sort()).toEqual(ids(outcomes).sort());
      expect([...rows.values()].every((copies) => copies === 1)).toBe(true);
    },
    90_000,
  );
});
