import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { SqlDriver, SqlExecutor, SqlResult, SqlValue } from './sql-driver.ts';

/**
 * SQLite through Node's built-in `node:sqlite`. Calls are synchronous, so a transaction whose work
 * awaits must keep other statements out until it ends: every statement and transaction goes
 * through one queue.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly database: DatabaseSync;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.database = new DatabaseSync(path);
    this.database.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
  }

  private run(sql: string, params: readonly SqlValue[]): SqlResult {
    const statement = this.database.prepare(sql);
    if (statement.columns().length > 0) {
      return { rows: statement.all(...params), changes: 0 };
    }
    const result = statement.run(...params);
    return { rows: [], changes: Number(result.changes) };
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  query(sql: string, params: readonly SqlValue[] = []): Promise<SqlResult> {
    return this.enqueue(() => Promise.resolve(this.run(sql, params)));
  }

  transaction<T>(work: (executor: SqlExecutor) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      this.database.exec('BEGIN IMMEDIATE');
      const executor: SqlExecutor = { query: (sql, params = []) => Promise.resolve(this.run(sql, params)) };
      try {
        const result = await work(executor);
        this.database.exec('COMMIT');
        return result;
      } catch (error) {
        this.database.exec('ROLLBACK');
        throw error;
      }
    });
  }

  close(): Promise<void> {
    return this.enqueue(() => {
      if (this.database.isOpen) this.database.close();
      return Promise.resolve();
    });
  }
}
