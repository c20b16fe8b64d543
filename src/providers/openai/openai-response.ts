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
  completion_tokens_details: z.object({ reasoning_tokens: z.number().nullish() }).nullish(),
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

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNullishString(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string';
}

function isNullishNumber(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'number' && Number.isFinite(value));
}

function isToolCall(value: unknown): boolean {
  if (!isObject(value) || typeof value.id !== 'string') return false;
  const fn = value.function;
  return isObject(fn) && typeof fn.name === 'string' && typeof fn.arguments === 'string';
}

function isChoice(value: unknown): boolean {
  if (!isObject(value) || !isNullishString(value.finish_reason)) return false;
  const message = value.message;
  if (!isObject(message) || !isNullishString(message.content) || !isNullishString(message.refusal))
    return false;
  const calls = message.tool_calls;
  if (calls === undefined || calls === null) return true;
  if (!Array.isArray(calls)) return false;
  for (const call of calls) if (!isToolCall(call)) return false;
  return true;
}

function isUsage(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (!isObject(value)) return false;
  if (typeof value.prompt_tokens !== 'number' || !Number.isFinite(value.prompt_tokens)) return false;
  if (typeof value.completion_tokens !== 'number' || !Number.isFinite(value.completion_tokens)) return false;
  const details = value.prompt_tokens_details;
  const completion = value.completion_tokens_details;
  return (
    (details === undefined ||
      details === null ||
      (isObject(details) && isNullishNumber(details.cached_tokens))) &&
    (completion === undefined ||
      completion === null ||
      (isObject(completion) && isNullishNumber(completion.reasoning_tokens)))
  );
}

/**
 * A hand-written check of {@link openAIChatResponseSchema} for parsed JSON, ~10× cheaper than zod
 * on every answer: true only when the schema accepts the value (then the value reads as the
 * schema's output: extra keys are never read). False sends the value through the schema, which
 * words the error (parseJsonWith's quick check).
 */
export function isOpenAIChatResponse(value: unknown): boolean {
  if (!isObject(value) || !isNullishString(value.id) || !isNullishString(value.model)) return false;
  const choices = value.choices;
  if (!Array.isArray(choices) || choices.length === 0) return false;
  for (const choice of choices) if (!isChoice(choice)) return false;
  return isUsage(value.usage);
}

export type OpenAIUsage = z.infer<typeof openAIUsageSchema>;

/** OpenAI finish_reason → canonical stop reason. */
export function fromOpenAIFinishReason(reason: string | null | undefined): StopReason {
  if (reason === 'length') return 'max_tokens';
  if (reason === 'tool_calls' || reason === 'function_call') return 'tool_use';
  if (reason === 'content_filter') return 'content_filter';
  // 'stop' covers both a natural end and a stop sequence: OpenAI does not say which.
  return 'end_turn';
}

/**
 * OpenAI usage → canonical usage; prompt_tokens includes cached tokens, canonical inputTokens does
 * not. completion_tokens includes reasoning tokens, as canonical outputTokens does.
 */
export function fromOpenAIUsage(usage: OpenAIUsage | null | undefined): Usage {
  if (usage === null || usage === undefined) return { inputTokens: 0, outputTokens: 0 };
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens ?? 0;
  const base: Usage =
    cached <= 0
      ? { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens }
      : {
          inputTokens: Math.max(0, usage.prompt_tokens - cached),
          outputTokens: usage.completion_tokens,
          cacheReadInputTokens: cached,
        };
  return reasoning > 0 ? { ...base, reasoningTokens: reasoning } : base;
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
