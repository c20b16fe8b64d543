import { z } from 'zod';
import type { ReportRecord } from './report.ts';

/**
 * Maps spend records as the admin API serves them (`GET /admin/spend/records`: a JSON array of
 * src/persistence SpendRecord, `time` in epoch ms or ISO text) to ReportRecord. Fields the report
 * does not use are ignored; missing optional ones stay undefined.
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

/** The admin endpoint answers an array; `{ records: [...] }` is accepted too. */
const spendRecordsBodySchema = z.union([
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
