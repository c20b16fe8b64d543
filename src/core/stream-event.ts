import type { StopReason } from './chat-response.ts';
import type { Usage } from './usage.ts';

/**
 * Canonical stream events. A provider stream yields, in order: one `message_start`; for each content
 * block, a start (text blocks may start implicitly with their first delta), deltas and a stop; one
 * `message_stop`; and one `usage`. A stream that ends before `message_stop` and `usage` is a failure:
 * adapters throw a classified error instead of ending quietly.
 *
 * `index` is the content block index within the message (0-based, in order of appearance).
 *
 * Reasoning blocks (they come before text and tool calls) start implicitly with their first
 * `reasoning_delta` or `reasoning_signature` and end with `content_block_stop`; the signature, when
 * the upstream signs reasoning, arrives after the text. A redacted reasoning block is one
 * `redacted_reasoning` event followed by its `content_block_stop`.
 */
export type ChatStreamEvent =
  | {
      readonly type: 'message_start';
      readonly id: string;
      readonly model: string;
      /** Input usage, when the upstream reports it at the start (Anthropic); the final `usage` event is authoritative. */
      readonly usage?: Usage | undefined;
    }
  | { readonly type: 'text_delta'; readonly index: number; readonly text: string }
  | { readonly type: 'reasoning_delta'; readonly index: number; readonly text: string }
  | { readonly type: 'reasoning_signature'; readonly index: number; readonly signature: string }
  | { readonly type: 'redacted_reasoning'; readonly index: number; readonly data: string }
  | { readonly type: 'tool_call_start'; readonly index: number; readonly id: string; readonly name: string }
  | { readonly type: 'tool_call_delta'; readonly index: number; readonly argumentsDelta: string }
  | { readonly type: 'content_block_stop'; readonly index: number }
  | {
      readonly type: 'message_stop';
      readonly stopReason: StopReason;
      readonly stopSequence?: string | undefined;
    }
  | { readonly type: 'usage'; readonly usage: Usage };
