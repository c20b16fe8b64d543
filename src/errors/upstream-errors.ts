import { GatewayError, type ErrorCode } from './gateway-error.ts';

/**
 * Shared classification helpers for provider adapters: the decisions of docs/architecture.md's error section
 * in one place, so every adapter classifies the same way.
 */

interface UpstreamFailure {
  readonly status: number;
  readonly message: string;
  readonly upstreamCode?: string | undefined;
  readonly retryAfterMs?: number | undefined;
  readonly contextWindowExceeded?: boolean | undefined;
  /** The request parameter the upstream named (OpenAI `param`), kept only as a plain field path. */
  readonly param?: string | undefined;
}

/** A field path such as `messages[0].content`: anything else from an upstream is not passed on. */
const safeParam = /^[A-Za-z_][\w.[\]-]{0,127}$/;

/** Classifies an upstream HTTP error status (plus what the adapter recognised in the body). */
export function classifyUpstreamStatus(failure: UpstreamFailure): GatewayError {
  const { status, message, upstreamCode, retryAfterMs } = failure;
  const param = failure.param !== undefined && safeParam.test(failure.param) ? failure.param : undefined;
  const base = { upstreamStatus: status, upstreamCode, retryAfterMs, param };
  if (failure.contextWindowExceeded === true) {
    // Only a larger-context group can help: fallback is decided by the context_window_fallbacks policy.
    return new GatewayError(message, { ...base, code: 'context_window_exceeded' });
  }
  // The client's status and the policies' flags come from the error table: only the code is chosen here.
  const decide = (code: ErrorCode) => new GatewayError(message, { ...base, code });
  if (status === 429) return decide('upstream_rate_limited');
  if (status === 529) return decide('upstream_overloaded');
  if (status === 503) return decide('upstream_unavailable');
  if (status === 408 || status === 504) return decide('upstream_timeout');
  if (status === 401 || status === 403) return decide('upstream_auth_failed');
  if (status === 404) return decide('upstream_not_found');
  if (status === 413) return decide('upstream_request_too_large');
  if (status >= 500) return decide('upstream_server_error');
  if (status >= 400) return decide('upstream_invalid_request');
  return decide('upstream_bad_response');
}

/** A connection that could not be made or was reset: retryable and fallback-eligible. */
export function connectionFailed(message: string, cause?: unknown): GatewayError {
  return new GatewayError(message, {
    code: 'upstream_connection_failed',
    cause,
  });
}

/** A response we cannot understand (bad JSON, bad frame, CRC mismatch): retryable and fallback-eligible. */
export function badResponse(message: string, cause?: unknown): GatewayError {
  return new GatewayError(message, {
    code: 'upstream_bad_response',
    cause,
  });
}

/** A stream that ended or broke before its terminal events: retryable and fallback-eligible. */
export function streamInterrupted(message: string, cause?: unknown): GatewayError {
  return new GatewayError(message, {
    code: 'upstream_stream_interrupted',
    cause,
  });
}

/** A timeout (total, first token, idle gap): retryable and fallback-eligible. */
export function upstreamTimeout(message: string): GatewayError {
  return new GatewayError(message, {
    code: 'upstream_timeout',
  });
}

/**
 * Longest upstream Retry-After believed, in ms (5 min, the longest cooldown): a wild value
 * (`retry-after: 99999`, a date next week) must not reach clients, who would wait that long.
 */
export const maxUpstreamRetryAfterMs = 300_000;

/**
 * Parses Retry-After (seconds or HTTP date) and retry-after-ms / x-amz-retry-after (ms) into ms,
 * at most {@link maxUpstreamRetryAfterMs}. Returns undefined when absent or unparseable.
 */
export function parseRetryAfter(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  now: number = Date.now(),
): number | undefined {
  const first = (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const cap = (value: number): number => Math.min(maxUpstreamRetryAfterMs, value);
  const ms = first('retry-after-ms') ?? first('x-amz-retry-after');
  if (ms !== undefined) {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return cap(value);
  }
  const header = first('retry-after');
  if (header === undefined) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return cap(seconds * 1000);
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return cap(Math.max(0, date - now));
}
