import type { IncomingMessage } from 'node:http';
import { findTooDeepPath, maxJsonDepth } from '../core/json-depth.ts';
import { GatewayError, invalidRequest, toGatewayError } from '../errors/gateway-error.ts';
import { formatPath } from '../dialects/validation-error.ts';

/** A body over the limit: the caller answers 413 and then closes the connection (the rest is never read). */
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

/**
 * Reads a JSON request body of at most `maxBytes`. Rejects with GatewayErrors: 415 for a non-JSON
 * content type (an absent one is accepted), 413 as soon as the declared or received size passes the
 * limit (without buffering the rest), 400 invalid_json for an empty or malformed body, 400
 * invalid_request naming the field for JSON nested more than {@link maxJsonDepth} levels, 499
 * client_closed when the client goes away mid-body.
 */
export function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const contentType = req.headers['content-type'];
  if (contentType !== undefined && !isJsonContentType(contentType)) {
    return Promise.reject(
      new GatewayError(`unsupported content-type "${contentType}": send application/json`, {
        code: 'unsupported_media_type',
      }),
    );
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(requestTooLarge(maxBytes));

  return new Promise<unknown>((resolve, reject) => {
    // Most bodies arrive in one chunk: the list is made only for a second one.
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let received = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > maxBytes) {
        cleanup();
        req.pause();
        reject(requestTooLarge(maxBytes));
        return;
      }
      if (first === undefined) first = chunk;
      else (chunks ??= [first]).push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
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
