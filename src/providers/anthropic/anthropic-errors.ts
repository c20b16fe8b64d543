import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { GatewayError } from '../../errors/gateway-error.ts';
import { classifyUpstreamStatus, parseRetryAfter } from '../../errors/upstream-errors.ts';

/** `{"type":"error","error":{"type":"rate_limit_error","message":"…"},"request_id":"req_…"}` (protocols.md §3.4). */
const errorBodySchema = z.object({
  error: z.object({ type: z.string().nullish(), message: z.string().nullish() }),
});

interface AnthropicErrorInfo {
  readonly type: string | undefined;
  readonly message: string;
}

function readInfo(body: unknown, fallback: string): AnthropicErrorInfo {
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) return { type: undefined, message: fallback };
  return { type: parsed.data.error.type ?? undefined, message: parsed.data.error.message ?? fallback };
}

const contextWindowPattern = /prompt is too long|exceed context limit|context window/i;

/** The HTTP status each documented error type is sent with (for errors that arrive inside a 200 stream). */
const statusOfType: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

function classify(
  status: number,
  info: AnthropicErrorInfo,
  retryAfterMs: number | undefined,
  upstream: string,
) {
  const message = `${upstream}: ${info.message}`;
  if (info.type === 'billing_error' || status === 402) {
    // The account cannot pay: waiting does not help, another account or provider may.
    return new GatewayError(message, {
      code: 'upstream_quota_exceeded',
      upstreamStatus: status,
      upstreamCode: info.type,
    });
  }
  return classifyUpstreamStatus({
    status,
    message,
    upstreamCode: info.type,
    retryAfterMs,
    contextWindowExceeded: status === 400 && contextWindowPattern.test(info.message),
  });
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Classifies a non-2xx Messages API response from its status, headers and body. */
export function classifyAnthropicErrorResponse(
  status: number,
  headers: IncomingHttpHeaders,
  bodyText: string,
  upstream: string,
  now: number,
): GatewayError {
  const fallback = bodyText.length > 0 ? bodyText.slice(0, 500) : `HTTP ${status}`;
  return classify(status, readInfo(parseBody(bodyText), fallback), parseRetryAfter(headers, now), upstream);
}

/** Classifies an `event: error` that arrived inside a 200 stream (e.g. overloaded_error → retryable). */
export function classifyAnthropicStreamError(body: unknown, upstream: string): GatewayError {
  const info = readInfo(body, 'error inside the stream');
  const status = info.type === undefined ? 500 : (statusOfType[info.type] ?? 500);
  return classify(status, info, undefined, upstream);
}
