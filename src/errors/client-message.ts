import type { ErrorCode, GatewayError } from './gateway-error.ts';

/**
 * The gateway's own wording for what an upstream said, by code. The upstream's text can name the
 * provider, echo fragments of keys (`sk-*****-qqq`) or account details: it goes to the logs only.
 */
const upstreamWording: Partial<Record<ErrorCode, string>> = {
  upstream_rate_limited: 'the upstream is rate limiting requests',
  upstream_quota_exceeded: 'the upstream account is out of quota',
  upstream_overloaded: 'the upstream is overloaded',
  upstream_unavailable: 'the upstream is unavailable',
  upstream_server_error: 'the upstream failed with a server error',
  upstream_model_error: 'the upstream model failed on this request',
  upstream_timeout: 'the upstream did not answer in time',
  upstream_connection_failed: 'the gateway could not connect to the upstream',
  upstream_auth_failed: 'the upstream refused the gateway’s credentials',
  upstream_invalid_request: 'the upstream rejected the request',
  upstream_request_too_large: 'the upstream rejected the request as too large',
  upstream_not_found: 'the upstream does not know the model or endpoint',
  upstream_bad_response: 'the upstream sent an answer the gateway could not read',
  upstream_stream_interrupted: 'the upstream stream broke off',
  context_window_exceeded: 'the request does not fit the model’s context window',
  upstream_content_filtered: 'the upstream’s content filter refused the request',
};

/** An upstream's error code or type, kept only when it is a plain identifier (never free text). */
const safeCode = /^[A-Za-z][\w.:-]{0,63}$/;

/**
 * The message a client sees for an error. The gateway's own errors keep their message; an error
 * an upstream reported (an `upstream_*` code, or any code with an upstream status) gets the gateway's
 * wording plus the upstream's status and code, e.g. `the upstream rejected the request (upstream
 * status 400, code invalid_request_error)`. The request parameter at fault travels in `param`.
 */
export function clientMessage(error: GatewayError): string {
  const wording = upstreamWording[error.code];
  if (wording === undefined || (!error.code.startsWith('upstream_') && error.upstreamStatus === undefined)) {
    return error.message;
  }
  const details: string[] = [];
  if (error.upstreamStatus !== undefined) details.push(`upstream status ${error.upstreamStatus}`);
  if (error.upstreamCode !== undefined && safeCode.test(error.upstreamCode)) {
    details.push(`code ${error.upstreamCode}`);
  }
  return details.length === 0 ? wording : `${wording} (${details.join(', ')})`;
}

/** Key-like tokens (API keys, masked or not; AWS access key ids; bearer tokens) in upstream text. */
const secretPattern = /\b(?:sk|pk|rk|ak|key)[-_][\w*-]{4,}|\bAKIA[A-Z0-9]{12,}|\bBearer\s+\S+/gi;

/**
 * The error's full message for the logs (the upstream's own text included), with key-like tokens
 * replaced by `[redacted]`.
 */
export function logMessage(error: GatewayError): string {
  return error.message.replace(secretPattern, '[redacted]');
}
