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

/** Anthropic usage: input_tokens excludes cache reads and writes, which have their own fields. */
export function anthropicUsage(usage: Usage): {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
} {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: usage.cacheWriteInputTokens ?? 0,
    cache_read_input_tokens: usage.cacheReadInputTokens ?? 0,
  };
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

/** The Messages API `message` JSON text for a canonical response; `model` is the requested group. */
export function renderAnthropicMessage(response: ChatResponse, model: string): string {
  return JSON.stringify({
    id: response.id,
    type: 'message',
    role: 'assistant',
    model,
    content: response.content.map((part) =>
      part.type === 'text'
        ? { type: 'text', text: part.text }
        : { type: 'tool_use', id: part.id, name: part.name, input: toolInput(part.arguments) },
    ),
    stop_reason: anthropicStopReason(response.stopReason),
    stop_sequence: response.stopSequence ?? null,
    usage: anthropicUsage(response.usage),
  });
}
