import type { QuotaLimits } from '../core/principal.ts';

/**
 * The governance repositories: tenants, virtual keys, spend records and audit records. SQLite
 * (embedded default) and PostgreSQL implement them and pass one contract suite
 * (repositories.contract.ts). Times are epoch milliseconds; money is USD.
 */

/** The settings of a tenant kept in the database (the config file's tenant keys, minus `keys`). */
export interface TenantSettings {
  readonly rpm?: number | undefined;
  readonly tpm?: number | undefined;
  readonly maxConcurrency?: number | undefined;
  readonly budget?: { readonly usd: number; readonly period: 'day' | 'week' | 'month' | 'total' } | undefined;
  /** Allowed model groups; undefined: all. */
  readonly models?: readonly string[] | undefined;
  /** Region prefixes; undefined means every region. */
  readonly regions?: readonly string[] | undefined;
  readonly logBodies?: boolean | undefined;
  /** Limits per model group, on top of the tenant's own; undefined: none. */
  readonly modelLimits?: Readonly<Record<string, QuotaLimits>> | undefined;
}

export interface TenantRecord {
  /** Unique tenant name. */
  readonly name: string;
  readonly settings: TenantSettings;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Per-key limits and restrictions, narrowing the tenant's. */
export interface KeySettings {
  readonly rpm?: number | undefined;
  readonly tpm?: number | undefined;
  readonly maxConcurrency?: number | undefined;
  readonly budget?: { readonly usd: number; readonly period: 'day' | 'week' | 'month' | 'total' } | undefined;
  /** Allowed model groups (within the tenant's); undefined: the tenant's. */
  readonly models?: readonly string[] | undefined;
  /** Tags router rules match (`when: { tags }`), besides the request's and the tenant's. */
  readonly tags?: readonly string[] | undefined;
  /** Named guardrails (config `guardrails`) that run for this key, after the tenant's and before the group's. */
  readonly guardrails?: readonly string[] | undefined;
}

/** A virtual key as stored: never the key itself, only its SHA-256 hash. */
export interface KeyRecord {
  /** Stable, non-secret id (safe in logs, spend records, URLs). */
  readonly id: string;
  /** Lowercase hex SHA-256 of the key; unique. */
  readonly hash: string;
  /** The key's first characters, for display ("sk-spw-AbCd"). */
  readonly prefix: string;
  readonly tenant: string;
  readonly name?: string | undefined;
  readonly settings: KeySettings;
  readonly createdAt: number;
  /** Undefined: never expires. */
  readonly expiresAt?: number | undefined;
  /** Set once the key is revoked. */
  readonly revokedAt?: number | undefined;
  readonly updatedAt: number;
}

/** One client request's account (from the pipeline's request-finished event). */
export interface SpendRecord {
  /**
   * The gateway's own id for the request (generated at the edge, never the client's); unique:
   * inserting the same id twice keeps the first record (exactly-once replays).
   */
  readonly id: string;
  /**
   * The request id the client saw in `x-request-id`: its own when it sent one (not unique: clients
   * reuse ids, and several tenants may use the same one), else the gateway's id.
   */
  readonly requestId: string;
  /** When the request arrived (epoch ms). */
  readonly time: number;
  readonly tenant: string;
  readonly keyId: string;
  readonly requestedGroup: string;
  /** The group that served it (differs from requestedGroup after a fallback); "" when none. */
  readonly servedGroup: string;
  readonly deployment: string;
  readonly provider: string;
  readonly providerType: string;
  readonly region: string;
  readonly account: string;
  readonly model: string;
  readonly dialect: string;
  readonly endpoint: string;
  readonly stream: boolean;
  readonly status: number;
  readonly errorCode?: string | undefined;
  readonly attempts: number;
  readonly fallbacks: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  /** USD; undefined when the deployment has no price. */
  readonly costUsd?: number | undefined;
  readonly latencyMs: number;
  readonly firstTokenMs?: number | undefined;
  readonly overheadMs: number;
  /** True when the token counts are an estimate (no usage report came: a cut or aborted stream). */
  readonly usageEstimated: boolean;
  /** The request stage that answered without a deployment (`cache` for a cache hit). */
  readonly answeredBy?: string | undefined;
  /** USD a stage's answer saved (a cache hit: what the replayed answer cost when it was made). */
  readonly savedUsd?: number | undefined;
  /** The router decisions that chose the served group (`<router>:<rule>`); undefined when no router. */
  readonly route?: string | undefined;
}

export const spendGroupings = ['tenant', 'key', 'group', 'deployment', 'region', 'account', 'day'] as const;
/** What spend sums are grouped by ("group" is the served group; "day" the UTC day). */
export type SpendGroupBy = (typeof spendGroupings)[number];

export interface SpendQuery {
  readonly groupBy: SpendGroupBy;
  /** Inclusive lower bound on the record time (epoch ms); undefined: the beginning. */
  readonly since?: number | undefined;
  /** Exclusive upper bound; undefined: now and beyond. */
  readonly until?: number | undefined;
  /** Only this tenant's records. */
  readonly tenant?: string | undefined;
}

/** Sums over the records of one group. */
export interface SpendSum {
  /** The group's value (tenant name, key id, ...; for "day" the UTC day as YYYY-MM-DD). */
  readonly key: string;
  readonly requests: number;
  readonly errors: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  readonly costUsd: number;
}

export interface SpendRecordQuery {
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly tenant?: string | undefined;
  /** Most records returned (oldest first). */
  readonly limit: number;
}

export interface AuditRecord {
  /** Unique id. */
  readonly id: string;
  readonly time: number;
  /** Who did it ("admin", "system", a tenant or key id). */
  readonly actor: string;
  /** Dotted noun-verb, e.g. "key.created", "tenant.updated", "config.reloaded", "request.bodies". */
  readonly action: string;
  /** What it was done to (a key id, a tenant name, a request id). */
  readonly target: string;
  /** Structured details; never secrets. */
  readonly details: Readonly<Record<string, unknown>>;
}

export interface AuditQuery {
  readonly since?: number | undefined;
  readonly action?: string | undefined;
  /** Most records returned (newest first). */
  readonly limit: number;
}

export interface TenantRepository {
  /** Every tenant, by name. */
  list(): Promise<TenantRecord[]>;
  get(name: string): Promise<TenantRecord | undefined>;
  /** Creates or replaces the tenant's settings (createdAt kept on replace). */
  upsert(name: string, settings: TenantSettings, now: number): Promise<TenantRecord>;
}

export interface KeyRepository {
  /** Every key, revoked and expired ones included, oldest first. */
  list(): Promise<KeyRecord[]>;
  get(id: string): Promise<KeyRecord | undefined>;
  /** Stores a new key. Rejects when the id or hash already exists. */
  insert(key: KeyRecord): Promise<void>;
  /** Marks the key revoked at `now`; false when there is no such key (already revoked: true, time kept). */
  revoke(id: string, now: number): Promise<boolean>;
  /** Removes the key; false when there was none. */
  delete(id: string): Promise<boolean>;
}

export interface SpendRepository {
  /** Inserts records; ones whose request id is already stored are skipped. Returns how many were new. */
  insertMany(records: readonly SpendRecord[]): Promise<number>;
  /** Sums grouped as asked over the window, largest cost first. */
  sum(query: SpendQuery): Promise<SpendSum[]>;
  /** Raw records over the window, oldest first. */
  list(query: SpendRecordQuery): Promise<SpendRecord[]>;
}

export interface AuditRepository {
  insert(record: AuditRecord): Promise<void>;
  list(query: AuditQuery): Promise<AuditRecord[]>;
}

export interface Repositories {
  /** "sqlite" or "postgres". */
  readonly kind: 'sqlite' | 'postgres';
  readonly tenants: TenantRepository;
  readonly keys: KeyRepository;
  readonly spend: SpendRepository;
  readonly audit: AuditRepository;
  /** Releases the connection(s). */
  close(): Promise<void>;
}
