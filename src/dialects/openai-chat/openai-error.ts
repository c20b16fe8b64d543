import { clientMessage } from '../../errors/client-message.ts';
import type { ErrorCode, GatewayError } from '../../errors/gateway-error.ts';
import type { RenderedError } from '../dialect.ts';
import { errorHeaders } from '../error-headers.ts';

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

/**
 * The error body of the OpenAI API: {error:{message,type,param,code}}, `code` our stable error code.
 * https://platform.openai.com/docs/guides/error-codes
 */
export function openaiErrorBody(error: GatewayError): unknown {
  const type = openaiTypes[error.code] ?? (error.status >= 500 ? 'server_error' : 'invalid_request_error');
  return { error: { message: clientMessage(error), type, param: error.param ?? null, code: error.code } };
}

/** An error as the openai SDK reads it (it picks its error class from the status). */
export function renderOpenaiError(error: GatewayError): RenderedError {
  return { status: error.status, headers: errorHeaders(error), body: JSON.stringify(openaiErrorBody(error)) };
}
