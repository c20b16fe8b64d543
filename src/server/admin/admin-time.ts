import { GatewayError } from '../../errors/gateway-error.ts';
import { parseDuration } from '../../governance/parse-duration.ts';

/**
 * A time parameter: an ISO 8601 time ("2026-01-10", "2026-01-10T12:00:00Z"), epoch milliseconds,
 * or a duration ago ("24h", "7d"). Undefined stays undefined; anything else is a 400 naming `param`.
 */
export function parseTimeParameter(
  value: string | undefined,
  now: number,
  param: string,
): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^\d{10,}$/.test(value)) return Number(value);
  const ago = parseDuration(value);
  if (ago !== undefined) return now - ago;
  const parsed = Date.parse(value);
  if (Number.isFinite(parsed)) return parsed;
  throw new GatewayError(`${param}: expected an ISO 8601 time, epoch milliseconds or a duration like 24h`, {
    code: 'invalid_request',
    param,
  });
}

/** Epoch ms as ISO 8601, undefined kept. */
export function isoTime(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
