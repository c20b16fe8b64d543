import { GatewayError, type ErrorCode } from '../../errors/gateway-error.ts';
import { classifyUpstreamStatus } from '../../errors/upstream-errors.ts';

/**
 * Bedrock's error taxonomy (protocols.md 1.6) mapped onto the gateway's. The same table serves HTTP
 * errors (`x-amzn-ErrorType`, PascalCase) and in-stream exception frames (`:exception-type`,
 * lowerCamel), so names are compared case-insensitively.
 */

/** What the adapter read off one Bedrock failure. */
export interface BedrockFailure {
  /** HTTP status; for in-stream exceptions, the status of the exception's HTTP counterpart, if known. */
  readonly status: number | undefined;
  /** The error type as sent (`ThrottlingException`, `throttlingException`, ...), already cut at `:`. */
  readonly errorType: string | undefined;
  /** The upstream message (`message` / `Message`). */
  readonly message: string;
  /** From Retry-After / x-amz-retry-after, if the upstream sent one. */
  readonly retryAfterMs?: number | undefined;
}

interface Decision {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly fallbackEligible: boolean;
  /** The HTTP status the exception has on the wire (used for in-stream exceptions). */
  readonly wireStatus: number;
}

const rateLimited = (wireStatus: number): Decision => ({
  code: 'upstream_rate_limited',
  status: 429,
  retryable: true,
  fallbackEligible: true,
  wireStatus,
});
const authFailed = (wireStatus: number): Decision => ({
  code: 'upstream_auth_failed',
  status: 502,
  retryable: false,
  fallbackEligible: true,
  wireStatus,
});

/** Keyed by the lower-cased exception name. */
const decisions: ReadonlyMap<string, Decision> = new Map<string, Decision>([
  ['throttlingexception', rateLimited(429)],
  ['toomanyrequestsexception', rateLimited(429)],
  ['modelnotreadyexception', rateLimited(429)],
  [
    'servicequotaexceededexception',
    // An account quota: this account cannot take it now, another deployment may.
    { code: 'upstream_rate_limited', status: 429, retryable: false, fallbackEligible: true, wireStatus: 400 },
  ],
  [
    'serviceunavailableexception',
    { code: 'upstream_unavailable', status: 503, retryable: true, fallbackEligible: true, wireStatus: 503 },
  ],
  [
    'serviceunavailable',
    { code: 'upstream_unavailable', status: 503, retryable: true, fallbackEligible: true, wireStatus: 503 },
  ],
  [
    'internalserverexception',
    { code: 'upstream_server_error', status: 502, retryable: true, fallbackEligible: true, wireStatus: 500 },
  ],
  [
    'internalfailure',
    { code: 'upstream_server_error', status: 502, retryable: true, fallbackEligible: true, wireStatus: 500 },
  ],
  [
    'modeltimeoutexception',
    { code: 'upstream_timeout', status: 504, retryable: true, fallbackEligible: true, wireStatus: 408 },
  ],
  [
    'modelerrorexception',
    { code: 'upstream_server_error', status: 502, retryable: false, fallbackEligible: true, wireStatus: 424 },
  ],
  [
    'modelstreamerrorexception',
    { code: 'upstream_server_error', status: 502, retryable: false, fallbackEligible: true, wireStatus: 424 },
  ],
  [
    'validationexception',
    {
      code: 'upstream_invalid_request',
      status: 400,
      retryable: false,
      fallbackEligible: false,
      wireStatus: 400,
    },
  ],
  [
    'resourcenotfoundexception',
    { code: 'upstream_not_found', status: 502, retryable: false, fallbackEligible: true, wireStatus: 404 },
  ],
  ['accessdeniedexception', authFailed(403)],
  ['unrecognizedclientexception', authFailed(403)],
  ['invalidsignatureexception', authFailed(403)],
  ['invalidclienttokenid', authFailed(403)],
  ['incompletesignature', authFailed(400)],
  ['incompletesignatureexception', authFailed(400)],
  ['missingauthenticationtokenexception', authFailed(403)],
  ['expiredtokenexception', authFailed(403)],
  ['requestexpired', authFailed(400)],
  ['notauthorized', authFailed(400)],
]);

// Bedrock reports an over-long prompt as a plain ValidationException; only its message tells.
const contextWindowPattern =
  /input is too long|too many input tokens|prompt is too long|exceeds? the (?:model'?s? )?context (?:window|length)|context window|maximum context length|input length .*exceed|too long for (?:the )?(?:requested )?model/i;

/** True when a validation message says the prompt does not fit the model's context window. */
export function isContextWindowMessage(message: string): boolean {
  return contextWindowPattern.test(message);
}

/** Cuts an error code as the SDK does: at `:` and `,`, and after `#`. */
export function sanitizeErrorType(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let value = raw.trim();
  const colon = value.indexOf(':');
  if (colon >= 0) value = value.slice(0, colon);
  const comma = value.indexOf(',');
  if (comma >= 0) value = value.slice(0, comma);
  const hash = value.lastIndexOf('#');
  if (hash >= 0) value = value.slice(hash + 1);
  return value === '' ? undefined : value;
}

/** Classifies one Bedrock failure (HTTP error response or in-stream exception) as a GatewayError. */
export function classifyBedrockError(failure: BedrockFailure): GatewayError {
  const errorType = sanitizeErrorType(failure.errorType);
  const decision = errorType === undefined ? undefined : decisions.get(errorType.toLowerCase());
  const upstreamStatus = failure.status ?? decision?.wireStatus;
  const message = `bedrock: ${errorType ?? 'error'}${upstreamStatus === undefined ? '' : ` (${upstreamStatus})`}: ${failure.message}`;
  if (decision?.code === 'upstream_invalid_request' && isContextWindowMessage(failure.message)) {
    return classifyUpstreamStatus({
      status: upstreamStatus ?? 400,
      message,
      upstreamCode: errorType,
      contextWindowExceeded: true,
    });
  }
  if (decision === undefined) {
    // Unknown type: decide on the status alone (an unknown type with 503 is an outage, per the SDK).
    return classifyUpstreamStatus({
      status: upstreamStatus ?? 500,
      message,
      upstreamCode: errorType,
      retryAfterMs: failure.retryAfterMs,
    });
  }
  return new GatewayError(message, {
    code: decision.code,
    status: decision.status,
    retryable: decision.retryable,
    fallbackEligible: decision.fallbackEligible,
    retryAfterMs: failure.retryAfterMs,
    upstreamStatus,
    upstreamCode: errorType,
  });
}
