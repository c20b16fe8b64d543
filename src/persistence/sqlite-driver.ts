import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { SqlDriver, SqlExecutor, SqlResult, SqlValue } from './sql-driver.ts';

/** A prepared statement kept for its SQL text, and whether it returns rows. */
interface Prepared {
  readonly statement: StatementSync;
  readonly returnsRows: boolean;
}

/** Prepared statements kept at most; our statements are a fixed set well below it. */
const maxPrepared = 128;

/**
 * SQLite through Node's built-in `node:sqlite`. Calls are synchronous, so a transaction whose work
 * awaits must keep other statements out until it ends: every statement and transaction goes
 * through one queue. Statements are prepared once per SQL text and kept (SQLite re-prepares them
 * itself after a schema change): preparing cost more than running for the spend inserts.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly database: DatabaseSync;
  private readonly prepared = new Map<string, Prepared>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.database = new DatabaseSync(path);
    this.database.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
  }

  private prepare(sql: string): Prepared {
    let prepared = this.prepared.get(sql);
    if (prepared === undefined) {
      const statement = this.database.prepare(sql);
      prepared = { statement, returnsRows: statement.columns().length > 0 };
      // Oldest out: only ad-hoc statements (none today) could ever fill it.
      if (this.prepared.size >= maxPrepared) this.prepared.delete(this.prepared.keys().next().value ?? '');
      this.prepared.set(sql, prepared);
    }
    return prepared;
  }

  private run(sql: string, params: readonly SqlValue[]): SqlResult {
    const { statement, returnsRows } = this.prepare(sql);
    if (returnsRows) return { rows: statement.all(...params), changes: 0 };
    const result = statement.run(...params);
    return { rows: [], changes: Number(result.changes) };
  }

  /** One statement per row, inside one transaction (the caller's, or one of its own). */
  private runEach(sql: string, rows: readonly (readonly SqlValue[])[]): number {
    const { statement } = this.prepare(sql);
    const own = !this.database.isTransaction;
    if (own) this.database.exec('BEGIN IMMEDIATE');
    try {
      let changes = 0;
      for (const row of rows) changes += Number(statement.run(...row).changes);
      if (own) this.database.exec('COMMIT');
      return changes;
    } catch (error) {
      if (own) this.database.exec('ROLLBACK');
      throw error;
    }
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  query(sql: string, params: readonly SqlValue[] = []): Promise<SqlResult> {
    return this.enqueue(() => Promise.resolve(this.run(sql, params)));
  }

  queryEach(sql: string, rows: readonly (readonly SqlValue[])[]): Promise<number> {
    return this.enqueue(() => Promise.resolve(this.runEach(sql, rows)));
  }

  transaction<T>(work: (executor: SqlExecutor) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      this.database.exec('BEGIN IMMEDIATE');
      const executor: SqlExecutor = {
        query: (sql, params = []) => Promise.resolve(this.run(sql, params)),
        queryEach: (sql, rows) => Promise.resolve(this.runEach(sql, rows)),
      };
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
      this.prepared.clear();
      if (this.database.isOpen) this.database.close();
      return Promise.resolve();
    });
  }
}
