import { z } from 'zod';

/** Zod schemas for database rows: PostgreSQL returns BIGINT and sums as strings, SQLite as numbers. */

const count = z.coerce.number();
const optionalCount = z
  .union([z.null(), z.coerce.number()])
  .transform((value) => (value === null ? undefined : value));
const optionalText = z
  .string()
  .nullable()
  .transform((value) => (value === null ? undefined : value));

const budget = z.object({ usd: z.number().nonnegative(), period: z.enum(['day', 'week', 'month', 'total']) });

export const tenantSettingsSchema = z.object({
  rpm: z.number().int().positive().optional(),
  tpm: z.number().int().positive().optional(),
  maxConcurrency: z.number().int().positive().optional(),
  budget: budget.optional(),
  models: z.array(z.string()).optional(),
  regions: z.array(z.string()).optional(),
  logBodies: z.boolean().optional(),
  modelLimits: z
    .record(
      z.string(),
      z.object({
        rpm: z.number().int().positive().optional(),
        tpm: z.number().int().positive().optional(),
        maxConcurrency: z.number().int().positive().optional(),
      }),
    )
    .optional(),
});

export const keySettingsSchema = z.object({
  rpm: z.number().int().positive().optional(),
  tpm: z.number().int().positive().optional(),
  maxConcurrency: z.number().int().positive().optional(),
  budget: budget.optional(),
  models: z.array(z.string()).optional(),
  tags: z.array(z.string()).optional(),
  guardrails: z.array(z.string()).optional(),
});

/** A JSON text column parsed with the given schema. */
function jsonColumn<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text): unknown => JSON.parse(text))
    .pipe(schema);
}

export const tenantRow = z.object({
  name: z.string(),
  settings: jsonColumn(tenantSettingsSchema),
  created_at: count,
  updated_at: count,
});

export const keyRow = z.object({
  id: z.string(),
  hash: z.string(),
  prefix: z.string(),
  tenant: z.string(),
  name: optionalText,
  settings: jsonColumn(keySettingsSchema),
  created_at: count,
  expires_at: optionalCount,
  revoked_at: optionalCount,
  updated_at: count,
});

export const spendRow = z.object({
  id: z.string(),
  request_id: z.string(),
  time_ms: count,
  tenant: z.string(),
  key_id: z.string(),
  requested_group: z.string(),
  served_group: z.string(),
  deployment: z.string(),
  provider: z.string(),
  provider_type: z.string(),
  region: z.string(),
  account: z.string(),
  model: z.string(),
  dialect: z.string(),
  endpoint: z.string(),
  stream: count,
  status: count,
  error_code: optionalText,
  attempts: count,
  fallbacks: count,
  input_tokens: count,
  output_tokens: count,
  cache_read_tokens: count,
  cache_write_tokens: count,
  cost_usd: optionalCount,
  latency_ms: count,
  first_token_ms: optionalCount,
  overhead_ms: count,
  usage_estimated: count,
  answered_by: optionalText,
  saved_usd: optionalCount,
  route: optionalText,
});

export const spendSumRow = z.object({
  group_key: z.union([z.string(), z.number()]),
  requests: count,
  errors: z.coerce.number().nullable(),
  input_tokens: z.coerce.number().nullable(),
  output_tokens: z.coerce.number().nullable(),
  cache_read_tokens: z.coerce.number().nullable(),
  cache_write_tokens: z.coerce.number().nullable(),
  cost_usd: z.coerce.number().nullable(),
});

export const auditRow = z.object({
  id: z.string(),
  time_ms: count,
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  details: jsonColumn(z.record(z.string(), z.unknown())),
});
