import type { GatewayError } from '../errors/gateway-error.ts';

/**
 * The headers of an error response in any dialect: the error's own (e.g. Allow on a 405), plus
 * Retry-After in seconds and retry-after-ms on 429, 503 and 529, which both official SDKs honour.
 */
export function errorHeaders(error: GatewayError): Record<string, string> {
  const headers: Record<string, string> = { ...error.headers };
  if (error.status === 429 || error.status === 503 || error.status === 529) {
    const ms = Math.max(0, Math.ceil(error.retryAfterMs ?? 1000));
    headers['retry-after'] = String(Math.max(1, Math.ceil(ms / 1000)));
    headers['retry-after-ms'] = String(ms);
  }
  return headers;
}
