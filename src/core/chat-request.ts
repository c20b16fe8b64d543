/**
 * The canonical chat request: what every client dialect parses into and every provider adapter
 * translates from. Pure data; no behaviour.
 */

/**
 * A prompt-cache breakpoint (Anthropic `cache_control`, Bedrock `cachePoint`): the prompt up to and
 * including the part that carries it may be cached by the upstream. Upstreams without explicit
 * breakpoints (OpenAI caches prefixes automatically) ignore it; that is not a drop, the answer is the same.
 */
export interface CacheControl {
  readonly type: 'ephemeral';
  /** Time to live where the upstream offers a choice (Anthropic: 5m default, 1h). */
  readonly ttl?: '5m' | '1h' | undefined;
}

/** Plain text. */
export interface TextPart {
  readonly type: 'text';
  readonly text: string;
  readonly cacheControl?: CacheControl | undefined;
}

/** An image given inline (clients send data URLs; the data is the base64 payload without the prefix). */
export interface ImagePart {
  readonly type: 'image';
  /** e.g. image/png, image/jpeg, image/gif, image/webp */
  readonly mediaType: string;
  /** base64 of the image bytes */
  readonly data: string;
  readonly cacheControl?: CacheControl | undefined;
}

/** A tool call made by the assistant. */
export interface ToolCallPart {
  readonly type: 'tool_call';
  readonly id: string;
  readonly name: string;
  /** The arguments as JSON text, exactly as the model produced them. */
  readonly arguments: string;
  readonly cacheControl?: CacheControl | undefined;
}

/** The result of a tool call, sent back by the client in a user turn. */
export interface ToolResultPart {
  readonly type: 'tool_result';
  readonly toolCallId: string;
  readonly content: string;
  readonly isError?: boolean | undefined;
  readonly cacheControl?: CacheControl | undefined;
}

/**
 * The model's reasoning ("thinking") before its answer. `signature` is the upstream's opaque proof
 * of the text (Anthropic `signature`, Bedrock `reasoningText.signature`); a client sends the part back
 * unchanged in the assistant turn of a tool-use loop, and adapters forward it only to the upstream
 * family that signed it. Upstreams that return no reasoning text (OpenAI chat) never produce it.
 */
export interface ReasoningPart {
  readonly type: 'reasoning';
  readonly text: string;
  readonly signature?: string | undefined;
}

/** Reasoning the upstream returned encrypted (Anthropic `redacted_thinking`, Bedrock `redactedContent`). */
export interface RedactedReasoningPart {
  readonly type: 'redacted_reasoning';
  /** The opaque payload as the upstream gave it (Anthropic: a string; Bedrock: base64 of the bytes). */
  readonly data: string;
}

export type UserPart = TextPart | ImagePart | ToolResultPart;
/** Reasoning parts come first in an assistant turn, as every upstream orders them. */
export type AssistantPart = TextPart | ToolCallPart | ReasoningPart | RedactedReasoningPart;

/**
 * A turn. Tool results live in user turns (as Bedrock and Anthropic have them); the OpenAI dialect
 * maps its `role: "tool"` messages onto them and back.
 */
export type ChatMessage =
  | { readonly role: 'user'; readonly content: readonly UserPart[] }
  | { readonly role: 'assistant'; readonly content: readonly AssistantPart[] };

/** A function the model may call. */
export interface ToolDefinition {
  readonly name: string;
  readonly description?: string | undefined;
  /** JSON Schema of the arguments object. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** A cache breakpoint after this tool's definition (tools come first in the cached prefix). */
  readonly cacheControl?: CacheControl | undefined;
}

export type ToolChoice =
  | { readonly type: 'auto' }
  | { readonly type: 'none' }
  | { readonly type: 'required' }
  | { readonly type: 'tool'; readonly name: string };

/**
 * Structured output. `json_object`: the answer text is a JSON object. `json_schema`: the answer text is
 * JSON valid for `schema` (OpenAI `response_format`, Responses `text.format`, Anthropic
 * `output_config.format`). Adapters use the upstream's native form where it has one, else a forced
 * tool call whose arguments come back as the answer text; either way the canonical answer carries the
 * JSON as its text part.
 */
export type ResponseFormat =
  | { readonly type: 'text' }
  | { readonly type: 'json_object' }
  | {
      readonly type: 'json_schema';
      /** The schema's name (OpenAI requires one; dialects without a name use `response`). */
      readonly name: string;
      readonly description?: string | undefined;
      readonly schema: Readonly<Record<string, unknown>>;
      readonly strict?: boolean | undefined;
    };

/** How hard the model should reason (OpenAI `reasoning_effort`, Responses `reasoning.effort`). */
export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';

/**
 * The client asked for reasoning (or, with effort `none`, asked for none). Dialects set whichever of
 * the two they were given; adapters derive the other with `reasoningBudgetTokens` / `reasoningEffortOf`
 * when the upstream speaks the other one.
 */
export interface ReasoningRequest {
  readonly effort?: ReasoningEffort | undefined;
  /** Tokens the model may spend reasoning (Anthropic `thinking.budget_tokens`); counts toward maxTokens. */
  readonly budgetTokens?: number | undefined;
}

/** Thinking budget for an effort, as Anthropic-style upstreams need one (`none` → 0: no thinking). */
const budgetByEffort: Readonly<Record<ReasoningEffort, number>> = {
  none: 0,
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16_384,
  xhigh: 32_768,
};

/** The reasoning budget in tokens: the one the client gave, else the budget of its effort (0: none). */
export function reasoningBudgetTokens(reasoning: ReasoningRequest): number {
  if (reasoning.budgetTokens !== undefined) return reasoning.budgetTokens;
  return budgetByEffort[reasoning.effort ?? 'medium'];
}

/** The effort for a request, as OpenAI-style upstreams need one: the client's, else the nearest to its budget. */
export function reasoningEffortOf(reasoning: ReasoningRequest): ReasoningEffort {
  if (reasoning.effort !== undefined) return reasoning.effort;
  const budget = reasoning.budgetTokens ?? budgetByEffort.medium;
  if (budget <= 0) return 'none';
  if (budget < budgetByEffort.low) return 'low';
  if (budget < budgetByEffort.high) return 'medium';
  return 'high';
}

/** The canonical chat request. `model` is the model group the client asked for. */
export interface ChatRequest {
  readonly model: string;
  readonly system?: string | undefined;
  /** A cache breakpoint at the end of the system prompt (Anthropic `cache_control` on a system block). */
  readonly systemCacheControl?: CacheControl | undefined;
  readonly messages: readonly ChatMessage[];
  readonly maxTokens?: number | undefined;
  readonly temperature?: number | undefined;
  readonly topP?: number | undefined;
  /** Sample from the k most likely tokens (Anthropic `top_k`); upstreams without it refuse it by name. */
  readonly topK?: number | undefined;
  readonly stop?: readonly string[] | undefined;
  readonly tools?: readonly ToolDefinition[] | undefined;
  readonly toolChoice?: ToolChoice | undefined;
  readonly responseFormat?: ResponseFormat | undefined;
  /** Reasoning asked for; absent means the upstream's default for the model. */
  readonly reasoning?: ReasoningRequest | undefined;
  readonly stream: boolean;
  /** End-user id from the client, if it sent one (OpenAI `user`, Anthropic `metadata.user_id`). */
  readonly user?: string | undefined;
}
