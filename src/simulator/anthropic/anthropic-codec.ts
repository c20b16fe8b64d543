import { z } from 'zod';
import type {
  SimCache,
  SimCachePoint,
  SimChatRequest,
  SimChatResult,
  SimInputBlock,
  SimResponseFormat,
  SimToolChoice,
} from '../sim-chat.ts';
import { chunkJson, chunkText } from '../text-generator.ts';

const blockSchema = z.looseObject({ type: z.string() });
const contentSchema = z.union([z.string(), z.array(blockSchema)]);

/** An Anthropic Messages request body (also the native body of Claude models on Bedrock InvokeModel). */
export const anthropicRequestSchema = z.looseObject({
  model: z.string().optional(),
  anthropic_version: z.string().optional(),
  max_tokens: z.number().int().positive(),
  messages: z.array(z.looseObject({ role: z.enum(['user', 'assistant']), content: contentSchema })).min(1),
  system: contentSchema.optional(),
  tools: z
    .array(
      z.looseObject({
        name: z.string(),
        description: z.string().optional(),
        input_schema: z.unknown().optional(),
      }),
    )
    .optional(),
  tool_choice: z
    .looseObject({ type: z.enum(['auto', 'any', 'none', 'tool']), name: z.string().optional() })
    .optional(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  top_k: z.number().optional(),
  thinking: z
    .looseObject({
      type: z.enum(['enabled', 'disabled', 'adaptive']),
      budget_tokens: z.number().int().optional(),
    })
    .optional(),
  output_config: z
    .looseObject({
      format: z
        .looseObject({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) })
        .nullish(),
    })
    .optional(),
  cache_control: z.looseObject({ type: z.literal('ephemeral') }).nullish(),
});

/** The thinking budget of an adaptive request (the model decides; the simulator thinks this much at most). */
const adaptiveBudget = 4096;

/** What the Messages API refuses about thinking (protocols.md §3: budget ≥ 1024 and < max_tokens). */
export function anthropicThinkingProblem(body: AnthropicRequest): string | undefined {
  const thinking = body.thinking;
  if (thinking?.type !== 'enabled') return undefined;
  const budget = thinking.budget_tokens;
  if (budget === undefined) return 'thinking.enabled.budget_tokens: Field required';
  if (budget < 1024) return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
  if (budget >= body.max_tokens)
    return '`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size';
  return undefined;
}

function hasCacheControl(block: unknown): boolean {
  return (
    typeof block === 'object' && block !== null && 'cache_control' in block && block.cache_control != null
  );
}

/** The cache breakpoints of a body: on tools, system blocks, message blocks, or the top-level one. */
function cacheOf(
  body: AnthropicRequest,
  messages: readonly (readonly SimInputBlock[])[],
  blockIndexes: readonly (readonly number[])[],
): SimCache | undefined {
  const points: SimCachePoint[] = [];
  (body.tools ?? []).forEach((tool, index) => {
    if (hasCacheControl(tool)) points.push({ tool: index });
  });
  if (Array.isArray(body.system) && body.system.some(hasCacheControl)) points.push({ system: true });
  body.messages.forEach((message, index) => {
    if (!Array.isArray(message.content)) return;
    message.content.forEach((block, raw) => {
      const simIndex = blockIndexes[index]?.[raw];
      if (hasCacheControl(block) && simIndex !== undefined) points.push({ message: index, block: simIndex });
    });
  });
  // Top-level cache_control: the breakpoint goes on the last cacheable block.
  if (body.cache_control != null) {
    const last = messages.length - 1;
    const blocks = messages[last]?.length ?? 0;
    if (blocks > 0) points.push({ message: last, block: blocks - 1 });
  }
  return points.length === 0 ? undefined : { mode: 'explicit', points };
}

function responseFormatOf(body: AnthropicRequest): SimResponseFormat | undefined {
  const format = body.output_config?.format;
  return format === undefined || format === null ? undefined : { type: 'json_schema', schema: format.schema };
}

export type AnthropicRequest = z.infer<typeof anthropicRequestSchema>;

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block: unknown) =>
      typeof block === 'object' && block !== null && 'text' in block && typeof block.text === 'string'
        ? block.text
        : '',
    )
    .join('\n');
}

function inputBlock(block: z.infer<typeof blockSchema>): SimInputBlock | undefined {
  if (block.type === 'text') return { type: 'text', text: textOf([block]) };
  if (block.type === 'tool_use')
    return { type: 'tool_use', id: String(block.id), name: String(block.name), input: block.input };
  if (block.type === 'tool_result')
    return { type: 'tool_result', toolUseId: String(block.tool_use_id), text: textOf(block.content) };
  return undefined;
}

