import { z } from 'zod';
import type { AssistantPart } from '../../core/chat-request.ts';
import type { ChatResponse, StopReason } from '../../core/chat-response.ts';
import type { Usage } from '../../core/usage.ts';
import { createId } from '../../core/ids.ts';

/** Lean schemas: only the fields Spillway reads; everything else passes unchecked. */
export const openAIUsageSchema = z.object({
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  prompt_tokens_details: z.object({ cached_tokens: z.number().nullish() }).nullish(),
});

const toolCallSchema = z.object({
  id: z.string(),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

export const openAIChatResponseSchema = z.object({
  id: z.string().nullish(),
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          refusal: z.string().nullish(),
          tool_calls: z.array(toolCallSchema).nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: openAIUsageSchema.nullish(),
});

export type OpenAIChatResponse = z.infer<typeof openAIChatResponseSchema>;
export type OpenAIUsage = z.infer<typeof openAIUsageSchema>;

/** OpenAI finish_reason → canonical stop reason. */
export function fromOpenAIFinishReason(reason: string | null | undefined): StopReason {
  if (reason === 'length') return 'max_tokens';
  if (reason === 'tool_calls' || reason === 'function_call') return 'tool_use';
  if (reason === 'content_filter') return 'content_filter';
  // 'stop' covers both a natural end and a stop sequence: OpenAI does not say which.
  return 'end_turn';
}

/** OpenAI usage → canonical usage; prompt_tokens includes cached tokens, canonical inputTokens does not. */
export function fromOpenAIUsage(usage: OpenAIUsage | null | undefined): Usage {
  if (usage === null || usage === undefined) return { inputTokens: 0, outputTokens: 0 };
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  if (cached <= 0) return { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens };
  return {
    inputTokens: Math.max(0, usage.prompt_tokens - cached),
    outputTokens: usage.completion_tokens,
    cacheReadInputTokens: cached,
  };
}

/** A Chat Completions response → the canonical answer (first choice; Spillway never asks for n > 1). */
export function fromOpenAIResponse(response: OpenAIChatResponse, modelId: string): ChatResponse {
  // min(1) in the schema guarantees the first choice.
  const choice = response.choices[0] as OpenAIChatResponse['choices'][number];
  const content: AssistantPart[] = [];
  const text = choice.message.content ?? choice.message.refusal;
  if (text !== null && text !== undefined && text.length > 0) content.push({ type: 'text', text });
  for (const call of choice.message.tool_calls ?? []) {
    content.push({
      type: 'tool_call',
      id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
    });
  }
  const refused =
    (choice.message.content === null || choice.message.content === undefined) &&
    typeof choice.message.refusal === 'string';
  return {
    id: response.id ?? createId('chatcmpl-'),
    model: response.model ?? modelId,
    content,
    stopReason: refused ? 'content_filter' : fromOpenAIFinishReason(choice.finish_reason),
    usage: fromOpenAIUsage(response.usage),
  };
}
