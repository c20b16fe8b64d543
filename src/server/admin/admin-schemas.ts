import { z } from 'zod';
import { spendGroupings } from '../../persistence/repositories.ts';
import type { KeySettings, TenantSettings } from '../../persistence/repositories.ts';
import { modelLimitsFromConfig } from '../../governance/resolve-principal.ts';

/** Bodies and queries of the admin API (snake_case, like the config file). */

const budget = z
  .object({
    usd: z.number().nonnegative(),
    period: z.enum(['day', 'week', 'month', 'total']).default('month'),
  })
  .strict();

const limits = {
  rpm: z.number().int().positive().optional(),
  tpm: z.number().int().positive().optional(),
  max_concurrency: z.number().int().positive().optional(),
  budget: budget.optional(),
  models: z.array(z.string().min(1)).optional(),
};

export const createKeyBody = z
  .object({
    tenant: z.string().min(1),
    name: z.string().min(1).max(200).optional(),
    /** Absolute expiry: ISO 8601 time or epoch milliseconds. */
    expires_at: z.union([z.iso.datetime({ offset: true }), z.number().int().positive()]).optional(),
    /** Relative expiry: "30d", "12h", ... */
    expires_in: z.string().optional(),
    ...limits,
    /** Tags router rules match for this key's requests. */
    tags: z.array(z.string().min(1).max(64)).max(32).optional(),
    /** Named guardrails (config `guardrails`) that run for this key's requests. */
    guardrails: z.array(z.string().min(1)).max(32).optional(),
  })
  .strict();
export type CreateKeyBody = z.infer<typeof createKeyBody>;

const modelLimits = z
  .object({
    rpm: z.number().int().positive().optional(),
    tpm: z.number().int().positive().optional(),
    max_concurrency: z.number().int().positive().optional(),
  })
  .strict();

const tenantFields = {
  ...limits,
  regions: z.array(z.string().min(1)).optional(),
  log_bodies: z.boolean().optional(),
  /** Limits per model group: { "<group>": { rpm?, tpm?, max_concurrency? } }. */
  model_limits: z.record(z.string().min(1), modelLimits).optional(),
};

export const tenantName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only');

export const createTenantBody = z.object({ name: tenantName, ...tenantFields }).strict();
export const updateTenantBody = z.object(tenantFields).strict();
export type TenantBody = z.infer<typeof updateTenantBody>;

export const spendQuery = z.object({
  group_by: z.enum(spendGroupings).default('tenant'),
  since: z.string().optional(),
  until: z.string().optional(),
  tenant: z.string().optional(),
});

export const spendRecordsQuery = z.object({
  since: z.string().optional(),
  until: z.string().optional(),
  tenant: z.string().optional(),
  limit: z.coerce.number().int().positive().max(10_000).default(1000),
});

export const auditQuery = z.object({
  since: z.string().optional(),
  action: z.string().optional(),
  limit: z.coerce.number().int().positive().max(10_000).default(100),
});

/** Key limits of a body, in the repositories' shape. */
export function keySettingsFromBody(body: CreateKeyBody): KeySettings {
  return {
    rpm: body.rpm,
    tpm: body.tpm,
    maxConcurrency: body.max_concurrency,
    budget: body.budget,
    models: body.models,
    tags: body.tags,
    guardrails: body.guardrails,
  };
}

/** Tenant settings of a body, in the repositories' shape (absent fields stay undefined). */
export function tenantSettingsFromBody(body: TenantBody): TenantSettings {
  return {
    rpm: body.rpm,
    tpm: body.tpm,
    maxConcurrency: body.max_concurrency,
    budget: body.budget,
    models: body.models,
    regions: body.regions,
    logBodies: body.log_bodies,
    modelLimits: modelLimitsFromConfig(body.model_limits),
  };
}

/** Settings in the API's snake_case shape, without undefined fields. */
export function settingsToJson(settings: TenantSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {
    rpm: settings.rpm,
    tpm: settings.tpm,
    max_concurrency: settings.maxConcurrency,
    budget: settings.budget,
    models: settings.models,
    regions: settings.regions,
    log_bodies: settings.logBodies,
    model_limits: modelLimitsToJson(settings.modelLimits),
  };
  for (const [name, value] of Object.entries(out)) if (value === undefined) Reflect.deleteProperty(out, name);
  return out;
}

/** Per-model limits in the API's snake_case shape, without undefined fields. */
function modelLimitsToJson(limits: TenantSettings['modelLimits']): Record<string, unknown> | undefined {
  if (limits === undefined) return undefined;
  const out: Record<string, Record<string, number>> = {};
  for (const [group, value] of Object.entries(limits)) {
    const entry: Record<string, number> = {};
    if (value.rpm !== undefined) entry.rpm = value.rpm;
    if (value.tpm !== undefined) entry.tpm = value.tpm;
    if (value.maxConcurrency !== undefined) entry.max_concurrency = value.maxConcurrency;
    out[group] = entry;
  }
  return out;
}
