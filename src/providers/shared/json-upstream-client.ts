import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import type { CallContext } from '../../core/chat-model.ts';
import { readJsonBody } from './read-json-body.ts';
import { readErrorBody, sendUpstreamRequest, type ErrorStatusClassifier } from './send-upstream-request.ts';
import { sharedPools, type PoolLease, type SharedPools } from './upstream-pool.ts';
import { parseUpstreamEndpoint } from './upstream-endpoint.ts';
import { abortedError } from './transport-errors.ts';

export interface JsonUpstreamClientOptions {
  /** The provider's base URL; its origin picks the pool, its path prefixes every request. */
  readonly baseUrl: string;
  /** Name for error messages, e.g. `openai provider "east"`. */
  readonly upstream: string;
  /** Headers sent with every request (auth, version, configured extras), lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Header that carries the gateway request id upstream, if any. */
  readonly requestIdHeader?: string | undefined;
  /** Builds the GatewayError of a non-2xx response. */
  readonly classifyError: ErrorStatusClassifier;
  /** A dispatcher owned by the caller (not closed by `close`); default: a lease on `pools`. */
  readonly dispatcher?: Dispatcher | undefined;
  /** Where to lease the origin's pool when no dispatcher is given (default: the process-wide pools). */
  readonly pools?: SharedPools | undefined;
}

/**
 * POSTs JSON to one upstream over a pooled dispatcher and turns every failure into a classified
 * GatewayError: transport errors by code, HTTP errors by the adapter's classifier.
 */
export class JsonUpstreamClient {
  private readonly dispatcher: Dispatcher;
  private readonly lease: PoolLease | undefined;
  private readonly basePath: string;
  private readonly options: JsonUpstreamClientOptions;

  constructor(options: JsonUpstreamClientOptions) {
    this.options = options;
    const endpoint = parseUpstreamEndpoint(options.baseUrl);
    this.basePath = endpoint.basePath;
    if (options.dispatcher === undefined) {
      this.lease = (options.pools ?? sharedPools).acquire(endpoint.origin);
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

  /**
   * POSTs `body` to `basePath + path` and resolves with a 2xx response (its body still to read).
   * Rejects with a classified GatewayError for transport failures and non-2xx statuses (whose
   * body is read and released first).
   */
  async post(path: string, body: string, context: CallContext): Promise<Dispatcher.ResponseData> {
    const { headers, requestIdHeader, upstream } = this.options;
    const requestHeaders: Record<string, string> = { ...headers };
    if (requestIdHeader !== undefined) requestHeaders[requestIdHeader] = context.requestId;
    if (context.traceparent !== undefined) requestHeaders['traceparent'] = context.traceparent;
    const response = await sendUpstreamRequest(this.dispatcher, {
      path: this.basePath + path,
      headers: requestHeaders,
      body,
      signal: context.signal,
      upstream,
    });
    if (response.statusCode >= 200 && response.statusCode < 300) return response;
    const text = await readErrorBody(response.body);
    if (context.signal.aborted) throw abortedError(context.signal);
    throw this.options.classifyError(response.statusCode, response.headers, text);
  }

  /** POSTs `body` and parses the 2xx answer with `schema` (bad JSON or shape: `upstream_bad_response`). */
  async postJson<T>(path: string, body: string, schema: z.ZodType<T>, context: CallContext): Promise<T> {
    const response = await this.post(path, body, context);
    return readJsonBody(response.body, schema, { signal: context.signal, upstream: this.options.upstream });
  }

  /** Gives back the pool lease (the shared pool closes with its last user); a given dispatcher is left open. */
  async close(): Promise<void> {
    await this.lease?.release();
  }
}
