/**
 * The one error table: for every error code, the HTTP status the client gets and the flags the
 * policies read. Nothing else decides them: call sites name a code, `GatewayError` takes the rest from
 * here, and the retry, fallback, breaker and cooldown policies read only the flags, never the code.
 *
 * Codes are a stable contract (clients, dashboards and spend records see them): add codes, do not
 * rename them. A code whose meaning needs other flags is a new code, not a flag override.
 */
export interface ErrorEntry {
  /** HTTP status the client receives if this error ends the request. */
  readonly status: number;
  /**
   * Other statuses this code may be sent with, chosen at the call site (the type of
   * `GatewayErrorOptions.status` allows only these). Only where clients already rely on one code with
   * two statuses.
   */
  readonly otherStatuses?: readonly number[];
  /** Try the same target again (after backoff)? */
  readonly retryable: boolean;
  /** Try the next target (another deployment or a fallback group)? */
  readonly fallbackEligible: boolean;
  /** Does it say the deployment itself is unwell (a failure for its circuit breaker)? */
  readonly countsAgainstHealth: boolean;
  /** Does it take the deployment out of every replica's plans for a while (its Retry-After)? */
  readonly coolsDeployment: boolean;
  /** Is the request itself over (its deadline passed, its client left): no further attempt helps? */
  readonly endsRequest: boolean;
  /** Can only a group with a larger context window help (the `context_window_fallbacks` policy)? */
  readonly contextFallback: boolean;
  /**
   * Did a content filter refuse the request (Azure's `content_filter`, a provider's policy)? Another
   * group, with another provider's policy, may take it: the content-policy fallback reads this flag.
   */
  readonly contentPolicyFallback: boolean;
  /**
   * Did the attempt fail by running out of time (latency statistics count it as a slow answer)?
   * Failover then excludes the deployment for the rest of the request: waiting on it again rarely
   * helps, so the next attempt goes to another deployment or the fallback at once.
   */
  readonly slowFailure: boolean;
  /**
   * Was the request's body left unread (too large, too slow)? The edge answers with
   * `connection: close` and drops the connection instead of waiting for the rest.
   */
  readonly closesConnection: boolean;
}

const flags = {
  retryable: false,
  fallbackEligible: false,
  countsAgainstHealth: false,
  coolsDeployment: false,
  endsRequest: false,
  contextFallback: false,
  contentPolicyFallback: false,
  slowFailure: false,
  closesConnection: false,
} as const;

/** The client's own mistake or limit: never retried, never failed over, says nothing about health. */
const client = <S extends number>(status: S) => ({ ...flags, status });
/** The deployment is unwell now: retry it, fail over, count it against its health. */
const unwell = <S extends number>(status: S) => ({
  ...flags,
  status,
  retryable: true,
  fallbackEligible: true,
  countsAgainstHealth: true,
});
/** This deployment cannot serve the request, another may: fail over, do not retry it. */
const elsewhere = <S extends number>(status: S, countsAgainstHealth: boolean) => ({
  ...flags,
  status,
  fallbackEligible: true,
  countsAgainstHealth,
});

export const errorTable = {
  // the client's own mistakes and limits
  invalid_request: client(400),
  invalid_json: client(400),
  request_too_large: { ...client(413), closesConnection: true },
  /** The request body did not fully arrive within `server.body_timeout_ms`. */
  request_timeout: { ...client(408), closesConnection: true },
  /** The route exists but not for this HTTP method (an `Allow` header says which). */
  method_not_allowed: client(405),
  /** The body is not `application/json`. */
  unsupported_media_type: client(415),
  /** An admin write that conflicts with what exists (a tenant or key name taken). */
  conflict: client(409),
  unknown_model: client(404),
  not_found: client(404),
  authentication_failed: client(401),
  permission_denied: client(403),
  rate_limited: client(429),
  budget_exceeded: client(402),
  // upstream outcomes, classified by the adapters
  /** The upstream throttled: wait (it cools the deployment) or go elsewhere. */
  upstream_rate_limited: { ...unwell(429), countsAgainstHealth: false, coolsDeployment: true },
  /** The account is out of quota or credit: waiting on it does not help, another account may. */
  upstream_quota_exceeded: { ...elsewhere(429, false), coolsDeployment: true },
  upstream_overloaded: unwell(529),
  upstream_unavailable: unwell(503),
  upstream_server_error: unwell(502),
  /** The model itself failed on this request (Bedrock ModelErrorException): the same call fails again. */
  upstream_model_error: elsewhere(502, true),
  upstream_timeout: { ...unwell(504), slowFailure: true },
  upstream_connection_failed: unwell(502),
  upstream_auth_failed: elsewhere(502, true),
  upstream_invalid_request: client(400),
  /** The upstream refused the request's size (its 413). */
  upstream_request_too_large: client(413),
  upstream_not_found: elsewhere(502, true),
  upstream_bad_response: unwell(502),
  upstream_stream_interrupted: unwell(502),
  context_window_exceeded: { ...client(400), contextFallback: true },
  /**
   * The upstream's content filter refused the request (Azure OpenAI `content_filter` /
   * ResponsibleAIPolicyViolation): not retried; only a group under another policy can help.
   */
  upstream_content_filtered: { ...client(400), contentPolicyFallback: true },
  /**
   * A gateway guardrail refused the request or the answer (decision 0021): the message names the
   * guardrail, never the matched text. The client's own content: not retried, not failed over.
   */
  content_policy: client(400),
  /** Something this deployment (or the gateway) does not support; another deployment may. */
  unsupported: elsewhere(400, false),
  // the gateway's own outcomes
  /**
   * Nothing could serve: 503 when breakers or cooldowns excluded the deployments, 429 (Retry-After =
   * soonest refill) when they were all at their limits (decision 0005).
   */
  no_capacity: { ...client(503), otherStatuses: [429] },
  /** The request's own deadline passed. */
  timeout: { ...client(504), endsRequest: true },
  client_closed: { ...client(499), endsRequest: true },
  /**
   * A hedged request's other attempt produced its first token first: this one was aborted (decision
   * 0016). Never sent to a client; says nothing about the deployment's health.
   */
  hedge_cancelled: client(499),
  /**
   * A hedged request's first attempt had no first token when the hedge, started later, produced
   * one: it was aborted, and counts against its deployment's health (decision 0016). Never sent to
   * a client.
   */
  hedge_outpaced: { ...client(499), countsAgainstHealth: true },
  shutting_down: client(503),
  /** The shared state store (Redis) did not answer; callers fall back to local state. */
  state_unavailable: { ...client(503), retryable: true },
  internal_error: { ...client(500), countsAgainstHealth: true },
} as const satisfies Record<string, ErrorEntry>;

/** Stable codes; clients and dashboards may rely on them. */
export type ErrorCode = keyof typeof errorTable;

/** The statuses a code may be sent with: its own, and any `otherStatuses` it lists. */
export type StatusOf<C extends ErrorCode> =
  | (typeof errorTable)[C]['status']
  | ((typeof errorTable)[C] extends { readonly otherStatuses: readonly (infer S)[] } ? S : never);

/** Every code, in table order. */
export const errorCodes: readonly ErrorCode[] = Object.keys(errorTable) as ErrorCode[];

/** The table entry of `code`. */
export function errorEntry(code: ErrorCode): ErrorEntry {
  return errorTable[code];
}

/** True when `value` is one of the table's codes. */
export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(errorTable, value);
}
