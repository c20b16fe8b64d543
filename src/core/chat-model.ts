import type { ChatRequest } from './chat-request.ts';
import type { ChatResponse } from './chat-response.ts';
import type { EmbeddingRequest, EmbeddingResponse } from './embedding.ts';
import type { ChatStreamEvent } from './stream-event.ts';
import type { UpstreamLimitHint } from './upstream-limits.ts';

/** What an adapter needs from the request it serves. */
export interface CallContext {
  /** Aborted when the client disconnects or a policy gives up (timeout, failover). */
  readonly signal: AbortSignal;
  /** The gateway request id, forwarded upstream where the protocol has a place for it. */
  readonly requestId: string;
  /** W3C traceparent to propagate upstream, if tracing is on. */
  readonly traceparent?: string | undefined;
  /**
   * Malformed stream events in a row (not JSON, the wrong shape, a bad frame) that fail a stream
   * as `upstream_bad_response`; fewer are skipped and the stream goes on. Default 3; 1 fails on the first.
   */
  readonly malformedEventLimit?: number | undefined;
  /** Told of each malformed stream event skipped (metrics); never throws. */
  readonly onMalformedEvent?: ((reason: string) => void) | undefined;
  /**
   * Told what the upstream's rate-limit headers say, on any response that has them (a 429
   * included), before the answer or error is returned; never throws.
   */
  readonly onUpstreamLimits?: ((hint: UpstreamLimitHint) => void) | undefined;
}

/**
 * A provider adapter for one model at one endpoint (one deployment). It translates canonical to wire
 * and back, and classifies every failure as a GatewayError (errors/). It never retries, sleeps or
 * falls back: policies do that.
 */
export interface ChatModel {
  /** Provider type, e.g. "bedrock", "openai", "anthropic". */
  readonly providerType: string;
  /** The upstream model id this adapter calls (`request.model` is ignored). */
  readonly modelId: string;
  /** One complete answer. Rejects with a GatewayError. */
  generate(request: ChatRequest, context: CallContext): Promise<ChatResponse>;
  /**
   * A stream of canonical events. Any failure, including a stream that ends without its terminal
   * events, is thrown from the iterator as a GatewayError. Breaking out of the loop or aborting the
   * signal releases the upstream connection.
   */
  stream(request: ChatRequest, context: CallContext): AsyncIterable<ChatStreamEvent>;
  /** Embeddings, where the provider and model support them. Rejects with a GatewayError otherwise. */
  embed(request: EmbeddingRequest, context: CallContext): Promise<EmbeddingResponse>;
  /**
   * The input tokens `request` would bill, by the upstream's own counter (Anthropic count_tokens,
   * Bedrock CountTokens). Absent where the upstream has none; the gateway then estimates.
   * Rejects with a GatewayError.
   */
  countTokens?(request: ChatRequest, context: CallContext): Promise<number>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}
