import type { AuditQuery, AuditRecord, AuditRepository } from './repositories.ts';
import { auditRow } from './row-schemas.ts';
import type { SqlExecutor, SqlValue } from './sql-driver.ts';

/** Audit records in SQL; details as a JSON text column. */
export class SqlAuditRepository implements AuditRepository {
  private readonly sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.sql = sql;
  }

  async insert(record: AuditRecord): Promise<void> {
    await this.sql.query(
      'INSERT INTO audit_records (id, time_ms, actor, action, target, details) VALUES (?, ?, ?, ?, ?, ?)',
      [record.id, record.time, record.actor, record.action, record.target, JSON.stringify(record.details)],
    );
  }

  async list(query: AuditQuery): Promise<AuditRecord[]> {
    const conditions: string[] = [];
    const params: SqlValue[] = [];
    if (query.since !== undefined) {
      conditions.push('time_ms >= ?');
      params.push(query.since);
    }
    if (query.action !== undefined) {
      conditions.push('action = ?');
      params.push(query.action);
    }
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    params.push(Math.max(0, Math.floor(query.limit)));
    const result = await this.sql.query(
      `SELECT * FROM audit_records ${where} ORDER BY time_ms DESC, id DESC LIMIT ?`,
      params,
    );
    return result.rows.map((row) => {
      const parsed = auditRow.parse(row);
      return {
        id: parsed.id,
        time: parsed.time_ms,
        actor: parsed.actor,
        action: parsed.action,
        target: parsed.target,
        details: parsed.details,
      };
    });
  }
}
