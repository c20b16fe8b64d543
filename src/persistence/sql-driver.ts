/** A value bound to a SQL placeholder. */
export type SqlValue = string | number | null;

/** What a statement returned. */
export interface SqlResult {
  /** Rows of a query (empty for statements that return none); validate with zod before use. */
  readonly rows: readonly Record<string, unknown>[];
  /** Rows inserted, updated or deleted. */
  readonly changes: number;
}

/** Runs statements written with `?` placeholders (rewritten to `$n` for PostgreSQL). */
export interface SqlExecutor {
  /** Runs one statement with its parameters. */
  query(sql: string, params?: readonly SqlValue[]): Promise<SqlResult>;
  /**
   * Runs one statement once per parameter row, all or none (one transaction), and returns the rows
   * changed in all. Offered where it is cheaper than one multi-row statement (SQLite: one prepared
   * statement, kept); where absent, callers write the multi-row statement (PostgreSQL: one round trip).
   */
  queryEach?(sql: string, rows: readonly (readonly SqlValue[])[]): Promise<number>;
}

/** One database connection (or pool) of a given dialect. */
export interface SqlDriver extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it rejects. */
  transaction<T>(work: (executor: SqlExecutor) => Promise<T>): Promise<T>;
  /** Releases connections. */
  close(): Promise<void>;
}
