import type { KeyRecord, KeyRepository } from './repositories.ts';
import { keyRow } from './row-schemas.ts';
import type { SqlExecutor } from './sql-driver.ts';

function toKey(row: unknown): KeyRecord {
  const parsed = keyRow.parse(row);
  return {
    id: parsed.id,
    hash: parsed.hash,
    prefix: parsed.prefix,
    tenant: parsed.tenant,
    name: parsed.name,
    settings: parsed.settings,
    createdAt: parsed.created_at,
    expiresAt: parsed.expires_at,
    revokedAt: parsed.revoked_at,
    updatedAt: parsed.updated_at,
  };
}

/** Virtual keys in SQL: hashes only, never the key. */
export class SqlKeyRepository implements KeyRepository {
  private readonly sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.sql = sql;
  }

  async list(): Promise<KeyRecord[]> {
    const result = await this.sql.query('SELECT * FROM api_keys ORDER BY created_at, id');
    return result.rows.map(toKey);
  }

  async get(id: string): Promise<KeyRecord | undefined> {
    const result = await this.sql.query('SELECT * FROM api_keys WHERE id = ?', [id]);
    const row = result.rows[0];
    return row === undefined ? undefined : toKey(row);
  }

  async insert(key: KeyRecord): Promise<void> {
    await this.sql.query(
      `INSERT INTO api_keys (id, hash, prefix, tenant, name, settings, created_at, expires_at, revoked_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        key.id,
        key.hash,
        key.prefix,
        key.tenant,
        key.name ?? null,
        JSON.stringify(key.settings),
        key.createdAt,
        key.expiresAt ?? null,
        key.revokedAt ?? null,
        key.updatedAt,
      ],
    );
  }

  async revoke(id: string, now: number): Promise<boolean> {
    const result = await this.sql.query(
      'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?), updated_at = ? WHERE id = ?',
      [now, now, id],
    );
    return result.changes > 0;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.sql.query('DELETE FROM api_keys WHERE id = ?', [id]);
    return result.changes > 0;
  }
}
