/**
 * The one error taxonomy. Providers set `retryable` and `fallbackEligible` from the wire; policies
 * read only those flags; the server renders the error in the client's dialect (dialect-errors.ts).
 */

/** Stable codes; clients and dashboards may rely on them. */
export type ErrorCode =
  // the client's own mistakes and limits
  | 'invalid_request'
  | 'invalid_json'
  | 'request_too_large'
  | 'unknown_model'
  | 'not_found'
  | 'authentication_failed'
  | 'permission_denied'
  | 'rate_limited'
  | 'budget_exceeded'
  // upstream outcomes, classified by the adapters
  | 'upstream_rate_limited'
  | 'upstream_overloaded'
  | 'upstream_unavailable'
  | 'upstream_server_error'
  | 'upstream_timeout'
  | 'upstream_connection_failed'
  | 'upstream_auth_failed'
  | 'upstream_invalid_request'
  | 'upstream_not_found'
  | 'upstream_bad_response'
  | 'upstream_stream_interrupted'
  | 'context_window_exceeded'
  | 'unsupported'
  // the gateway's own outcomes
  | 'no_capacity'
  | 'timeout'
  | 'client_closed'
  | 'shutting_down'
  | 'internal_error';

export interface GatewayErrorOptions {
  readonly code: ErrorCode;
  /** HTTP status the client receives if this error ends the request. */
  readonly status: number;
  /** Try the same target again (after backoff)? */
  readonly retryable?: boolean;
  /** Try the next target (another deployment or a fallback group)? */
  readonly fallbackEligible?: boolean;
  /** How long the upstream (or our limiter) asked to wait, if it said. */
  readonly retryAfterMs?: number | undefined;
  /** The request parameter at fault, for validation errors (OpenAI `param`). */
  readonly param?: string | undefined;
  /** The upstream's own status and error code, for logs and metrics. */
  readonly upstreamStatus?: number | undefined;
  readonly upstreamCode?: string | undefined;
  readonly cause?: unknown;
}

export class GatewayError extends Error {
  override readonly name: string = 'GatewayError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly fallbackEligible: boolean;
  readonly retryAfterMs: number | undefined;
  readonly param: string | undefined;
  readonly upstreamStatus: number | undefined;
  readonly upstreamCode: string | undefined;
  /** Extra response headers (e.g. RateLimit fields on a 429 from our own limits). */
  readonly headers: Record<string, string> = {};

  constructor(message: string, options: GatewayErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.fallbackEligible = options.fallbackEligible ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.param = options.param;
    this.upstreamStatus = options.upstreamStatus;
    this.upstreamCode = options.upstreamCode;
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

/** A bad request from the client: never retried, never failed over. */
export function invalidRequest(message: string, param?: string): GatewayError {
  return new GatewayError(message, { code: 'invalid_request', status: 400, param });
}

/** Anything that is not already a GatewayError becomes an internal error (message kept, no stack to clients). */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError(`internal error: ${message}`, {
    code: 'internal_error',
    status: 500,
    cause: error,
  });
}
