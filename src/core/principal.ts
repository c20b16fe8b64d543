/** rpm / tpm / concurrency limits of a tenant or a key; absent means unlimited. */
export interface QuotaLimits {
  readonly rpm?: number | undefined;
  readonly tpm?: number | undefined;
  readonly maxConcurrency?: number | undefined;
}

export interface Budget {
  readonly usd: number;
  readonly period: 'day' | 'week' | 'month' | 'total';
}

/**
 * Who is calling: the tenant and key behind a request, resolved from a virtual key. Never holds the
 * key itself.
 */
export interface Principal {
  /** Tenant name ("anonymous" when the gateway allows keyless use). */
  readonly tenant: string;
  /** Stable, non-secret id of the key (safe for logs, metrics and spend records). */
  readonly keyId: string;
  /** Human name of the key, if it has one. */
  readonly keyName?: string | undefined;
  readonly tenantLimits: QuotaLimits;
  readonly keyLimits: QuotaLimits;
  readonly tenantBudget?: Budget | undefined;
  readonly keyBudget?: Budget | undefined;
  /** Model groups this principal may use; undefined: all. */
  readonly allowedModels?: readonly string[] | undefined;
  /** Region prefixes deployments must match (e.g. "eu-"); undefined means every region. */
  readonly allowedRegions?: readonly string[] | undefined;
  /** The tenant's limits per model group, checked with tenantLimits; absent groups: none. */
  readonly modelLimits?: Readonly<Record<string, QuotaLimits>> | undefined;
  /** Whether request and response bodies go to the audit log. */
  readonly logBodies: boolean;
  /** The key's tags (router rules match them); undefined: none. */
  readonly tags?: readonly string[] | undefined;
  /** The key's own guardrails, by name; undefined: none. */
  readonly guardrails?: readonly string[] | undefined;
}
