import { GatewayError, isGatewayError } from '../../errors/gateway-error.ts';
import {
  badResponse,
  connectionFailed,
  streamInterrupted,
  upstreamTimeout,
} from '../../errors/upstream-errors.ts';

/** Where in an upstream exchange a transport failure happened. */
export type TransportPhase =
  /** Before or while waiting for response headers. */
  | 'request'
  /** Reading a complete (non-streamed) body after the headers arrived. */
  | 'body'
  /** Reading a streamed body after the headers arrived. */
  | 'stream';

/**
 * The error for an aborted call: the signal's reason when a policy aborted with a GatewayError
 * (timeouts, failover), else `client_closed` (the client went away).
 */
export function abortedError(signal: AbortSignal): GatewayError {
  const reason: unknown = signal.reason;
  if (isGatewayError(reason)) return reason;
  return new GatewayError('the request was aborted before the upstream answered', {
    code: 'client_closed',
    cause: reason,
  });
}

const connectionCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

const timeoutCodes = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

const truncationCodes = new Set(['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'ERR_STREAM_PREMATURE_CLOSE']);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // net errors wrapped by undici keep the system error in `cause`.
  return errorCode((error as { cause?: unknown }).cause);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Classifies a failure thrown by undici or the socket (never an HTTP status: those go through
 * classifyUpstreamStatus). An aborted signal always wins, so a policy's timeout is reported as that
 * timeout and not as the socket error the abort caused.
 */
export function classifyTransportError(
  error: unknown,
  signal: AbortSignal,
  phase: TransportPhase,
  upstream: string,
): GatewayError {
  if (signal.aborted) return abortedError(signal);
  if (isGatewayError(error)) return error;
  const code = errorCode(error);
  const detail = `${describe(error)}${code === undefined ? '' : ` (${code})`}`;
  if (code !== undefined && timeoutCodes.has(code)) {
    return upstreamTimeout(`${upstream} did not answer in time: ${detail}`);
  }
  if (phase === 'stream') {
    return streamInterrupted(`${upstream} stream broke before its end: ${detail}`, error);
  }
  if (code !== undefined && truncationCodes.has(code)) {
    return badResponse(`${upstream} sent a truncated response: ${detail}`, error);
  }
  if (code !== undefined && connectionCodes.has(code)) {
    const where = phase === 'request' ? 'connection failed' : 'connection broke while reading the response';
    return connectionFailed(`${upstream} ${where}: ${detail}`, error);
  }
  if (code === 'UND_ERR_ABORTED' || (error instanceof Error && error.name === 'AbortError')) {
    // Aborted without our signal: the pool was closed under the request.
    return connectionFailed(`${upstream} request was cancelled: ${detail}`, error);
  }
  if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_ARG_TYPE') {
    return new GatewayError(`${upstream} request could not be built: ${detail}`, {
      code: 'internal_error',
      cause: error,
    });
  }
  // Unknown socket-level failures (HTTP parser errors, TLS alerts) are the upstream's fault.
  return connectionFailed(`${upstream} request failed: ${detail}`, error);
}
