import type { Dispatcher } from 'undici';
import type { GatewayError } from '../../errors/gateway-error.ts';
import { abortedError, classifyTransportError } from './transport-errors.ts';

/** A POST of a JSON body to an upstream. */
export interface UpstreamRequest {
  /** Path including the endpoint's base path, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /** Request headers, lower-case names. */
  readonly headers: Record<string, string>;
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
