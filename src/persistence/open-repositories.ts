import { applyMigrations } from './migrations.ts';
import type { Repositories } from './repositories.ts';
import { SqlAuditRepository } from './sql-audit-repository.ts';
import type { SqlDriver } from './sql-driver.ts';
import { SqlKeyRepository } from './sql-key-repository.ts';
import { SqlSpendRepository } from './sql-spend-repository.ts';
import { SqlTenantRepository } from './sql-tenant-repository.ts';
import { SqliteDriver } from './sqlite-driver.ts';

/** Where the database is (the `database` config section, as plain values). */
export interface DatabaseLocation {
  /** A PostgreSQL connection URL; when set (and not empty), PostgreSQL is used. */
  readonly url?: string | undefined;
  /** The SQLite file otherwise. */
  readonly path?: string | undefined;
}

export interface OpenRepositoriesOptions {
  /** SQLite file when `database` names neither url nor path (default ./spillway.db). */
  readonly defaultPath?: string;
  /** PostgreSQL pool size (default 10). */
  readonly maxConnections?: number;
  /** PostgreSQL connect timeout (default 5000 ms). */
  readonly connectionTimeoutMs?: number;
}

/** Wraps a connected driver in the four repositories. */
export function createSqlRepositories(driver: SqlDriver): Repositories {
  return {
    kind: driver.dialect,
    tenants: new SqlTenantRepository(driver),
    keys: new SqlKeyRepository(driver),
    spend: new SqlSpendRepository(driver),
    audit: new SqlAuditRepository(driver),
    close: () => driver.close(),
  };
}

/**
 * Opens the configured database and applies pending migrations: PostgreSQL when `database.url` is
 * set, otherwise SQLite at `database.path` (default ./spillway.db). Rejects when the database cannot
 * be reached or migrated (startup should fail loudly).
 */
export async function openRepositories(
  database: DatabaseLocation | undefined,
  options: OpenRepositoriesOptions = {},
): Promise<Repositories> {
  const url = database?.url;
  let driver: SqlDriver;
  if (url !== undefined && url !== '') {
    // Loaded only when configured: the embedded defaults (SQLite) never load pg.
    const { PostgresDriver } = await import('./postgres-driver.ts');
    driver = new PostgresDriver(url, {
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
      ...(options.connectionTimeoutMs === undefined
        ? {}
        : { connectionTimeoutMs: options.connectionTimeoutMs }),
    });
  } else {
    driver = new SqliteDriver(database?.path ?? options.defaultPath ?? './spillway.db');
  }
  try {
    await applyMigrations(driver);
  } catch (error) {
    await driver.close().catch(() => undefined);
    throw error;
  }
  return createSqlRepositories(driver);
}
