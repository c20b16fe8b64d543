import type { Dispatcher } from 'undici';
import type { GatewayError } from '../../errors/gateway-error.ts';
import { badResponse } from '../../errors/upstream-errors.ts';
import { abortedError, classifyTransportError } from './transport-errors.ts';

/** A POST of a JSON body to an upstream. */
export interface UpstreamRequest {
  /** Path including the endpoint's base path, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /** Request headers, lower-case names: an object, or undici's flat [name, value, ...] list. */
  readonly headers: Record<string, string> | string[];
  /** The serialized JSON body. */
  readonly body: string;
  /** Aborting destroys the request and its response body. */
  readonly signal: AbortSignal;
  /** Name of the upstream for error messages, e.g. `openai provider "east"`. */
  readonly upstream: string;
}

/**
 * Sends the request and resolves with the response once its headers arrived. Transport failures
 * reject with a classified GatewayError; HTTP error statuses resolve (the adapter classifies them
 * from the body).
 */
export async function sendUpstreamRequest(
  dispatcher: Dispatcher,
  request: UpstreamRequest,
): Promise<Dispatcher.ResponseData> {
  const { signal } = request;
  if (signal.aborted) throw abortedError(signal);
  try {
    return await dispatcher.request({
      method: 'POST',
      path: request.path,
      headers: request.headers,
      body: request.body,
      signal,
    });
  } catch (error) {
    throw classifyTransportError(error, signal, 'request', request.upstream);
  }
}

/** Largest error body read; the rest is discarded (error bodies are small; a huge one is not an error body). */
const errorBodyLimit = 64 * 1024;

/**
 * Reads an error response's body as text, at most 64 KiB, then releases the socket. Never throws:
 * a body that breaks off yields what arrived (the status alone still classifies the error).
 */
export async function readErrorBody(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= errorBodyLimit) break;
    }
  } catch {
    // Keep what arrived.
  } finally {
    if (!body.destroyed) body.destroy();
  }
  return Buffer.concat(chunks).toString('utf8', 0, Math.min(size, errorBodyLimit));
}

/** Builds the error thrown for a non-2xx status after reading its body; used by both adapters. */
export type ErrorStatusClassifier = (
  status: number,
  headers: Dispatcher.ResponseData['headers'],
  body: string,
) => GatewayError;

/** A whole upstream answer, read without a stream: see {@link sendBufferedRequest}. */
export interface BufferedResponse {
  readonly statusCode: number;
  readonly headers: Dispatcher.ResponseData['headers'];
  /** The body as UTF-8: whole for a 2xx, else at most its first 64 KiB (what arrived, if it broke off). */
  readonly text: string;
}

function decode(first: Buffer | undefined, parts: Buffer[] | undefined, size: number, limit: number): string {
  if (first === undefined) return '';
  const whole = parts === undefined ? first : Buffer.concat(parts, size);
  return whole.toString('utf8', 0, Math.min(size, limit));
}

/**
 * Collects one answer for {@link sendBufferedRequest} from undici's handler callbacks: no body
 * stream, no async iterator, no promise per step (the streaming path keeps `request()`).
 */
class BufferingHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private statusCode = 0;
  private headers: Dispatcher.ResponseData['headers'] = {};
  private first: Buffer | undefined;
  private parts: Buffer[] | undefined;
  private size = 0;
  /** Stop collecting past this many bytes (the 2xx limit, or the error-body limit). */
  private limit = 0;
  private settled = false;
  private readonly request: UpstreamRequest;
  private readonly maxBytes: number;
  private readonly resolve: (response: BufferedResponse) => void;
  private readonly reject: (error: GatewayError) => void;
  private readonly onAbort = (): void => {
    this.controller?.abort(this.request.signal.reason as Error);
  };

  constructor(
    request: UpstreamRequest,
    maxBytes: number,
    resolve: (response: BufferedResponse) => void,
    reject: (error: GatewayError) => void,
  ) {
    this.request = request;
    this.maxBytes = maxBytes;
    this.resolve = resolve;
    this.reject = reject;
    request.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private get success(): boolean {
    return this.statusCode >= 200 && this.statusCode < 300;
  }

  private finish(): void {
    this.settled = true;
    this.request.signal.removeEventListener('abort', this.onAbort);
  }

  private answer(): void {
    this.finish();
    const { statusCode, headers, first, parts, size, limit } = this;
    this.resolve({ statusCode, headers, text: decode(first, parts, size, limit) });
  }

  private fail(error: GatewayError): void {
    this.finish();
    this.reject(error);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.request.signal.aborted) controller.abort(this.request.signal.reason as Error);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Dispatcher.ResponseData['headers'],
  ): void {
    // 1xx informational answers are followed by the real one.
    if (statusCode < 200) return;
    this.statusCode = statusCode;
    this.headers = headers;
    this.limit = this.success ? this.maxBytes : errorBodyLimit;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    if (this.first === undefined) this.first = chunk;
    else (this.parts ??= [this.first]).push(chunk);
    if (this.success) {
      if (this.size > this.limit) {
        this.fail(badResponse(`${this.request.upstream} response is larger than ${this.maxBytes} bytes`));
        controller.abort(new Error('response too large'));
      }
    } else if (this.size >= this.limit) {
      // Enough of an error body: the rest is dropped with the socket.
      this.answer();
      controller.abort(new Error('error body cut'));
    }
  }

  onResponseEnd(): void {
    if (!this.settled) this.answer();
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    if (this.settled) return;
    const { signal, upstream } = this.request;
    if (this.statusCode === 0) this.fail(classifyTransportError(error, signal, 'request', upstream));
    else if (this.success) this.fail(classifyTransportError(error, signal, 'body', upstream));
    // An error body that breaks off yields what arrived: the status alone still classifies it.
    else this.answer();
  }
}

/**
 * Sends the request and resolves with the whole answer, read straight from undici's handler
 * callbacks. Transport failures reject with a classified GatewayError (phase `request` before the
 * headers, `body` after a 2xx's headers); a 2xx body over `maxBytes` is `upstream_bad_response`;
 * an HTTP error status resolves with at most 64 KiB of its body (the adapter classifies it).
 */
export function sendBufferedRequest(
  dispatcher: Dispatcher,
  request: UpstreamRequest,
  maxBytes: number,
): Promise<BufferedResponse> {
  const { signal } = request;
  if (signal.aborted) return Promise.reject(abortedError(signal));
  return new Promise<BufferedResponse>((resolve, reject) => {
    const handler = new BufferingHandler(request, maxBytes, resolve, reject);
    try {
      dispatcher.dispatch(
        { method: 'POST', path: request.path, headers: request.headers, body: request.body },
        handler,
      );
    } catch (error) {
      // undici reports through the handler; another dispatcher might throw.
      handler.onResponseError(null, error as Error);
    }
  });
}
