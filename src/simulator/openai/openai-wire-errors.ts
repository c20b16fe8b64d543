import { formatGoDuration, type SimFailure } from '../sim-failure.ts';
import type { SimHttpResponse } from '../sim-http.ts';
import type { ResponseMeta } from '../wire-protocol.ts';

/** OpenAI's error bodies and response headers (protocols.md 2.3), as the simulator sends them. */

export interface OpenaiError {
  readonly status: number;
  readonly message: string;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly retryAfterMs?: number;
}

const typeByStatus: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  409: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'requests',
};

/** A failure in OpenAI's terms (protocols.md 2.3). */
export function openaiError(failure: SimFailure, model: string): OpenaiError {
  switch (failure.kind) {
    case 'rate': {
      const unit = failure.reason === 'rpm' ? 'requests per min (RPM)' : 'tokens per min (TPM)';
      const message =
        failure.message ??
        `Rate limit reached for ${model} in organization org-sim on ${unit}. Please try again in ${formatGoDuration(failure.retryAfterMs)}. Visit https://platform.openai.com/account/rate-limits to learn more.`;
      return {
        status: 429,
        message,
        type: failure.reason === 'rpm' ? 'requests' : 'tokens',
        param: null,
        code: 'rate_limit_exceeded',
        retryAfterMs: failure.retryAfterMs,
      };
    }
    case 'context_window':
      return {
        status: 400,
        message: `This model's maximum context length is ${failure.limit} tokens. However, your messages resulted in ${failure.inputTokens} tokens. Please reduce the length of the messages.`,
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      };
    case 'status': {
      const server = failure.status >= 500;
      const message =
        failure.message ??
        (failure.status === 503
          ? 'The engine is currently overloaded, please try again later.'
          : server
            ? 'The server had an error while processing your request. Sorry about that!'
            : 'Invalid request.');
      return {
        status: failure.status,
        message,
        type: server ? 'server_error' : (typeByStatus[failure.status] ?? 'invalid_request_error'),
        param: null,
        code: failure.code ?? (failure.status === 429 ? 'rate_limit_exceeded' : null),
        ...(failure.status === 429 || failure.status === 503 ? { retryAfterMs: 1000 } : {}),
      };
    }
  }
}

function rateHeaders(meta: ResponseMeta | undefined): Record<string, string> {
  if (meta === undefined) return {};
  const { limit, remaining } = meta.quota;
  return {
    'x-ratelimit-limit-requests': String(limit.rpm),
    'x-ratelimit-limit-tokens': String(limit.tpm),
    'x-ratelimit-remaining-requests': String(remaining.requests),
    'x-ratelimit-remaining-tokens': String(remaining.tokens),
    'x-ratelimit-reset-requests': formatGoDuration(remaining.resetRequestsMs),
    'x-ratelimit-reset-tokens': formatGoDuration(remaining.resetTokensMs),
  };
}

export function baseHeaders(requestId: string, meta: ResponseMeta | undefined): Record<string, string> {
  return {
    'x-request-id': `req_${requestId.replaceAll('-', '')}`,
    'openai-version': '2020-10-01',
    'openai-organization': 'org-sim',
    'openai-processing-ms': String(meta?.latencyMs ?? 0),
    ...rateHeaders(meta),
  };
}

/** A `content_filter` error (a fault with that code) carries Azure OpenAI's innererror (protocols.md 2.6). */
function azureDetails(error: OpenaiError): Record<string, unknown> {
  if (error.code !== 'content_filter') return {};
  const filtered = { filtered: true, severity: 'high' };
  const safe = { filtered: false, severity: 'safe' };
  return {
    status: error.status,
    innererror: {
      code: 'ResponsibleAIPolicyViolation',
      content_filter_result: { hate: filtered, self_harm: safe, sexual: safe, violence: safe },
    },
  };
}

/** Sends an OpenAI error body with its headers (retry-after and retry-after-ms on 429 and 503). */
export function sendOpenaiError(
  http: SimHttpResponse,
  error: OpenaiError,
  requestId: string,
  meta?: ResponseMeta,
): void {
  const body = JSON.stringify({
    error: {
      message: error.message,
      type: error.type,
      param: error.param,
      code: error.code,
      ...azureDetails(error),
    },
  });
  const retry =
    error.retryAfterMs === undefined
      ? {}
      : {
          'retry-after': String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))),
          'retry-after-ms': String(error.retryAfterMs),
        };
  http.writeHead(error.status, {
    ...baseHeaders(requestId, meta),
    ...retry,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  });
  http.end(body);
}
