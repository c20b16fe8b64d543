import type {
  HedgeOutcome,
  RateLimited,
  RetryDenied,
  StreamRecoveryOutcome,
} from '../core/gateway-events.ts';
import { isErrorCode } from '../errors/error-table.ts';

/**
 * Label values for metrics from fixed sets: every label is bounded. Error codes come from the fixed
 * taxonomy (any other string becomes "other"); status codes collapse to classes; the other closed
 * sets (limit scopes and kinds, retry denial reasons) map anything else to "unknown". Names the
 * configuration declares (groups, deployments, tenants, ...) are bounded by MetricLabelDomain.
 */

/** The label value for "no error". */
export const NO_ERROR = 'none';
/** The label value for a label that does not apply (e.g. no deployment was chosen). */
export const NOT_APPLICABLE = 'none';

/** A bounded error-code label: the code itself when it is in the taxonomy, else "other". */
export function errorCodeLabel(code: string | undefined): string {
  if (code === undefined) return NO_ERROR;
  return isErrorCode(code) ? code : 'other';
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

const hedgeOutcomes = { won: true, lost: true, failed: true, denied: true } as const satisfies Record<
  HedgeOutcome,
  true
>;

/** A hedge outcome label (won, lost, failed, denied), else "unknown". */
export function hedgeOutcomeLabel(outcome: string): string {
  return Object.hasOwn(hedgeOutcomes, outcome) ? outcome : unknown;
}

const cacheResults = { hit: true, miss: true, bypass: true } as const;

/** A cache lookup result label (hit, miss, bypass), else "unknown". */
export function cacheResultLabel(result: string): string {
  return Object.hasOwn(cacheResults, result) ? result : unknown;
}

/** A retry denial reason label (budget-exhausted, deadline), else "unknown". */
export function retryDenialLabel(reason: string): string {
  return Object.hasOwn(denialReasons, reason) ? reason : unknown;
}

const recoveryOutcomes = { continued: true, failed: true, refused: true } as const satisfies Record<
  StreamRecoveryOutcome,
  true
>;

/** A stream recovery outcome label (continued, failed, refused), else "unknown". */
export function recoveryOutcomeLabel(outcome: string): string {
  return Object.hasOwn(recoveryOutcomes, outcome) ? outcome : unknown;
}
