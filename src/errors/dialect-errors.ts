import type { Dialect } from '../core/dialect-name.ts';
import type { ErrorCode } from './gateway-error.ts';
import { GatewayError } from './gateway-error.ts';

export interface RenderedError {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

const openaiTypes: Partial<Record<ErrorCode, string>> = {
  invalid_request: 'invalid_request_error',
  invalid_json: 'invalid_request_error',
  request_too_large: 'invalid_request_error',
  unknown_model: 'invalid_request_error',
  not_found: 'invalid_request_error',
  context_window_exceeded: 'invalid_request_error',
  upstream_invalid_request: 'invalid_request_error',
  authentication_failed: 'authentication_error',
  permission_denied: 'permission_error',
  rate_limited: 'rate_limit_error',
  upstream_rate_limited: 'rate_limit_error',
  upstream_quota_exceeded: 'rate_limit_error',
  budget_exceeded: 'insufficient_quota',
};

const anthropicTypes: Partial<Record<ErrorCode, string>> = {
  invalid_request: 'invalid_request_error',
  invalid_json: 'invalid_request_error',
  unknown_model: 'not_found_error',
  not_found: 'not_found_error',
  context_window_exceeded: 'invalid_request_error',
  upstream_invalid_request: 'invalid_request_error',
  request_too_large: 'request_too_large',
  authentication_failed: 'authentication_error',
  permission_denied: 'permission_error',
  rate_limited: 'rate_limit_error',
  upstream_rate_limited: 'rate_limit_error',
  upstream_quota_exceeded: 'rate_limit_error',
  budget_exceeded: 'billing_error',
  upstream_overloaded: 'overloaded_error',
  timeout: 'timeout_error',
  request_timeout: 'timeout_error',
  upstream_timeout: 'timeout_error',
};

/** Headers every error response carries: Retry-After on 429/503/529 (seconds and ms). */
function errorHeaders(error: GatewayError): Record<string, string> {
  const headers: Record<string, string> = { ...error.headers };
  if (error.status === 429 || error.status === 503 || error.status === 529) {
    const ms = Math.max(0, Math.ceil(error.retryAfterMs ?? 1000));
    headers['retry-after'] = String(Math.max(1, Math.ceil(ms / 1000)));
    headers['retry-after-ms'] = String(ms);
  }
  return headers;
}

/** The error body of the OpenAI API: {error:{message,type,param,code}}. */
export function openaiErrorBody(error: GatewayError): unknown {
  const type = openaiTypes[error.code] ?? (error.status >= 500 ? 'server_error' : 'invalid_request_error');
  return { error: { message: error.message, type, param: error.param ?? null, code: error.code } };
}

/** The error body of the Anthropic API: {type:"error",error:{type,message}}. */
export function anthropicErrorBody(error: GatewayError): unknown {
  const type = anthropicTypes[error.code] ?? (error.status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message: error.message } };
}

/** Renders an error for a client of the given dialect. */
export function renderError(error: GatewayError, dialect: Dialect): RenderedError {
  const body = dialect === 'openai' ? openaiErrorBody(error) : anthropicErrorBody(error);
  return { status: error.status, headers: errorHeaders(error), body };
}
