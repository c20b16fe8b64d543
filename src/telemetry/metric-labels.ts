import type { RateLimited, RetryDenied } from '../core/gateway-events.ts';
import type { ErrorCode } from '../errors/gateway-error.ts';

/**
 * Label values for metrics from fixed sets: every label is bounded. Error codes come from the fixed
 * taxonomy (any other string becomes "other"); status codes collapse to classes; the other closed
 * sets (limit scopes and kinds, retry denial reasons) map anything else to "unknown". Names the
 * configuration declares (groups, deployments, tenants, ...) are bounded by MetricLabelDomain.
 */

/** Every ErrorCode; `satisfies` makes the compiler flag a code added to the taxonomy but not here. */
const knownErrorCodes = {
  invalid_request: true,
  invalid_json: true,
  request_too_large: true,
  unknown_model: true,
  not_found: true,
  authentication_failed: true,
  permission_denied: true,
  rate_limited: true,
  budget_exceeded: true,
  upstream_rate_limited: true,
  upstream_overloaded: true,
  upstream_unavailable: true,
  upstream_server_error: true,
  upstream_timeout: true,
  upstream_connection_failed: true,
  upstream_auth_failed: true,
  upstream_invalid_request: true,
  upstream_not_found: true,
  upstream_bad_response: true,
  upstream_stream_interrupted: true,
  context_window_exceeded: true,
  unsupported: true,
  no_capacity: true,
  timeout: true,
  client_closed: true,
  shutting_down: true,
  internal_error: true,
} as const satisfies Record<ErrorCode, true>;

/** The label value for "no error". */
export const NO_ERROR = 'none';
/** The label value for a label that does not apply (e.g. no deployment was chosen). */
export const NOT_APPLICABLE = 'none';

/** A bounded error-code label: the code itself when it is in the taxonomy, else "other". */
export function errorCodeLabel(code: string | undefined): string {
  if (code === undefined) return NO_ERROR;
  return Object.hasOwn(knownErrorCodes, code) ? code : 'other';
}

/** 2xx, 3xx, 4xx, 5xx (or "other" for anything outside 100..599). */
export function statusClassLabel(status: number): string {
  if (status >= 200 && status < 300) return '2xx';
  if (status >= 400 && status < 500) return '4xx';
  if (status >= 500 && status < 600) return '5xx';
  if (status >= 300 && status < 400) return '3xx';
  if (status >= 100 && status < 200) return '1xx';
  return 'other';
}

const unknown = 'unknown';
const scopes = { tenant: true, key: true, deployment: true } as const satisfies Record<
  RateLimited['scope'],
  true
>;
const limits = { rpm: true, tpm: true, concurrency: true, budget: true } as const satisfies Record<
  RateLimited['limit'],
  true
>;
const denialReasons = { 'budget-exhausted': true, deadline: true } as const satisfies Record<
  RetryDenied['reason'],
  true
>;

/** A rate-limit scope label (tenant, key, deployment), else "unknown". */
export function scopeLabel(scope: string): string {
  return Object.hasOwn(scopes, scope) ? scope : unknown;
}

/** A rate-limit kind label (rpm, tpm, concurrency, budget), else "unknown". */
export function limitLabel(limit: string): string {
  return Object.hasOwn(limits, limit) ? limit : unknown;
}

/** A retry denial reason label (budget-exhausted, deadline), else "unknown". */
export function retryDenialLabel(reason: string): string {
  return Object.hasOwn(denialReasons, reason) ? reason : unknown;
}
