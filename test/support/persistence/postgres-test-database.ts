import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The shared test server (trust auth); tests create their own database on it and drop it after. */
export const testPostgresAdminUrl =
  process.env['SPILLWAY_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** Name of the fresh database. */
  readonly name: string;
  /** Connection string of the fresh database. */
  readonly url: string;
  /** Runs one statement as the admin on the `postgres` database (e.g. to simulate an outage). */
  admin(sql: string): Promise<void>;
  /** Drops the database, closing its connections first. */
  drop(): Promise<void>;
}

async function runAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: testPostgresAdminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates `spillway_test_<random>` on the shared server. For tests only. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `spillway_test_${randomBytes(6).toString('hex')}`;
  await runAdmin(`CREATE DATABASE ${name}`);
  const url = new URL(testPostgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    admin: runAdmin,
    drop: () => runAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
