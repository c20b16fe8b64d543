import type { ChatRequest } from '../core/chat-request.ts';
import type { Readiness } from '../core/readiness.ts';
import type { ChatResponse } from '../core/chat-response.ts';
import type { EmbeddingRequest, EmbeddingResponse } from '../core/embedding.ts';
import type { Target } from '../core/gateway-events.ts';
import type { Principal } from '../core/principal.ts';
import type { ChatStreamEvent } from '../core/stream-event.ts';
import type { DialectName } from '../core/dialect-name.ts';
import type { ModelInfo } from '../core/model-info.ts';

/**
 * The request pipeline as the HTTP edge sees it: authenticate, tenant limits, plan, execute, account.
 * The server parses and renders; everything between is behind this interface.
 */

export interface RequestContext {
  /**
   * The gateway's own id for this request: always generated here, unique (spend record key, leases,
   * events, the `x-spillway-request-id` header).
   */
  readonly requestId: string;
  /** The client's `x-request-id`, when it sent a sane one (not unique: clients reuse ids). */
  readonly clientRequestId?: string | undefined;
  /** The name of the client's dialect (a label for logs, metrics and spend records). */
  readonly dialect: DialectName;
  readonly principal: Principal;
  /** Aborted when the client disconnects: the upstream call is aborted too. */
  readonly signal: AbortSignal;
  /** Epoch ms when the request arrived at the edge. */
  readonly receivedAt: number;
  /** W3C traceparent from the client, if any. */
  readonly traceparent?: string | undefined;
  /** Optional region prefixes from the request (header `x-spillway-regions`), narrowing the tenant's. */
  readonly regions?: readonly string[] | undefined;
  /** The raw request body, kept only when the tenant logs bodies. */
  readonly rawBody?: unknown;
  /** Tags from the client's `x-spillway-tags` header (router rules match them); undefined when none. */
  readonly tags?: readonly string[] | undefined;
  /** The client's `cache-control` request directives that the response cache honours. */
  readonly cacheControl?: CacheControl | undefined;
}

/** `cache-control: no-cache` (do not answer from the cache) and `no-store` (nor keep the answer). */
export interface CacheControl {
  readonly noCache: boolean;
  readonly noStore: boolean;
}

/** Where the answer came from: the source of the x-spillway-* response headers. */
export interface RouteInfo {
  /** The deployment that served the answer; undefined when a request stage answered without one. */
  readonly target: Target | undefined;
  /** Upstream attempts made, failed ones included (0 when a stage answered). */
  readonly attempts: number;
  /** The request stage that answered (e.g. a cache hit); undefined when a deployment did. */
  readonly stage?: StageRoute | undefined;
  /** A hedge attempt served the answer (decision 0016). */
  readonly hedged?: boolean | undefined;
}

/** An answer a request stage gave without calling a deployment. */
export interface StageRoute {
  /** The stage's name. */
  readonly name: string;
  /** The model group the request asked for (after any change by an earlier stage). */
  readonly group: string;
}

export interface ChatResult {
  readonly response: ChatResponse;
  readonly route: RouteInfo;
  /** Cost in USD when the deployment has prices. */
  readonly costUsd?: number | undefined;
  /** Extra headers for the client (remaining quota: RateLimit, x-ratelimit-*). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface StreamResult {
  /** The deployment that produced the stream (or the stage that answered). */
  readonly route: RouteInfo;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The events, starting with those already received before this result resolved (the pipeline
   * fails over only until the first event, then commits). Errors after that are thrown from the
   * iterator as GatewayErrors and must end the client stream with an in-band error event.
   * Breaking out of the loop aborts the upstream.
   */
  readonly events: AsyncIterable<ChatStreamEvent>;
}

export interface EmbedResult {
  readonly response: EmbeddingResponse;
  readonly route: RouteInfo;
  readonly costUsd?: number | undefined;
  readonly headers: Readonly<Record<string, string>>;
}

/** The input tokens of a request, and who counted them. */
export interface TokenCountResult {
  readonly inputTokens: number;
  /** `upstream`: a deployment's own counter (Anthropic, Bedrock); `estimate`: the gateway's estimate. */
  readonly source: 'upstream' | 'estimate';
  /** The deployment whose counter answered (undefined for the estimate). */
  readonly target: Target | undefined;
}

// The dialects render model lists too, and import only core: the type lives there.
export type { ModelInfo } from '../core/model-info.ts';

export interface Gateway {
  /**
   * Resolves a credential (from `Authorization: Bearer` or `x-api-key`) to a principal, from memory:
   * never a database round trip. Throws GatewayError 401 for a missing, unknown, expired or revoked key.
   */
  authenticate(credential: string | undefined): Principal;
  /** A complete answer. Rejects with a GatewayError (rendered by the server in the client's dialect). */
  chat(request: ChatRequest, context: RequestContext): Promise<ChatResult>;
  /** Resolves once a deployment has produced its first event; rejects with a GatewayError before that. */
  streamChat(request: ChatRequest, context: RequestContext): Promise<StreamResult>;
  embed(request: EmbeddingRequest, context: RequestContext): Promise<EmbedResult>;
  /**
   * The input tokens `request` would bill on its group: by the first deployment (in the group's
   * order) whose upstream has a counter, else the gateway's estimate. Optional for test doubles.
   */
  countTokens?(request: ChatRequest, context: RequestContext): Promise<TokenCountResult>;
  /** The model groups this principal may use. */
  listModels(principal: Principal): readonly ModelInfo[];
  /**
   * Whether the gateway can serve now (ready unless a check is down) and the state of the config and
   * of each store: a store that is away but degraded gracefully (limits enforced locally, spend
   * records buffered and spooled) is listed as degraded and does not make the gateway unready.
   */
  readiness(): Readiness;
}
