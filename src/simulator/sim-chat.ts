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
}

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
export type SimStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use';

/** What the simulated model answers. */
export interface SimChatResult {
  readonly blocks: readonly SimOutputBlock[];
  readonly stopReason: SimStopReason;
  /** The stop sequence matched, when stopReason is stop_sequence. */
  readonly stopSequence: string | undefined;
  readonly inputTokens: number;
  readonly outputTokens: number;
}
