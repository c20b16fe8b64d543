import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants as http2Constants, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';

/** An HTTP request with its whole body, the same for HTTP/1.1 and HTTP/2. */
export interface SimHttpRequest {
  readonly method: string;
  /** Path without the query, still percent-encoded (SigV4 signs it this way). */
  readonly rawPath: string;
  readonly query: URLSearchParams;
  /** Lower-case header names; on HTTP/2 also the pseudo-headers (`:authority`). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The whole body. */
  readonly body: Buffer;
}

/** A response that works the same over HTTP/1.1 and HTTP/2. */
export interface SimHttpResponse {
  /** Sends status and headers (once). */
  writeHead(status: number, headers: Readonly<Record<string, string>>): void;
  /** Writes a chunk; resolves once the transport can take more. */
  write(chunk: string | Uint8Array): Promise<void>;
  /** Ends the response, with an optional last chunk. */
  end(chunk?: string | Uint8Array): void;
  /** Breaks the connection (HTTP/1.1: TCP reset; HTTP/2: RST_STREAM INTERNAL_ERROR). */
  reset(): void;
  /** Aborted when the client goes away before the response ends. */
  readonly signal: AbortSignal;
  /** Whether the status line has been sent. */
  readonly headersSent: boolean;
}

/** First value of a header. */
export function headerValue(request: SimHttpRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Thrown by `readRequest` when the body passes the limit. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Reads the whole body (up to `limit` bytes) and splits the URL. */
export async function readRequest(
  incoming: IncomingMessage | Http2ServerRequest,
  limit: number,
): Promise<SimHttpRequest> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(`request body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  const url = incoming.url ?? '/';
  const queryAt = url.indexOf('?');
  return {
    method: incoming.method ?? 'GET',
    rawPath: queryAt < 0 ? url : url.slice(0, queryAt),
    query: new URLSearchParams(queryAt < 0 ? '' : url.slice(queryAt + 1)),
    headers: incoming.headers,
    body: chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks),
  };
}

function abortOnClose(response: ServerResponse | Http2ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort(new Error('client closed the connection'));
  });
  return controller.signal;
}

function waitDrain(response: ServerResponse | Http2ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    response.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Wraps an HTTP/1.1 response. */
export function wrapHttp1Response(request: IncomingMessage, response: ServerResponse): SimHttpResponse {
  const signal = abortOnClose(response);
  return {
    writeHead: (status, headers) => {
      response.writeHead(status, headers);
      response.flushHeaders();
    },
    write: (chunk) =>
      response.write(chunk) || signal.aborted ? Promise.resolve() : waitDrain(response, signal),
    end: (chunk) => {
      if (chunk === undefined) response.end();
      else response.end(chunk);
    },
    reset: () => {
      request.socket.resetAndDestroy();
    },
    signal,
    get headersSent() {
      return response.headersSent;
    },
  };
}

/** Wraps an HTTP/2 (compatibility API) response. */
export function wrapHttp2Response(response: Http2ServerResponse): SimHttpResponse {
  const signal = abortOnClose(response);
  return {
    writeHead: (status, headers) => {
      response.writeHead(status, headers);
    },
    write: (chunk) =>
      response.write(chunk) || signal.aborted ? Promise.resolve() : waitDrain(response, signal),
    end: (chunk) => {
      if (chunk === undefined) response.end();
      else response.end(chunk);
    },
    reset: () => {
      response.stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR);
    },
    signal,
    get headersSent() {
      return response.headersSent;
    },
  };
}
