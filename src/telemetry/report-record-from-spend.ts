import { z } from 'zod';
import type { ReportRecord } from './report.ts';

/**
 * Maps spend records as the admin API serves them (`GET /admin/spend/records`: `{ data: [...] }` of
 * snake_case records, src/server/admin/create-admin-handler.ts `spendRecordJson`, `time` as ISO
 * text) to ReportRecord. The camelCase shape of src/persistence SpendRecord (a bare array or
 * `{ records: [...] }`, `time` in epoch ms) is accepted too. Fields the report does not use are
 * ignored; missing optional ones stay undefined.
 */

const count = z.number().int().nonnegative();
const epochMs = z.union([
  z.number(),
  z.string().transform((text, context) => {
    const parsed = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
    if (Number.isNaN(parsed)) {
      context.addIssue({ code: 'custom', message: `not a time: ${text}` });
      return z.NEVER;
    }
    return parsed;
  }),
]);
const optionalNumber = z
  .number()
  .nullish()
  .transform((value) => value ?? undefined);

export const spendRecordJsonSchema = z.object({
  time: epochMs,
  tenant: z.string(),
  requestedGroup: z.string(),
  servedGroup: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  deployment: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  provider: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  region: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  account: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  status: z.number().int(),
  errorCode: z
    .string()
    .nullish()
    .transform((value) => value ?? undefined),
  attempts: count,
  fallbacks: count,
  inputTokens: count,
  outputTokens: count,
  costUsd: optionalNumber,
  latencyMs: z.number().nonnegative(),
  firstTokenMs: optionalNumber,
});

/** A record as the admin API writes it (snake_case), mapped to the camelCase shape above. */
const adminSpendRecordJsonSchema = z
  .object({
    time: epochMs,
    tenant: z.string(),
    requested_group: z.string(),
    served_group: z.string().nullish(),
    deployment: z.string().nullish(),
    provider: z.string().nullish(),
    region: z.string().nullish(),
    account: z.string().nullish(),
    status: z.number().int(),
    error_code: z.string().nullish(),
    attempts: count,
    fallbacks: count,
    input_tokens: count,
    output_tokens: count,
    cost_usd: z.number().nullish(),
    latency_ms: z.number().nonnegative(),
    first_token_ms: z.number().nullish(),
  })
  .transform((record) =>
    spendRecordJsonSchema.parse({
      time: record.time,
      tenant: record.tenant,
      requestedGroup: record.requested_group,
      servedGroup: record.served_group,
      deployment: record.deployment,
      provider: record.provider,
      region: record.region,
      account: record.account,
      status: record.status,
      errorCode: record.error_code,
      attempts: record.attempts,
      fallbacks: record.fallbacks,
      inputTokens: record.input_tokens,
      outputTokens: record.output_tokens,
      costUsd: record.cost_usd,
      latencyMs: record.latency_ms,
      firstTokenMs: record.first_token_ms,
    }),
  );

/** The admin endpoint answers `{ data: [...] }`; an array or `{ records: [...] }` is accepted too. */
const spendRecordsBodySchema = z.union([
  z.object({ data: z.array(adminSpendRecordJsonSchema) }).transform((body) => body.data),
  z.array(spendRecordJsonSchema),
  z.object({ records: z.array(spendRecordJsonSchema) }).transform((body) => body.records),
]);

/** Parses the admin API's answer; throws a ZodError naming the bad field when it does not fit. */
export function reportRecordsFromSpendJson(body: unknown): ReportRecord[] {
  return spendRecordsBodySchema.parse(body).map((record) => ({
    tenant: record.tenant,
    requestedGroup: record.requestedGroup,
    servedGroup: record.servedGroup,
    deployment: record.deployment,
    provider: record.provider,
    region: record.region,
    account: record.account,
    status: record.status,
    errorCode: record.errorCode,
    attempts: record.attempts,
    fallbacks: record.fallbacks,
    inputTokens: record.inputTokens,
    outputTokens: record.outputTokens,
    costUsd: record.costUsd,
    latencyMs: record.latencyMs,
    firstTokenMs: record.firstTokenMs,
    startedAt: record.time,
  }));
}
