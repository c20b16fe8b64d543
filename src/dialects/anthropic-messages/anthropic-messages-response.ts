import type { AssistantPart } from '../../core/chat-request.ts';
import type { ChatResponse, StopReason } from '../../core/chat-response.ts';
import type { Usage } from '../../core/usage.ts';

export type AnthropicStopReason =
  'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal' | 'model_context_window_exceeded';

/** Anthropic's stop_reason for a canonical stop reason. */
export function anthropicStopReason(reason: StopReason): AnthropicStopReason {
  switch (reason) {
    case 'end_turn':
    case 'max_tokens':
    case 'stop_sequence':
    case 'tool_use':
      return reason;
    case 'content_filter':
      return 'refusal';
    case 'context_window_exceeded':
      return 'model_context_window_exceeded';
  }
}

/**
 * Anthropic usage: input_tokens excludes cache reads and writes, which have their own fields; output
 * tokens include thinking (Anthropic reports no separate reasoning count).
 */
export function anthropicUsage(usage: Usage): {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens_details?: { thinking_tokens: number };
} {
  const counts = {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: usage.cacheWriteInputTokens ?? 0,
    cache_read_input_tokens: usage.cacheReadInputTokens ?? 0,
  };
  // The thinking share of the output, where the upstream reported (or the adapter estimated) it.
  return usage.reasoningTokens === undefined
    ? counts
    : { ...counts, output_tokens_details: { thinking_tokens: usage.reasoningTokens } };
}

/** Tool arguments as the object Anthropic clients expect (an object even when the model wrote none). */
export function toolInput(argumentsJson: string): unknown {
  if (argumentsJson.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(argumentsJson);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

/** A canonical answer part as a Messages API content block. */
export function anthropicContentBlock(part: AssistantPart): Record<string, unknown> {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'tool_call':
      return { type: 'tool_use', id: part.id, name: part.name, input: toolInput(part.arguments) };
    case 'reasoning':
      return { type: 'thinking', thinking: part.text, signature: part.signature ?? '' };
    case 'redacted_reasoning':
      return { type: 'redacted_thinking', data: part.data };
  }
}

/** The Messages API `message` JSON text for a canonical response; `model` is the requested group. */
export function renderAnthropicMessage(response: ChatResponse, model: string): string {
  return JSON.stringify({
    id: response.id,
    type: 'message',
    role: 'assistant',
    model,
    content: response.content.map(anthropicContentBlock),
    stop_reason: anthropicStopReason(response.stopReason),
    stop_sequence: response.stopSequence ?? null,
    usage: anthropicUsage(response.usage),
  });
}
