import type { ChatRequest } from '../core/chat-request.ts';
import type { ChatResponse } from '../core/chat-response.ts';
import type { DialectName } from '../core/dialect-name.ts';
import type { EmbeddingRequest, EmbeddingResponse } from '../core/embedding.ts';
import type { ModelInfo } from '../core/model-info.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import type { StreamRenderer } from './stream-renderer.ts';

/**
 * One client API the gateway speaks (OpenAI Chat Completions, Anthropic Messages, ...), version 1 of
 * the interface. A dialect owns everything that differs between client APIs: the paths it serves,
 * parsing its bodies into the canonical request, rendering canonical answers, streams and errors in
 * its wire shape, and the headers its clients expect. The HTTP edge runs the same steps for every
 * dialect and never branches on which one it is; the pipeline sees only canonical types and the
 * dialect's name. A new client API is a new folder under src/dialects/ implementing this interface
 * plus one line in dialect-registry.ts; every dialect passes dialect.contract.ts.
 *
 * A breaking change to this interface adds `'v2'` to `specificationVersion` (as the Vercel AI SDK
 * versions its provider interfaces) so a dialect states which contract it was written against.
 */
export interface Dialect {
  /** The version of this interface the dialect implements. */
  readonly specificationVersion: 'v1';
  /** Stable lower-case name for logs, metrics and spend records; unique in the registry. */
  readonly name: DialectName;
  /** The routes the dialect serves, each with the edge operation that handles it. */
  readonly routes: readonly DialectRoute[];
  /**
   * True when the request headers show a client of this dialect (Anthropic: `anthropic-version`). It
   * picks the dialect for a path several dialects serve (GET /v1/models) and the dialect of the
   * error for a path none serves; when no dialect claims a request, the registry's first one answers.
   */
  claims(headers: RequestHeaders): boolean;
  /**
   * Response headers that carry the request id besides `x-request-id` (Anthropic's `request-id`):
   * the edge sets each to the client's `x-request-id`, else the gateway's own id.
   */
  readonly requestIdHeaders: readonly string[];
  /**
   * Chat body → canonical request; throws a 400 GatewayError whose `param` names the field at fault.
   * `route` says what the path fixed (a dialect whose routes do not use them may ignore it).
   */
  parseChat(body: unknown, route: ChatRouteParams): ParsedChat;
  /**
   * The JSON text of a complete answer; `model` is the group that served it (after a fallback, the
   * fallback's: decision 0016), `created` epoch s, `parsed` the request as this dialect parsed it
   * (for a dialect echoing request fields back).
   */
  renderChat(response: ChatResponse, model: string, created: number, parsed: ParsedChat): string;
  /**
   * A renderer for one stream; `requestId` names the stream when the upstream gives no id. The
   * edge passes `parsed.request.model` as the group that served (decision 0016): chunks name it.
   */
  createStreamRenderer(parsed: ParsedChat, requestId: string, created: number): StreamRenderer;
  /** An error as this dialect's clients read it: status, Retry-After headers and the JSON body text. */
  renderError(error: GatewayError): RenderedError;
  /**
   * The content type of a streamed answer; undefined: `text/event-stream` (SSE). A dialect with a
   * binary stream (Bedrock's `application/vnd.amazon.eventstream`) names its own.
   */
  readonly streamContentType?: string | undefined;
  /** Model listing in this dialect, or undefined when the dialect serves no `list-models` route. */
  readonly models: ModelsRenderer | undefined;
  /** Embeddings in this dialect, or undefined when the dialect serves no `embeddings` route. */
  readonly embeddings: EmbeddingsCodec | undefined;
  /** Token counting in this dialect (Anthropic count_tokens), needed by a `count-tokens` route. */
  readonly countTokens?: TokenCountCodec | undefined;
}

