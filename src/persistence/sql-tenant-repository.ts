import type { TenantRecord, TenantRepository, TenantSettings } from './repositories.ts';
import { tenantRow } from './row-schemas.ts';
import type { SqlExecutor } from './sql-driver.ts';

function toTenant(row: unknown): TenantRecord {
  const parsed = tenantRow.parse(row);
  return {
    name: parsed.name,
    settings: parsed.settings,
    createdAt: parsed.created_at,
    updatedAt: parsed.updated_at,
  };
}

/** Tenants in SQL (SQLite or PostgreSQL); settings as a JSON text column. */
export class SqlTenantRepository implements TenantRepository {
  private readonly sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.sql = sql;
  }

  async list(): Promise<TenantRecord[]> {
    const result = await this.sql.query('SELECT * FROM tenants ORDER BY name');
    return result.rows.map(toTenant);
  }

  async get(name: string): Promise<TenantRecord | undefined> {
    const result = await this.sql.query('SELECT * FROM tenants WHERE name = ?', [name]);
    const row = result.rows[0];
    return row === undefined ? undefined : toTenant(row);
  }

  async upsert(name: string, settings: TenantSettings, now: number): Promise<TenantRecord> {
    await this.sql.query(
      `INSERT INTO tenants (name, settings, created_at, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
      [name, JSON.stringify(settings), now, now],
    );
    const stored = await this.get(name);
    if (stored === undefined) throw new Error(`tenant "${name}" vanished right after it was written`);
    return stored;
  }
}
