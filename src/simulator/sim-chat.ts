/** A chat request in the simulator's own terms, decoded from any of the three APIs. */
export interface SimChatRequest {
  /** System prompt(s), joined. */
  readonly system: string;
  readonly messages: readonly SimMessage[];
  readonly tools: readonly SimTool[];
  readonly toolChoice: SimToolChoice;
  /** Output cap in tokens; undefined = the model's default. */
  readonly maxTokens: number | undefined;
  readonly stopSequences: readonly string[];
  /** Structured output asked for: the answer text is JSON (valid for the schema). */
  readonly responseFormat?: SimResponseFormat | undefined;
  /** Reasoning asked for, with its token budget. */
  readonly thinking?: { readonly budgetTokens: number } | undefined;
  /**
   * Prompt-cache breakpoints the client set (Anthropic cache_control, Bedrock cachePoint), or
   * `automatic` for OpenAI-style prefix caching (everything before the last turn; no writes reported).
   */
  readonly cache?: SimCache | undefined;
  /** Bedrock service tier asked for (Converse `serviceTier.type`); undefined = default. */
  readonly serviceTier?: SimServiceTier | undefined;
}

/** Bedrock service tiers: priority answers faster, flex slower and is throttled first. */
export type SimServiceTier = 'priority' | 'default' | 'flex';

export type SimResponseFormat =
  { readonly type: 'json_object' } | { readonly type: 'json_schema'; readonly schema: unknown };

/** Where the cached prefixes end: after tool `tool`, after the system prompt, or after a message block. */
export type SimCachePoint =
  | { readonly tool: number }
  | { readonly system: true }
  | { readonly message: number; readonly block: number };

export type SimCache =
  { readonly mode: 'explicit'; readonly points: readonly SimCachePoint[] } | { readonly mode: 'automatic' };

/** One turn. */
export interface SimMessage {
  readonly role: 'user' | 'assistant';
  readonly content: readonly SimInputBlock[];
}

/** Content of a turn, reduced to what the simulator's behaviour depends on. */
export type SimInputBlock =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'tool_use'; readonly id: string; readonly name: string; readonly input: unknown }
  | { readonly type: 'tool_result'; readonly toolUseId: string; readonly text: string };

/** A tool the model may call. */
export interface SimTool {
  readonly name: string;
  readonly description: string;
  /** JSON schema of the arguments. */
  readonly schema: unknown;
}

/** auto: may call; any: must call some tool; tool: must call `name`; none: must not call. */
export type SimToolChoice =
  { readonly type: 'auto' | 'any' | 'none' } | { readonly type: 'tool'; readonly name: string };

/** Generated output block. */
export type SimOutputBlock =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'tool_use';
      readonly id: string;
      readonly name: string;
      readonly input: Record<string, unknown>;
      /** `input` serialised, as streamed. */
      readonly inputJson: string;
    };

/** Why generation stopped. */
export type SimStopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'content_filtered'
  /** A Bedrock guardrail (Converse guardrailConfig) blocked or masked. */
  | 'guardrail_intervened';

/** What the simulated model answers. */
export interface SimChatResult {
  readonly blocks: readonly SimOutputBlock[];
  readonly stopReason: SimStopReason;
  /** The stop sequence matched, when stopReason is stop_sequence. */
  readonly stopSequence: string | undefined;
  /** Input tokens billed at the normal price (cache reads and writes excluded). */
  readonly inputTokens: number;
  /** Output tokens, reasoning included. */
  readonly outputTokens: number;
  /** The model's reasoning, when asked for (it comes before the blocks). */
  readonly reasoning?: { readonly text: string; readonly signature: string } | undefined;
  /** Of outputTokens, the reasoning's. */
  readonly reasoningTokens?: number | undefined;
  readonly cacheReadTokens?: number | undefined;
  readonly cacheWriteTokens?: number | undefined;
  /** Converse's `trace` (the guardrail's assessments), when a guardrailConfig asked for it. */
  readonly trace?: unknown;
}