/** A token-count route of a dialect: the body of the request to count, and the count's JSON. */
export interface TokenCountCodec {
  /**
   * Body → the canonical request it counts; throws a 400 GatewayError whose `param` names the field.
   * `route` carries the path's `{model}` segment, where the route has one.
   */
  parse(body: unknown, route: ChatRouteParams): ChatRequest;
  /** The JSON text of the count. */
  render(inputTokens: number): string;
}

/** Request headers as node:http gives them (names lower case). */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Outgoing headers as node:http takes them. */
export type ResponseHeaders = Record<string, string | number>;

/** What the edge does for a route; the dialect supplies the parsing and rendering. */
export type DialectOperation = 'chat' | 'embeddings' | 'list-models' | 'get-model' | 'count-tokens';

/** One path a dialect serves. */
export interface DialectRoute {
  /** The one method the route accepts (others get a 405 naming it in Allow). */
  readonly method: 'GET' | 'POST';
  /**
   * The exact path; for `get-model`, the prefix the model id follows (ends with `/`). A chat or
   * count-tokens path may hold one `{model}` segment (Bedrock: `/model/{model}/converse`): any one percent-encoded path
   * segment matches it, and its decoded value reaches `parseChat` as `route.model`.
   */
  readonly path: string;
  /** The edge operation serving it (needs `models` for the model operations, `embeddings` for embeddings). */
  readonly operation: DialectOperation;
  /**
   * Chat routes only: the path, not the body, says whether the answer streams (Bedrock's
   * `converse` vs `converse-stream`); undefined: the body decides.
   */
  readonly stream?: boolean | undefined;
  /**
   * The body is JSON whatever content type it declares (Bedrock InvokeModel: the body is
   * model-native bytes, which the AWS SDKs label `application/octet-stream` unless told otherwise);
   * default: a non-JSON content type is a 415.
   */
  readonly anyContentType?: boolean | undefined;
}

/** What a chat route's path fixed, handed to `parseChat`. */
export interface ChatRouteParams {
  /** The decoded `{model}` segment of the path; undefined when the path has none. */
  readonly model?: string | undefined;
  /** The route's `stream` (see DialectRoute); undefined: the body decides. */
  readonly stream?: boolean | undefined;
}

/** A chat body parsed from one dialect. */
export interface ParsedChat {
  /** The canonical request (`model` is the group the client named). */
  readonly request: ChatRequest;
  /** The client asked for a usage report at the end of a stream (OpenAI stream_options.include_usage). */
  readonly includeUsage: boolean;
  /**
   * Request fields the dialect's answer echoes back (the Responses API's `instructions`, `tools`,
   * `metadata`, ...), opaque to everything but the dialect that parsed them; absent for the others.
   */
  readonly echo?: Readonly<Record<string, unknown>> | undefined;
}

/** An error rendered for one dialect's clients. */
export interface RenderedError {
  /** The HTTP status. */
  readonly status: number;
  /** The error's own headers plus Retry-After / retry-after-ms on 429, 503 and 529. */
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body text. */
  readonly body: string;
}

/** GET /v1/models and GET /v1/models/{id} in one dialect. */
export interface ModelsRenderer {
  /** The JSON text of the list; `createdMs` is when the gateway started (groups have no birthday). */
  renderList(models: readonly ModelInfo[], createdMs: number): string;
  /** The JSON text of one model. */
  renderModel(model: ModelInfo, createdMs: number): string;
}

/** An embeddings body parsed from one dialect. */
export interface ParsedEmbeddings {
  /** The canonical request (`model` is the group the client named). */
  readonly request: EmbeddingRequest;
  /** How the client wants each vector: numbers, or base64 of little-endian float32 bytes. */
  readonly encodingFormat: 'float' | 'base64';
}

/** The embeddings route of a dialect. */
export interface EmbeddingsCodec {
  /** Body → canonical request; throws a 400 GatewayError whose `param` names the field at fault. */
  parse(body: unknown): ParsedEmbeddings;
  /** The JSON text of the answer; `model` is the group the client asked for. */
  render(response: EmbeddingResponse, parsed: ParsedEmbeddings): string;
}
