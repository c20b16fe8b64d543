import { z } from 'zod';
import type { AssistantPart } from '../../core/chat-request.ts';
import type { ChatResponse, StopReason } from '../../core/chat-response.ts';
import type { Usage } from '../../core/usage.ts';
import { badResponse } from '../../errors/upstream-errors.ts';

/** Lean schemas: only the fields Spillway reads. Usage counts may be partial in stream deltas. */
export const anthropicUsageSchema = z.object({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
  output_tokens_details: z.object({ thinking_tokens: z.number().nullish() }).nullish(),
});

/** A content block; one flat shape for all types, checked per type where it is read. */
export const anthropicBlockSchema = z.object({
  type: z.string(),
  text: z.string().optional(),
  id: z.string().optional(),
  name: z.string().optional(),
  input: z.unknown().optional(),
  thinking: z.string().optional(),
  signature: z.string().optional(),
  data: z.string().optional(),
});

export const anthropicMessageSchema = z.object({
  id: z.string(),
  model: z.string(),
  content: z.array(anthropicBlockSchema),
  stop_reason: z.string().nullish(),
  stop_sequence: z.string().nullish(),
  usage: anthropicUsageSchema,
});

export type AnthropicUsage = z.infer<typeof anthropicUsageSchema>;
export type AnthropicBlock = z.infer<typeof anthropicBlockSchema>;

/** Anthropic stop_reason → canonical stop reason. */
export function fromAnthropicStopReason(reason: string | null | undefined): StopReason {
  if (reason === 'max_tokens') return 'max_tokens';
  if (reason === 'stop_sequence') return 'stop_sequence';
  if (reason === 'tool_use') return 'tool_use';
  if (reason === 'refusal') return 'content_filter';
  if (reason === 'model_context_window_exceeded') return 'context_window_exceeded';
  // end_turn, and pause_turn (a server-tool pause: the turn ends here for the client).
  return 'end_turn';
}

/** Anthropic usage → canonical; input_tokens already excludes cache reads and writes. */
export function fromAnthropicUsage(usage: AnthropicUsage): Usage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  const thinking = usage.output_tokens_details?.thinking_tokens ?? 0;
  return {
    inputTokens: usage.input_tokens ?? 0,
    outputTokens: usage.output_tokens ?? 0,
    ...(cacheRead > 0 ? { cacheReadInputTokens: cacheRead } : {}),
    ...(cacheWrite > 0 ? { cacheWriteInputTokens: cacheWrite } : {}),
    ...(thinking > 0 ? { reasoningTokens: thinking } : {}),
  };
}

/**
 * A text, tool_use, thinking or redacted_thinking block → its canonical part; other block types
 * (server tools, ...) → undefined.
 */
export function fromAnthropicBlock(block: AnthropicBlock): AssistantPart | undefined {
  if (block.type === 'text') {
    if (block.text === undefined) throw badResponse('text block without text');
    return { type: 'text', text: block.text };
  }
  if (block.type === 'tool_use') {
    if (block.id === undefined || block.name === undefined)
      throw badResponse('tool_use block without id or name');
    return {
      type: 'tool_call',
      id: block.id,
      name: block.name,
      arguments: JSON.stringify(block.input ?? {}),
    };
  }
  if (block.type === 'thinking') {
    if (block.thinking === undefined) throw badResponse('thinking block without thinking');
    const signature = block.signature ?? '';
    return signature === ''
      ? { type: 'reasoning', text: block.thinking }
      : { type: 'reasoning', text: block.thinking, signature };
  }
  if (block.type === 'redacted_thinking') {
    if (block.data === undefined) throw badResponse('redacted_thinking block without data');
    return { type: 'redacted_reasoning', data: block.data };
  }
  return undefined;
}

/** A Messages API response → the canonical answer. */
export function fromAnthropicResponse(message: z.infer<typeof anthropicMessageSchema>): ChatResponse {
  const content: AssistantPart[] = [];
  for (const block of message.content) {
    const part = fromAnthropicBlock(block);
    if (part !== undefined) content.push(part);
  }
  const response: ChatResponse = {
    id: message.id,
    model: message.model,
    content,
    stopReason: fromAnthropicStopReason(message.stop_reason),
    usage: fromAnthropicUsage(message.usage),
  };
  const stopSequence = message.stop_sequence;
  return stopSequence === null || stopSequence === undefined ? response : { ...response, stopSequence };
}
