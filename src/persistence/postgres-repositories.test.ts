import { beforeAll } from 'vitest';
import { openRepositories } from './open-repositories.ts';
import { PostgresDriver } from './postgres-driver.ts';
import type { TestDatabase } from '../../test/support/persistence/postgres-test-database.ts';
import { createTestDatabase } from '../../test/support/persistence/postgres-test-database.ts';
import { runRepositoriesContract } from './repositories.contract.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});

runRepositoriesContract('postgres', {
  open: () => openRepositories({ url: database.url }),
  reset: async () => {
    const driver = new PostgresDriver(database.url);
    await driver.query('TRUNCATE tenants, api_keys, spend_records, audit_records');
    await driver.close();
  },
  openDriver: () => new PostgresDriver(database.url),
  dispose: () => database.drop(),
});
