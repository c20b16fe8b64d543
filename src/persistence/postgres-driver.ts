import pg from 'pg';
import type { SqlDriver, SqlExecutor, SqlResult, SqlValue } from './sql-driver.ts';

/** Rewrites `?` placeholders to PostgreSQL's `$1, $2, ...` (our statements have no `?` in literals). */
export function toPostgresPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

export interface PostgresDriverOptions {
  /** Most pooled connections (default 10). */
  readonly maxConnections?: number;
  /** Give up connecting after this long (default 5000 ms), so an outage fails fast instead of hanging. */
  readonly connectionTimeoutMs?: number;
  /** Statements running longer are cancelled (default 30000 ms). */
  readonly statementTimeoutMs?: number;
}

/** PostgreSQL through a `pg` pool. */
export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  private readonly pool: pg.Pool;

  constructor(url: string, options: PostgresDriverOptions = {}) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client whose server went away emits 'error' on the pool; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  private static async run(
    client: pg.Pool | pg.PoolClient,
    sql: string,
    params: readonly SqlValue[],
  ): Promise<SqlResult> {
    const result = await client.query<Record<string, unknown>>(toPostgresPlaceholders(sql), [...params]);
    return { rows: result.rows, changes: result.rowCount ?? 0 };
  }

  query(sql: string, params: readonly SqlValue[] = []): Promise<SqlResult> {
    return PostgresDriver.run(this.pool, sql, params);
  }

  async transaction<T>(work: (executor: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work({ query: (sql, params = []) => PostgresDriver.run(client, sql, params) });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
