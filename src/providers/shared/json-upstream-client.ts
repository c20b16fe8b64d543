import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import type { CallContext } from '../../core/chat-model.ts';
import type { UpstreamLimitHint } from '../../core/upstream-limits.ts';
import { maxUpstreamBodyBytes, parseJsonWith, type QuickCheck } from './read-json-body.ts';
import {
  readErrorBody,
  sendBufferedRequest,
  sendUpstreamRequest,
  type ErrorStatusClassifier,
  type UpstreamRequest,
} from './send-upstream-request.ts';
import { sharedPools, type PoolLease, type SharedPools, type ConnectionTuning } from './upstream-pool.ts';
import { parseUpstreamEndpoint } from './upstream-endpoint.ts';
import { abortedError } from './transport-errors.ts';

export interface JsonUpstreamClientOptions {
  /** The provider's base URL; its origin picks the pool, its path prefixes every request, its query ends each. */
  readonly baseUrl: string;
  /** Name for error messages, e.g. `openai provider "east"`. */
  readonly upstream: string;
  /** Headers sent with every request (auth, version, configured extras), lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Header that carries the gateway request id upstream, if any. */
  readonly requestIdHeader?: string | undefined;
  /** Builds the GatewayError of a non-2xx response. */
  readonly classifyError: ErrorStatusClassifier;
  /** Reads the upstream's rate-limit headers of any response (told to `CallContext.onUpstreamLimits`). */
  readonly readLimits?:
    ((headers: Dispatcher.ResponseData['headers']) => UpstreamLimitHint | undefined) | undefined;
  /** A dispatcher owned by the caller (not closed by `close`); default: a lease on `pools`. */
  readonly dispatcher?: Dispatcher | undefined;
  /** Where to lease the origin's pool when no dispatcher is given (default: the process-wide pools). */
  readonly pools?: SharedPools | undefined;
  /** The provider's connection settings for that pool. */
  readonly connections?: ConnectionTuning | undefined;
}

/**
 * POSTs JSON to one upstream over a pooled dispatcher and turns every failure into a classified
 * GatewayError: transport errors by code, HTTP errors by the adapter's classifier.
 */
export class JsonUpstreamClient {
  private readonly dispatcher: Dispatcher;
  private readonly lease: PoolLease | undefined;
  private readonly basePath: string;
  /** The base URL's query (with its `?`), kept on every request. */
  private readonly query: string;
  private readonly options: JsonUpstreamClientOptions;
  /** `options.headers` as undici's flat [name, value, ...] list, less the two set per request. */
  private readonly fixedHeaders: readonly string[];
  /** A configured `traceparent`, sent when the request carries none of its own. */
  private readonly configuredTraceparent: string | undefined;

  constructor(options: JsonUpstreamClientOptions) {
    this.options = options;
    const endpoint = parseUpstreamEndpoint(options.baseUrl);
    this.basePath = endpoint.basePath;
    this.query = endpoint.query;
    const fixed: string[] = [];
    for (const name in options.headers) {
      if (name === options.requestIdHeader || name === 'traceparent') continue;
      fixed.push(name, options.headers[name] as string);
    }
    this.fixedHeaders = fixed;
    this.configuredTraceparent = options.headers['traceparent'];
    if (options.dispatcher === undefined) {
      this.lease = (options.pools ?? sharedPools).acquire(endpoint.origin, options.connections);
      this.dispatcher = this.lease.pool;
    } else {
      this.lease = undefined;
      this.dispatcher = options.dispatcher;
    }
  }

  /** Name of the upstream for error messages. */
  get upstream(): string {
    return this.options.upstream;
  }

  /** The request to send: fixed headers plus the request id and trace context of this call. */
  private upstreamRequest(path: string, body: string, context: CallContext): UpstreamRequest {
    const requestIdHeader = this.options.requestIdHeader;
    // A flat list is undici's own form (an object is walked with Object.keys); per-request values
    // replace configured ones of the same name, as an object's keys would.
    const headers = this.fixedHeaders.slice();
    if (requestIdHeader !== undefined) headers.push(requestIdHeader, context.requestId);
    const traceparent = context.traceparent ?? this.configuredTraceparent;
    if (traceparent !== undefined) headers.push('traceparent', traceparent);
    return {
      path: this.basePath + path + this.query,
      headers,
      body,
      signal: context.signal,
      upstream: this.options.upstream,
    };
  }

  /**
   * POSTs `body` to `basePath + path + query` and resolves with a 2xx response (its body still to read).
   * Rejects with a classified GatewayError for transport failures and non-2xx statuses (whose
   * body is read and released first).
   */
  async post(path: string, body: string, context: CallContext): Promise<Dispatcher.ResponseData> {
    const response = await sendUpstreamRequest(this.dispatcher, this.upstreamRequest(path, body, context));
    this.tellLimits(response.headers, context);
    if (response.statusCode >= 200 && response.statusCode < 300) return response;
    const text = await readErrorBody(response.body);
    if (context.signal.aborted) throw abortedError(context.signal);
    throw this.options.classifyError(response.statusCode, response.headers, text);
  }

  /**
   * POSTs `body` and parses the 2xx answer with `schema` (bad JSON or shape: `upstream_bad_response`);
   * `quickCheck` vouches for the usual shape without the schema (see read-json-body.ts). The answer
   * is read whole from undici's callbacks (sendBufferedRequest), failures classified as by `post`.
   */
  async postJson<T>(
    path: string,
    body: string,
    schema: z.ZodType<T>,
    context: CallContext,
    quickCheck?: QuickCheck,
  ): Promise<T> {
    const response = await sendBufferedRequest(
      this.dispatcher,
      this.upstreamRequest(path, body, context),
      maxUpstreamBodyBytes,
    );
    this.tellLimits(response.headers, context);
    const { upstream, classifyError } = this.options;
    if (response.statusCode >= 200 && response.statusCode < 300)
      return parseJsonWith(response.text, schema, `${upstream} response`, quickCheck);
    if (context.signal.aborted) throw abortedError(context.signal);
    throw classifyError(response.statusCode, response.headers, response.text);
  }

  /** Tells the caller what the response's rate-limit headers say (when it listens). */
  private tellLimits(headers: Dispatcher.ResponseData['headers'], context: CallContext): void {
    const listener = context.onUpstreamLimits;
    const read = this.options.readLimits;
    if (listener === undefined || read === undefined) return;
    const hint = read(headers);
    if (hint !== undefined) listener(hint);
  }

  /** Gives back the pool lease (the shared pool closes with its last user); a given dispatcher is left open. */
  async close(): Promise<void> {
    await this.lease?.release();
  }
}
