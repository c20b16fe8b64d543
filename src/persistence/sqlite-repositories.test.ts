import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRepositories } from './open-repositories.ts';
import { runRepositoriesContract } from './repositories.contract.ts';
import { SqliteDriver } from './sqlite-driver.ts';

const directory = mkdtempSync(join(tmpdir(), 'spillway-sqlite-'));
const path = join(directory, 'nested', 'spillway.db');

runRepositoriesContract('sqlite', {
  open: () => openRepositories({ path }),
  reset: async () => {
    const driver = new SqliteDriver(path);
    for (const table of ['tenants', 'api_keys', 'spend_records', 'audit_records']) {
      await driver.query(`DELETE FROM ${table}`);
    }
    await driver.close();
  },
  openDriver: () => new SqliteDriver(path),
  dispose: () => {
    rmSync(directory, { recursive: true, force: true });
    return Promise.resolve();
  },
});
