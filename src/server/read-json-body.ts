import type { IncomingMessage } from 'node:http';
import { startTimer, systemClock, type Clock } from '../core/clock.ts';
import { findTooDeepPath, maxJsonDepth } from '../core/json-depth.ts';
import { GatewayError, invalidRequest, toGatewayError } from '../errors/gateway-error.ts';
import { formatPath } from '../dialects/validation-error.ts';

/**
 * How much of an over-size body is read and thrown away before the 413 is sent. Answering while the
 * client still sends makes the kernel reset the connection (unread data at close), and most clients
 * then report the reset, not the 413. Past this bound the 413 is sent at once and the connection
 * dropped.
 */
export const discardLimitBytes = 64 * 1024 * 1024;

/** Limits of reading one body. */
export interface BodyReadOptions {
  /** The whole body must arrive within this time, or 408 (`server.body_timeout_ms`; none when absent). */
  readonly timeoutMs?: number | undefined;
  /** The clock of the body timeout (default: the system clock). */
  readonly clock?: Clock | undefined;
  /** Read the body as JSON whatever content type it declares (DialectRoute.anyContentType). */
  readonly anyContentType?: boolean | undefined;
}

/** A body over the limit: the caller answers 413 with `connection: close`. */
export function requestTooLarge(maxBytes: number): GatewayError {
  return new GatewayError(`request body exceeds the limit of ${maxBytes} bytes`, {
    code: 'request_too_large',
  });
}

function isJsonContentType(value: string): boolean {
  const semicolon = value.indexOf(';');
  const type = (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * A request body's bytes as a JSON value: 400 invalid_json when empty or malformed, 400
 * invalid_request naming the field when nested more than {@link maxJsonDepth} levels.
 */
export function parseJsonBody(buffer: Buffer): unknown {
  if (buffer.length === 0) {
    throw new GatewayError('request body is empty: expected a JSON object', {
      code: 'invalid_json',
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(buffer.toString('utf8')) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new GatewayError(`request body is not valid JSON: ${detail}`, {
      code: 'invalid_json',
      cause: error,
    });
  }
  checkJsonDepth(body);
  return body;
}

/** Longest field path quoted in a too-deep error (a path has at most maxJsonDepth keys, but keys can be long). */
const maxQuotedPathLength = 2048;

/**
 * A 400 naming the first value nested deeper than {@link maxJsonDepth}, before any recursive code
 * (zod, JSON.stringify, the translators) sees the body and overflows the stack.
 */
function checkJsonDepth(body: unknown): void {
  const path = findTooDeepPath(body, maxJsonDepth);
  if (path === undefined) return;
  let param = formatPath(path);
  if (param.length > maxQuotedPathLength) param = `${param.slice(0, maxQuotedPathLength)}…`;
  throw invalidRequest(`${param}: JSON nested more than ${maxJsonDepth} levels deep`, param);
}

/** A body that did not arrive in time: the caller answers 408 and drops the connection. */
export function bodyTimedOut(timeoutMs: number): GatewayError {
  return new GatewayError(`request body not received within ${timeoutMs} ms`, {
    code: 'request_timeout',
  });
}

/**
 * Reads a JSON request body of at most `maxBytes`. Rejects with GatewayErrors: 415 for a non-JSON
 * content type (an absent one is accepted; any one with `anyContentType`), 413 once the declared or received size passes the limit
 * (the rest is read and discarded up to `discardLimitBytes`, not buffered, so that the client can
 * read the answer; `req.complete` says whether it all was), 408 when the body takes longer than
 * `options.timeoutMs`, 400 invalid_json for an empty or malformed body, 400 invalid_request naming
 * the field for JSON nested more than {@link maxJsonDepth} levels, 499 client_closed when the client
 * goes away mid-body.
 */
export function readJsonBody(
  req: IncomingMessage,
  maxBytes: number,
  options: BodyReadOptions = {},
): Promise<unknown> {
  const contentType = req.headers['content-type'];
  if (contentType !== undefined && options.anyContentType !== true && !isJsonContentType(contentType)) {
    return Promise.reject(
      new GatewayError(`unsupported content-type "${contentType}": send application/json`, {
        code: 'unsupported_media_type',
      }),
    );
  }
  const declared = req.headers['content-length'];
  const declaredBytes = declared === undefined ? 0 : Number(declared);
  if (declaredBytes > discardLimitBytes) return Promise.reject(requestTooLarge(maxBytes));

  return new Promise<unknown>((resolve, reject) => {
    // Most bodies arrive in one chunk: the list is made only for a second one.
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let received = 0;
    let tooLarge = declaredBytes > maxBytes;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : startTimer(options.clock ?? systemClock, options.timeoutMs, () => {
            cleanup();
            req.pause();
            reject(bodyTimedOut(options.timeoutMs ?? 0));
          });
    const cleanup = (): void => {
      timer?.close();
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (!tooLarge && received <= maxBytes) {
        if (first === undefined) first = chunk;
        else (chunks ??= [first]).push(chunk);
        return;
      }
      // Over the limit: keep reading (so the client can read the 413), keep nothing.
      tooLarge = true;
      first = undefined;
      chunks = undefined;
      if (received > discardLimitBytes) {
        cleanup();
        req.pause();
        reject(requestTooLarge(maxBytes));
      }
    };
    const onEnd = (): void => {
      cleanup();
      if (tooLarge) {
        reject(requestTooLarge(maxBytes));
        return;
      }
      try {
        const body =
          first === undefined
            ? Buffer.alloc(0)
            : chunks === undefined
              ? first
              : Buffer.concat(chunks, received);
        resolve(parseJsonBody(body));
      } catch (error) {
        reject(toGatewayError(error));
      }
    };
    const onAborted = (): void => {
      cleanup();
      reject(
        new GatewayError('client closed the connection while sending the body', {
          code: 'client_closed',
        }),
      );
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(
        new GatewayError(`error reading the request body: ${error.message}`, {
          code: 'client_closed',
          cause: error,
        }),
      );
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
