import type { Principal, QuotaLimits } from '../core/principal.ts';
import type { TenantConfig } from '../config/schema.ts';
import type { KeySettings, TenantSettings } from '../persistence/repositories.ts';

/** The settings of a config-file tenant, in the database's shape. */
export function tenantSettingsFromConfig(tenant: TenantConfig): TenantSettings {
  return {
    rpm: tenant.rpm,
    tpm: tenant.tpm,
    maxConcurrency: tenant.max_concurrency,
    budget: tenant.budget,
    models: tenant.models,
    regions: tenant.regions,
    logBodies: tenant.log_bodies,
    modelLimits: modelLimitsFromConfig(tenant.model_limits),
  };
}

/** `model_limits` of the config file (snake_case) as QuotaLimits per model group. */
export function modelLimitsFromConfig(
  limits: TenantConfig['model_limits'],
): Readonly<Record<string, QuotaLimits>> | undefined {
  if (limits === undefined) return undefined;
  const out: Record<string, QuotaLimits> = {};
  for (const [group, value] of Object.entries(limits)) {
    out[group] = { rpm: value.rpm, tpm: value.tpm, maxConcurrency: value.max_concurrency };
  }
  return out;
}

/** Config settings overlaid with the database's: every field the database sets wins. */
export function mergeTenantSettings(
  base: TenantSettings | undefined,
  override: TenantSettings | undefined,
): TenantSettings {
  const out: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(override ?? {})) if (value !== undefined) out[name] = value;
  return out;
}

/** Models allowed by both lists (undefined means "all"). */
function intersect(
  tenant: readonly string[] | undefined,
  key: readonly string[] | undefined,
): readonly string[] | undefined {
  if (tenant === undefined) return key;
  if (key === undefined) return tenant;
  return key.filter((model) => tenant.includes(model));
}

export interface KeyIdentity {
  readonly keyId: string;
  readonly keyName?: string | undefined;
  readonly settings: KeySettings;
}

/** The principal of a key of a tenant: tenant limits and budget, key limits and budget, allowed models. */
export function resolvePrincipal(tenant: string, settings: TenantSettings, key: KeyIdentity): Principal {
  return {
    tenant,
    keyId: key.keyId,
    keyName: key.keyName,
    tenantLimits: { rpm: settings.rpm, tpm: settings.tpm, maxConcurrency: settings.maxConcurrency },
    keyLimits: { rpm: key.settings.rpm, tpm: key.settings.tpm, maxConcurrency: key.settings.maxConcurrency },
    tenantBudget: settings.budget,
    keyBudget: key.settings.budget,
    allowedModels: intersect(settings.models, key.settings.models),
    allowedRegions: settings.regions,
    modelLimits: settings.modelLimits,
    logBodies: settings.logBodies ?? false,
    tags: key.settings.tags,
    guardrails: key.settings.guardrails,
  };
}
