/**
 * The one error taxonomy. Adapters and stages name a code; its status and flags come from the error
 * table (error-table.ts); policies read only the flags; each dialect renders it for its clients
 * (src/dialects/, one error file per dialect).
 */

import { errorTable, type ErrorCode, type StatusOf } from './error-table.ts';

export type { ErrorCode } from './error-table.ts';

interface CommonOptions {
  /** How long the upstream (or our limiter) asked to wait, if it said. */
  readonly retryAfterMs?: number | undefined;
  /** The request parameter at fault, for validation errors (OpenAI `param`). */
  readonly param?: string | undefined;
  /** The upstream's own status and error code, for logs and metrics. */
  readonly upstreamStatus?: number | undefined;
  readonly upstreamCode?: string | undefined;
  readonly cause?: unknown;
}

/**
 * The code names the error; its status and flags come from the error table. `status` may only pick
 * one of the code's `otherStatuses` (the compiler refuses any other).
 */
export type GatewayErrorOptions = CommonOptions &
  (
    | { readonly code: ErrorCode; readonly status?: undefined }
    | { [C in ErrorCode]: { readonly code: C; readonly status: StatusOf<C> } }[ErrorCode]
  );

export class GatewayError extends Error {
  override readonly name: string = 'GatewayError';
  readonly code: ErrorCode;
  readonly status: number;
  /** Try the same target again (after backoff)? */
  readonly retryable: boolean;
  /** Try the next target (another deployment or a fallback group)? */
  readonly fallbackEligible: boolean;
  /** The table's other flags (error-table.ts says what each means); policies read these, never `code`. */
  readonly countsAgainstHealth: boolean;
  readonly coolsDeployment: boolean;
  readonly endsRequest: boolean;
  readonly contextFallback: boolean;
  readonly contentPolicyFallback: boolean;
  readonly slowFailure: boolean;
  readonly closesConnection: boolean;
  readonly retryAfterMs: number | undefined;
  readonly param: string | undefined;
  readonly upstreamStatus: number | undefined;
  readonly upstreamCode: string | undefined;
  /** Extra response headers (e.g. RateLimit fields on a 429 from our own limits). */
  readonly headers: Record<string, string> = {};

  constructor(message: string, options: GatewayErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    const entry = errorTable[options.code];
    this.status = options.status ?? entry.status;
    this.retryable = entry.retryable;
    this.fallbackEligible = entry.fallbackEligible;
    this.countsAgainstHealth = entry.countsAgainstHealth;
    this.coolsDeployment = entry.coolsDeployment;
    this.endsRequest = entry.endsRequest;
    this.contextFallback = entry.contextFallback;
    this.contentPolicyFallback = entry.contentPolicyFallback;
    this.slowFailure = entry.slowFailure;
    this.closesConnection = entry.closesConnection;
    this.retryAfterMs = options.retryAfterMs;
    this.param = options.param;
    this.upstreamStatus = options.upstreamStatus;
    this.upstreamCode = options.upstreamCode;
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

/** The error of a request whose client went away (the edge saw the connection close): never retried. */
export function clientClosed(): GatewayError {
  return new GatewayError('the client closed the request', { code: 'client_closed' });
}

/** A bad request from the client: never retried, never failed over. */
export function invalidRequest(message: string, param?: string): GatewayError {
  return new GatewayError(message, { code: 'invalid_request', param });
}

/** Anything that is not already a GatewayError becomes an internal error (message kept, no stack to clients). */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError(`internal error: ${message}`, {
    code: 'internal_error',
    cause: error,
  });
}
