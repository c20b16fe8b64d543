import type { AssistantPart } from './chat-request.ts';
import type { Usage } from './usage.ts';

/**
 * Why generation stopped, in canonical terms. Each dialect maps these to its own words
 * (OpenAI finish_reason, Anthropic stop_reason, Bedrock stopReason).
 */
export type StopReason =
  'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'content_filter' | 'context_window_exceeded';

/** A complete (non-streamed) answer. */
export interface ChatResponse {
  /** The upstream's response id where it has one, else one made by the adapter. */
  readonly id: string;
  /** The upstream model id that produced the answer. */
  readonly model: string;
  readonly content: readonly AssistantPart[];
  readonly stopReason: StopReason;
  readonly stopSequence?: string | undefined;
  readonly usage: Usage;
}
