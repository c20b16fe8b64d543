import { clientMessage } from '../../errors/client-message.ts';
import type { ErrorCode, GatewayError } from '../../errors/gateway-error.ts';
import type { RenderedError } from '../dialect.ts';
import { errorHeaders } from '../error-headers.ts';

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

/**
 * The error body of the Anthropic API: {type:"error",error:{type,message}}.
 * https://docs.claude.com/en/api/errors
 */
export function anthropicErrorBody(error: GatewayError): unknown {
  const type = anthropicTypes[error.code] ?? (error.status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message: clientMessage(error) } };
}

/** An error as the Anthropic SDK reads it (it picks its error class from the status). */
export function renderAnthropicError(error: GatewayError): RenderedError {
  return {
    status: error.status,
    headers: errorHeaders(error),
    body: JSON.stringify(anthropicErrorBody(error)),
  };
}
