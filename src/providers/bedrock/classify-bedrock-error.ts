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
  /** The gateway's code; its client status and policy flags come from the error table. */
  readonly code: ErrorCode;
  /** The HTTP status the exception has on the wire (used for in-stream exceptions). */
  readonly wireStatus: number;
}

const decide = (code: ErrorCode, wireStatus: number): Decision => ({ code, wireStatus });

/** Keyed by the lower-cased exception name. */
const decisions: ReadonlyMap<string, Decision> = new Map<string, Decision>([
  ['throttlingexception', decide('upstream_rate_limited', 429)],
  ['toomanyrequestsexception', decide('upstream_rate_limited', 429)],
  ['modelnotreadyexception', decide('upstream_rate_limited', 429)],
  // An account quota: this account cannot take it now, another deployment may.
  ['servicequotaexceededexception', decide('upstream_quota_exceeded', 400)],
  ['serviceunavailableexception', decide('upstream_unavailable', 503)],
  ['serviceunavailable', decide('upstream_unavailable', 503)],
  ['internalserverexception', decide('upstream_server_error', 500)],
  ['internalfailure', decide('upstream_server_error', 500)],
  ['modeltimeoutexception', decide('upstream_timeout', 408)],
  ['modelerrorexception', decide('upstream_model_error', 424)],
  ['modelstreamerrorexception', decide('upstream_model_error', 424)],
  ['validationexception', decide('upstream_invalid_request', 400)],
  ['resourcenotfoundexception', decide('upstream_not_found', 404)],
  ['accessdeniedexception', decide('upstream_auth_failed', 403)],
  ['unrecognizedclientexception', decide('upstream_auth_failed', 403)],
  ['invalidsignatureexception', decide('upstream_auth_failed', 403)],
  ['invalidclienttokenid', decide('upstream_auth_failed', 403)],
  ['incompletesignature', decide('upstream_auth_failed', 400)],
  ['incompletesignatureexception', decide('upstream_auth_failed', 400)],
  ['missingauthenticationtokenexception', decide('upstream_auth_failed', 403)],
  ['expiredtokenexception', decide('upstream_auth_failed', 403)],
  ['requestexpired', decide('upstream_auth_failed', 400)],
  ['notauthorized', decide('upstream_auth_failed', 400)],
]);

// Bedrock reports an over-long prompt as a plain ValidationException; only its message tells.
const contextWindowPattern =
  /input is too long|too many input tokens|prompt is too long|exceeds? the (?:model'?s? )?context (?:window|length)|context window|maximum context length|input length .*exceed|too long for (?:the )?(?:requested )?model/i;

/** True when a validation message says the prompt does not fit the model's context window. */
export function isContextWindowMessage(message: string): boolean {
  return contextWindowPattern.test(message);
}

// A content refusal is a ValidationException too (Claude on InvokeModel: "Output blocked by content
// filtering policy"; Titan: "... blocked by our content filters"); only its message tells.
const contentPolicyPattern =
  /content filter|content moderation|blocked by (?:our |the )?(?:content|safety)|violates? (?:our |the )?(?:content|usage|acceptable use) polic/i;

/** True when a validation message says a content filter or policy refused the request. */
export function isContentPolicyMessage(message: string): boolean {
  return contentPolicyPattern.test(message);
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
  if (decision?.code === 'upstream_invalid_request' && isContentPolicyMessage(failure.message)) {
    // Another group, under another provider's policy, may take it (content_policy_fallbacks).
    return new GatewayError(message, {
      code: 'upstream_content_filtered',
      upstreamStatus: upstreamStatus ?? 400,
      upstreamCode: errorType,
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
    retryAfterMs: failure.retryAfterMs,
    upstreamStatus,
    upstreamCode: errorType,
  });
}
