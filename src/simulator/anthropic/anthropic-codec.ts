import { z } from 'zod';
import type { SimChatRequest, SimChatResult, SimInputBlock, SimToolChoice } from '../sim-chat.ts';
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
});

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
  return {
    system: textOf(body.system),
    messages: body.messages.map((message) => ({
      role: message.role,
      content:
        typeof message.content === 'string'
          ? [{ type: 'text', text: message.content }]
          : message.content.map(inputBlock).filter((block) => block !== undefined),
    })),
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

/** A complete `message` object. */
export function anthropicMessage(result: SimChatResult, id: string, model: string): Record<string, unknown> {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: contentOf(result),
    stop_reason: result.stopReason,
    stop_sequence: result.stopSequence ?? null,
    usage: {
      input_tokens: result.inputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: result.outputTokens,
      service_tier: 'standard',
    },
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
        usage: {
          input_tokens: result.inputTokens,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: 1,
          service_tier: 'standard',
        },
      },
    }),
  ];
  result.blocks.forEach((block, index) => {
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
      delta: { stop_reason: result.stopReason, stop_sequence: result.stopSequence ?? null },
      usage: { output_tokens: result.outputTokens },
    }),
  );
  events.push(event('message_stop', {}));
  return events;
}
