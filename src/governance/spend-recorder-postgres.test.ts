import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRepositories } from '../persistence/open-repositories.ts';
import { PostgresDriver } from '../persistence/postgres-driver.ts';
import type { TestDatabase } from '../../test/support/persistence/postgres-test-database.ts';
import { createTestDatabase } from '../../test/support/persistence/postgres-test-database.ts';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { requestFinished } from '../../test/support/governance/governance-test-fixtures.ts';
import { SpendRecorder } from './spend-recorder.ts';

/**
 * The acceptance test "stopping PostgreSQL under load loses no spend record; after restart, every
 * request's record is there exactly once", on the real server without stopping it (others share
 * it): the test database refuses connections (ALLOW_CONNECTIONS false, binding superusers too) and
 * its sessions are terminated, then it comes back.
 */
describe('SpendRecorder on PostgreSQL through an outage', () => {
  let database: TestDatabase;
  let spoolDirectory: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    spoolDirectory = mkdtempSync(join(tmpdir(), 'spillway-spool-'));
  });
  afterAll(async () => {
    await database.admin(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS true`);
    await database.drop();
    rmSync(spoolDirectory, { recursive: true, force: true });
  });

  const stop = async (): Promise<void> => {
    await database.admin(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS false`);
    await database.admin(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${database.name}'`,
    );
  };
  const restart = (): Promise<void> =>
    database.admin(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS true`);

  it('loses no record and stores each exactly once after the database returns, across a restart', async () => {
    const clock = new FakeClock();
    const onError = (): void => undefined;
    const first = await openRepositories({ url: database.url }, { connectionTimeoutMs: 2000 });
    const recorder = new SpendRecorder({
      spend: first.spend,
      spoolDirectory,
      clock,
      batchSize: 50,
      maxBufferedRecords: 400,
      onError,
    });
    recorder.start();
    let next = 0;
    const burst = (count: number): void => {
      for (let i = 0; i < count; i++, next++)
        recorder.emit(requestFinished({ requestId: `req_${next}`, startedAt: 1_700_000_000_000 + next }));
    };

    burst(200);
    await expect.poll(() => recorder.stats().stored).toBe(200);
    await stop();
    for (let round = 0; round < 6; round++) {
      burst(100);
      await clock.advance(300);
    }
    await expect.poll(() => recorder.stats().consecutiveFailures).toBeGreaterThan(0);
    await expect.poll(() => recorder.stats().spooled).toBeGreaterThan(0);
    // The process stops while the database is still down: what is left goes to the spool.
    await recorder.close(500);
    await first.close();

    await restart();
    const second = await openRepositories({ url: database.url });
    const replayer = new SpendRecorder({ spend: second.spend, spoolDirectory, clock, onError });
    replayer.start();
    burst(0);
    const driver = new PostgresDriver(database.url);
    try {
      await expect
        .poll(
          async () =>
            (await driver.query('SELECT COUNT(*) AS n, COUNT(DISTINCT request_id) AS d FROM spend_records'))
              .rows[0],
          { timeout: 15_000 },
        )
        .toEqual({ n: '800', d: '800' });
      const ids = (await second.spend.list({ limit: 10_000 })).map((record) => record.requestId);
      expect(new Set(ids)).toEqual(new Set(Array.from({ length: 800 }, (_, i) => `req_${i}`)));
    } finally {
      await replayer.close();
      await driver.close();
      await second.close();
    }
    expect(readdirSync(spoolDirectory)).toEqual([]);
  });
});