/** The simulator's view of an Anthropic request. */
export function anthropicToSim(body: AnthropicRequest): SimChatRequest {
  const choice = body.tool_choice;
  const toolChoice: SimToolChoice =
    choice?.type === 'tool' ? { type: 'tool', name: choice.name ?? '' } : { type: choice?.type ?? 'auto' };
  // Per message, each raw block's index among the blocks the simulator keeps.
  const blockIndexes: number[][] = [];
  const contents: SimInputBlock[][] = body.messages.map((message, index) => {
    if (typeof message.content === 'string') return [{ type: 'text', text: message.content }];
    const kept: SimInputBlock[] = [];
    const indexes: number[] = [];
    for (const block of message.content) {
      const converted = inputBlock(block);
      if (converted !== undefined) kept.push(converted);
      indexes.push(kept.length - 1);
    }
    blockIndexes[index] = indexes;
    return kept;
  });
  const thinking = body.thinking;
  const budget =
    thinking?.type === 'enabled'
      ? (thinking.budget_tokens ?? 0)
      : thinking?.type === 'adaptive'
        ? adaptiveBudget
        : 0;
  const cache = cacheOf(body, contents, blockIndexes);
  const responseFormat = responseFormatOf(body);
  return {
    ...(budget > 0 ? { thinking: { budgetTokens: budget } } : {}),
    ...(cache === undefined ? {} : { cache }),
    ...(responseFormat === undefined ? {} : { responseFormat }),
    system: textOf(body.system),
    messages: body.messages.map((message, index) => ({ role: message.role, content: contents[index] ?? [] })),
    tools: (body.tools ?? []).map((tool) => ({
      name: tool.name,
      description: tool.description ?? '',
      schema: tool.input_schema ?? { type: 'object' },
    })),
    toolChoice,
    maxTokens: body.max_tokens,
    stopSequences: body.stop_sequences ?? [],
  };
}

function contentOf(result: SimChatResult): Record<string, unknown>[] {
  const thinking =
    result.reasoning === undefined
      ? []
      : [{ type: 'thinking', thinking: result.reasoning.text, signature: result.reasoning.signature }];
  return [...thinking, ...answerBlocks(result)];
}

/** Anthropic usage: input_tokens excludes cache reads and writes; output includes thinking. */
export function anthropicUsage(
  result: SimChatResult,
  outputTokens = result.outputTokens,
): Record<string, unknown> {
  return {
    input_tokens: result.inputTokens,
    cache_creation_input_tokens: result.cacheWriteTokens ?? 0,
    cache_read_input_tokens: result.cacheReadTokens ?? 0,
    output_tokens: outputTokens,
    ...(result.reasoningTokens === undefined
      ? {}
      : { output_tokens_details: { thinking_tokens: result.reasoningTokens } }),
    service_tier: 'standard',
  };
}

function answerBlocks(result: SimChatResult): Record<string, unknown>[] {
  return result.blocks.map((block) =>
    block.type === 'text'
      ? { type: 'text', text: block.text }
      : {
          type: 'tool_use',
          id: block.id.replace('tooluse_', 'toolu_'),
          name: block.name,
          input: block.input,
        },
  );
}

/** Anthropic's stop reason: a content filter's cut is a `refusal`. */
function anthropicStopReason(result: SimChatResult): string {
  return result.stopReason === 'content_filtered' || result.stopReason === 'guardrail_intervened'
    ? 'refusal'
    : result.stopReason;
}

/** A complete `message` object. */
export function anthropicMessage(result: SimChatResult, id: string, model: string): Record<string, unknown> {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: contentOf(result),
    stop_reason: anthropicStopReason(result),
    stop_sequence: result.stopSequence ?? null,
    usage: anthropicUsage(result),
  };
}

/** One streamed event: its type (the SSE `event:` name), payload, and output tokens carried. */
export interface AnthropicStreamEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly tokens: number;
}

/** The streamed events of an answer, `message_start` to `message_stop`, `ping` included. */
export function anthropicStreamEvents(
  result: SimChatResult,
  id: string,
  model: string,
): AnthropicStreamEvent[] {
  const event = (type: string, data: Record<string, unknown>, tokens = 0): AnthropicStreamEvent => ({
    type,
    data: { type, ...data },
    tokens,
  });
  const events: AnthropicStreamEvent[] = [
    event('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...anthropicUsage(result, 1), output_tokens_details: undefined },
      },
    }),
  ];
  const offset = result.reasoning === undefined ? 0 : 1;
  if (result.reasoning !== undefined) {
    events.push(
      event('content_block_start', {
        index: 0,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      }),
    );
    events.push(event('ping', {}));
    for (const chunk of chunkText(result.reasoning.text))
      events.push(
        event(
          'content_block_delta',
          { index: 0, delta: { type: 'thinking_delta', thinking: chunk.text } },
          chunk.tokens,
        ),
      );
    events.push(
      event('content_block_delta', {
        index: 0,
        delta: { type: 'signature_delta', signature: result.reasoning.signature },
      }),
    );
    events.push(event('content_block_stop', { index: 0 }));
  }
  result.blocks.forEach((block, blockIndex) => {
    const index = blockIndex + offset;
    if (block.type === 'text') {
      events.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      if (index === 0) events.push(event('ping', {}));
      for (const chunk of chunkText(block.text))
        events.push(
          event(
            'content_block_delta',
            { index, delta: { type: 'text_delta', text: chunk.text } },
            chunk.tokens,
          ),
        );
    } else {
      events.push(
        event('content_block_start', {
          index,
          content_block: {
            type: 'tool_use',
            id: block.id.replace('tooluse_', 'toolu_'),
            name: block.name,
            input: {},
          },
        }),
      );
      if (index === 0) events.push(event('ping', {}));
      const pieces = chunkJson(block.inputJson);
      const perPiece = Math.max(1, Math.round(result.outputTokens / pieces.length));
      for (const piece of pieces)
        events.push(
          event(
            'content_block_delta',
            { index, delta: { type: 'input_json_delta', partial_json: piece } },
            perPiece,
          ),
        );
    }
    events.push(event('content_block_stop', { index }));
  });
  events.push(
    event('message_delta', {
      delta: { stop_reason: anthropicStopReason(result), stop_sequence: result.stopSequence ?? null },
      // Cumulative, as the API sends it: the input counts again, and the final output count.
      usage: anthropicUsage(result),
    }),
  );
  events.push(event('message_stop', {}));
  return events;
}
