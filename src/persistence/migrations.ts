import { z } from 'zod';
import type { SqlDriver } from './sql-driver.ts';

/** One schema change. Statements are written in the SQL both SQLite and PostgreSQL accept. */
export interface Migration {
  /** Increasing version; applied versions are recorded in schema_migrations. */
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'governance tables',
    statements: [
      `CREATE TABLE tenants (
        name TEXT PRIMARY KEY,
        settings TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL)`,
      `CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        tenant TEXT NOT NULL,
        name TEXT,
        settings TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        revoked_at BIGINT,
        updated_at BIGINT NOT NULL)`,
      `CREATE INDEX api_keys_tenant ON api_keys (tenant)`,
      `CREATE TABLE spend_records (
        request_id TEXT PRIMARY KEY,
        time_ms BIGINT NOT NULL,
        tenant TEXT NOT NULL,
        key_id TEXT NOT NULL,
        requested_group TEXT NOT NULL,
        served_group TEXT NOT NULL,
        deployment TEXT NOT NULL,
        provider TEXT NOT NULL,
        provider_type TEXT NOT NULL,
        region TEXT NOT NULL,
        account TEXT NOT NULL,
        model TEXT NOT NULL,
        dialect TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        stream INTEGER NOT NULL,
        status INTEGER NOT NULL,
        error_code TEXT,
        attempts INTEGER NOT NULL,
        fallbacks INTEGER NOT NULL,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cache_read_tokens BIGINT NOT NULL,
        cache_write_tokens BIGINT NOT NULL,
        cost_usd DOUBLE PRECISION,
        latency_ms BIGINT NOT NULL,
        first_token_ms BIGINT,
        overhead_ms BIGINT NOT NULL)`,
      `CREATE INDEX spend_records_time ON spend_records (time_ms)`,
      `CREATE INDEX spend_records_tenant_time ON spend_records (tenant, time_ms)`,
      `CREATE TABLE audit_records (
        id TEXT PRIMARY KEY,
        time_ms BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        details TEXT NOT NULL)`,
      `CREATE INDEX audit_records_time ON audit_records (time_ms)`,
    ],
  },
  {
    version: 2,
    name: 'spend records keyed by the gateway id',
    // Records were keyed by the client's x-request-id (ON CONFLICT DO NOTHING dropped every reuse).
    // Rebuilt, because neither database can change a primary key in place: the gateway's own id is
    // the key, the client's id a plain indexed column. Existing rows keep their id as both.
    statements: [
      `CREATE TABLE spend_records_v2 (
        id TEXT PRIMARY KEY,
        request_id TEXT NOT NULL,
        time_ms BIGINT NOT NULL,
        tenant TEXT NOT NULL,
        key_id TEXT NOT NULL,
        requested_group TEXT NOT NULL,
        served_group TEXT NOT NULL,
        deployment TEXT NOT NULL,
        provider TEXT NOT NULL,
        provider_type TEXT NOT NULL,
        region TEXT NOT NULL,
        account TEXT NOT NULL,
        model TEXT NOT NULL,
        dialect TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        stream INTEGER NOT NULL,
        status INTEGER NOT NULL,
        error_code TEXT,
        attempts INTEGER NOT NULL,
        fallbacks INTEGER NOT NULL,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cache_read_tokens BIGINT NOT NULL,
        cache_write_tokens BIGINT NOT NULL,
        cost_usd DOUBLE PRECISION,
        latency_ms BIGINT NOT NULL,
        first_token_ms BIGINT,
        overhead_ms BIGINT NOT NULL,
        usage_estimated INTEGER NOT NULL DEFAULT 0)`,
      `INSERT INTO spend_records_v2 (id, request_id,
         time_ms, tenant, key_id, requested_group, served_group, deployment, provider,
         provider_type, region, account, model, dialect, endpoint, stream, status, error_code, attempts,
         fallbacks, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd,
         latency_ms, first_token_ms, overhead_ms)
       SELECT request_id, request_id,
         time_ms, tenant, key_id, requested_group, served_group, deployment, provider,
         provider_type, region, account, model, dialect, endpoint, stream, status, error_code, attempts,
         fallbacks, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd,
         latency_ms, first_token_ms, overhead_ms
       FROM spend_records`,
      `DROP TABLE spend_records`,
      `ALTER TABLE spend_records_v2 RENAME TO spend_records`,
      `CREATE INDEX spend_records_time ON spend_records (time_ms)`,
      `CREATE INDEX spend_records_tenant_time ON spend_records (tenant, time_ms)`,
      `CREATE INDEX spend_records_request_id ON spend_records (request_id)`,
    ],
  },
  {
    version: 3,
    name: 'no index on the client request id',
    // Nothing queries by the client's id, and the index was a fifth B-tree on every insert (about a
    // third of an insert's time in a loaded measurement): spend inserts are on the gateway's hot loop.
    statements: [`DROP INDEX IF EXISTS spend_records_request_id`],
  },
  {
    version: 4,
    name: 'spend records of answers a request stage gave',
    // A cache hit is a request with no deployment and cost 0: which stage answered, and what the
    // answer it replayed had cost, so the saving can be summed.
    statements: [
      `ALTER TABLE spend_records ADD COLUMN answered_by TEXT`,
      `ALTER TABLE spend_records ADD COLUMN saved_usd DOUBLE PRECISION`,
    ],
  },
  {
    version: 5,
    name: 'the router decision of a spend record',
    statements: [`ALTER TABLE spend_records ADD COLUMN route TEXT`],
  },
];

const versionRow = z.object({ version: z.coerce.number() });

/**
 * Applies the migrations not yet recorded, each in its own transaction, in version order.
 * Idempotent; concurrent starters on PostgreSQL serialise on an advisory lock. Returns the versions applied.
 * `throughVersion` stops after that version (tests that build an older schema to migrate).
 */
export async function applyMigrations(
  driver: SqlDriver,
  now: number = Date.now(),
  throughVersion: number = Number.POSITIVE_INFINITY,
): Promise<number[]> {
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version > throughVersion) break;
    const done = await driver.transaction(async (executor) => {
      // Held until commit: a second replica starting at the same time waits, then sees the version.
      if (driver.dialect === 'postgres') await executor.query('SELECT pg_advisory_xact_lock(7291004)');
      await executor.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const existing = await executor.query('SELECT version FROM schema_migrations WHERE version = ?', [
        migration.version,
      ]);
      if (existing.rows.map((row) => versionRow.parse(row)).length > 0) return false;
      for (const statement of migration.statements) await executor.query(statement);
      await executor.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        now,
      ]);
      return true;
    });
    if (done) applied.push(migration.version);
  }
  return applied;
}
