import { z } from 'zod';
import type { AssistantPart } from '../../core/chat-request.ts';
import type { ChatResponse, StopReason } from '../../core/chat-response.ts';
import type { Usage } from '../../core/usage.ts';
import { badResponse } from '../../errors/upstream-errors.ts';

/** Bedrock Converse response → canonical response (protocols.md 1.2). Unknown keys are ignored. */

export const tokenUsageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cacheReadInputTokens: z.number().int().nonnegative().optional(),
  cacheWriteInputTokens: z.number().int().nonnegative().optional(),
});

const contentBlockSchema = z.object({
  text: z.string().optional(),
  toolUse: z.object({ toolUseId: z.string(), name: z.string(), input: z.unknown() }).optional(),
  reasoningContent: z
    .object({
      reasoningText: z.object({ text: z.string(), signature: z.string().optional() }).optional(),
      redactedContent: z.string().optional(),
    })
    .optional(),
});

const converseResponseSchema = z.object({
  output: z.object({
    message: z.object({ role: z.literal('assistant'), content: z.array(contentBlockSchema) }),
  }),
  stopReason: z.string(),
  usage: tokenUsageSchema,
  additionalModelResponseFields: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Converts a parsed Converse JSON body. Throws badResponse when it does not have the documented
 * shape. A call of `answerTool` (the forced tool of a structured answer) is the answer text.
 */
export function fromConverseResponse(
  body: unknown,
  id: string,
  modelId: string,
  answerTool?: string,
): ChatResponse {
  const parsed = converseResponseSchema.safeParse(body);
  if (!parsed.success) {
    throw badResponse(`bedrock: unexpected Converse response: ${z.prettifyError(parsed.error)}`);
  }
  const { output, stopReason, usage, additionalModelResponseFields } = parsed.data;
  const content: AssistantPart[] = [];
  let reasoningCharacters = 0;
  let answered = false;
  let toolCalls = 0;
  for (const block of output.message.content) {
    if (block.text !== undefined) content.push({ type: 'text', text: block.text });
    else if (block.toolUse !== undefined) {
      const input = JSON.stringify(block.toolUse.input ?? {});
      if (block.toolUse.name === answerTool) {
        answered = true;
        content.push({ type: 'text', text: input });
      } else {
        toolCalls += 1;
        content.push({
          type: 'tool_call',
          id: block.toolUse.toolUseId,
          name: block.toolUse.name,
          arguments: input,
        });
      }
    } else if (block.reasoningContent?.reasoningText !== undefined) {
      const { text, signature } = block.reasoningContent.reasoningText;
      reasoningCharacters += text.length;
      content.push(
        signature === undefined ? { type: 'reasoning', text } : { type: 'reasoning', text, signature },
      );
    } else if (block.reasoningContent?.redactedContent !== undefined) {
      content.push({ type: 'redacted_reasoning', data: block.reasoningContent.redactedContent });
    }
    // citations and other blocks have no canonical form yet: skipped.
  }
  const stopSequence = stopSequenceOf(additionalModelResponseFields);
  return {
    id,
    model: modelId,
    content,
    stopReason: answeredStop(toStopReason(stopReason), answered, toolCalls),
    ...(stopSequence === undefined ? {} : { stopSequence }),
    usage: withReasoning(toUsage(usage), reasoningCharacters),
  };
}

/** A stop for the answer tool's call is the end of the turn: the client asked for an answer, not a tool. */
export function answeredStop(reason: StopReason, answered: boolean, toolCalls: number): StopReason {
  return reason === 'tool_use' && answered && toolCalls === 0 ? 'end_turn' : reason;
}

/**
 * Bedrock reports no reasoning count: estimated from the reasoning text (about four characters a
 * token), never more than the output.
 */
export function withReasoning(usage: Usage, reasoningCharacters: number): Usage {
  if (reasoningCharacters === 0) return usage;
  return { ...usage, reasoningTokens: Math.min(usage.outputTokens, Math.ceil(reasoningCharacters / 4)) };
}

/**
 * Maps Bedrock's stopReason. `malformed_model_output` / `malformed_tool_use` mean the answer is
 * unusable: a bad response (another attempt may do better). Unknown future values end the turn.
 */
export function toStopReason(stopReason: string): StopReason {
  switch (stopReason) {
    case 'end_turn':
    case 'tool_use':
    case 'max_tokens':
    case 'stop_sequence':
      return stopReason;
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    case 'model_context_window_exceeded':
      return 'context_window_exceeded';
    case 'malformed_model_output':
    case 'malformed_tool_use':
      throw badResponse(`bedrock: the model stopped with ${stopReason}`);
    default:
      return 'end_turn';
  }
}

/** Bedrock's TokenUsage → canonical Usage (cache reads and writes are already outside inputTokens). */
export function toUsage(usage: z.infer<typeof tokenUsageSchema>): Usage {
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    ...(usage.cacheReadInputTokens === undefined ? {} : { cacheReadInputTokens: usage.cacheReadInputTokens }),
    ...(usage.cacheWriteInputTokens === undefined
      ? {}
      : { cacheWriteInputTokens: usage.cacheWriteInputTokens }),
  };
}

/** Anthropic models on Bedrock report the matched stop sequence in additionalModelResponseFields. */
export function stopSequenceOf(fields: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = fields?.['stop_sequence'];
  return typeof value === 'string' ? value : undefined;
}
