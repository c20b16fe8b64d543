import { z } from 'zod';
import type { LogLine } from '../gateway-process.ts';

/** The fields of an access-log line (src/telemetry/access-log.ts) the tests read. */
const accessLineSchema = z.looseObject({
  msg: z.literal('request finished'),
  requestId: z.string(),
  tenant: z.string(),
  group: z.string(),
  status: z.number(),
  attempts: z.number(),
  fallbacks: z.number(),
  deployment: z.string().optional(),
  region: z.string().optional(),
  account: z.string().optional(),
});

export type AccessLine = z.infer<typeof accessLineSchema>;

/** The access-log lines among a gateway's stdout JSON lines (other lines are skipped). */
export function accessLines(lines: readonly LogLine[]): AccessLine[] {
  return lines
    .filter((line) => line['msg'] === 'request finished')
    .map((line) => accessLineSchema.parse(line));
}
