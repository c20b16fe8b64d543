import { z } from 'zod';
import type {
  SimCachePoint,
  SimChatRequest,
  SimChatResult,
  SimInputBlock,
  SimToolChoice,
} from '../sim-chat.ts';
import { chunkJson, chunkText } from '../text-generator.ts';

const blockSchema = z.record(z.string(), z.unknown());

/** A Converse / ConverseStream body (also Nova's native InvokeModel body, which shares the shapes). */
export const converseRequestSchema = z.looseObject({
  messages: z
    .array(z.looseObject({ role: z.enum(['user', 'assistant']), content: z.array(blockSchema) }))
    .min(1),
  system: z.array(blockSchema).optional(),
  inferenceConfig: z
    .looseObject({
      maxTokens: z.number().int().positive().optional(),
      max_new_tokens: z.number().int().positive().optional(),
      temperature: z.number().min(0).max(1).optional(),
      topP: z.number().min(0).max(1).optional(),
      stopSequences: z.array(z.string()).optional(),
    })
    .optional(),
  toolConfig: z
    .looseObject({
      tools: z
        .array(
          z.looseObject({
            toolSpec: z
              .looseObject({
                name: z.string().min(1),
                description: z.string().optional(),
                inputSchema: z.looseObject({ json: z.unknown() }),
              })
              .optional(),
          }),
        )
        .min(1),
      toolChoice: z
        .looseObject({
          auto: z.unknown().optional(),
          any: z.unknown().optional(),
          tool: z.looseObject({ name: z.string() }).optional(),
        })
        .optional(),
    })
    .optional(),
  additionalModelRequestFields: z.record(z.string(), z.unknown()).optional(),
  serviceTier: z.looseObject({ type: z.enum(['priority', 'default', 'flex']) }).optional(),
});

/** Reasoning tokens the simulator may spend per Nova / gpt-oss effort. */
const budgetByEffort: Readonly<Record<string, number>> = { low: 1024, medium: 4096, high: 8192 };

/** The reasoning budget asked for in additionalModelRequestFields (Claude thinking, Nova reasoningConfig, gpt-oss). */
function reasoningBudget(fields: Readonly<Record<string, unknown>> | undefined): number {
  const thinking = fields?.thinking as { type?: unknown; budget_tokens?: unknown } | undefined;
  if (thinking?.type === 'enabled' && typeof thinking.budget_tokens === 'number')
    return thinking.budget_tokens;
  const config = fields?.reasoningConfig as { type?: unknown; maxReasoningEffort?: unknown } | undefined;
  if (config?.type === 'enabled')
    return (
      budgetByEffort[typeof config.maxReasoningEffort === 'string' ? config.maxReasoningEffort : 'medium'] ??
      4096
    );
  const effort = fields?.reasoning_effort;
  return typeof effort === 'string' ? (budgetByEffort[effort] ?? 0) : 0;
}

function isCachePoint(block: Readonly<Record<string, unknown>>): boolean {
  return typeof block.cachePoint === 'object' && block.cachePoint !== null;
}

export type ConverseRequest = z.infer<typeof converseRequestSchema>;

function textOf(blocks: readonly Record<string, unknown>[]): string {
  return blocks
    .map((block) =>
      typeof block.text === 'string'
        ? block.text
        : typeof block.json === 'object'
          ? JSON.stringify(block.json)
          : '',
    )
    .join('\n');
}

function inputBlock(block: Record<string, unknown>): SimInputBlock | undefined {
  if (typeof block.text === 'string') return { type: 'text', text: block.text };
  const toolUse = block.toolUse as Record<string, unknown> | undefined;
  if (toolUse !== undefined)
    return {
      type: 'tool_use',
      id: String(toolUse.toolUseId),
      name: String(toolUse.name),
      input: toolUse.input,
    };
  const toolResult = block.toolResult as Record<string, unknown> | undefined;
  if (toolResult !== undefined) {
    const content = Array.isArray(toolResult.content)
      ? (toolResult.content as Record<string, unknown>[])
      : [];
    return { type: 'tool_result', toolUseId: String(toolResult.toolUseId), text: textOf(content) };
  }
  return undefined;
}

/** The simulator's view of a Converse request. */
export function converseToSim(body: ConverseRequest): SimChatRequest {
  const choice = body.toolConfig?.toolChoice;
  const toolChoice: SimToolChoice =
    choice?.tool !== undefined
      ? { type: 'tool', name: choice.tool.name }
      : { type: choice?.any !== undefined ? 'any' : 'auto' };
  const points: SimCachePoint[] = [];
  let toolIndex = -1;
  for (const tool of body.toolConfig?.tools ?? []) {
    if (tool.toolSpec !== undefined) toolIndex += 1;
    else if (isCachePoint(tool) && toolIndex >= 0) points.push({ tool: toolIndex });
  }
  if ((body.system ?? []).some(isCachePoint)) points.push({ system: true });
  const messages = body.messages.map((message, index) => {
    const content: SimInputBlock[] = [];
    for (const block of message.content) {
      if (isCachePoint(block) && content.length > 0)
        points.push({ message: index, block: content.length - 1 });
      const converted = inputBlock(block);
      if (converted !== undefined) content.push(converted);
    }
    return { role: message.role, content };
  });
  const budget = reasoningBudget(body.additionalModelRequestFields);
  return {
    ...(points.length > 0 ? { cache: { mode: 'explicit' as const, points } } : {}),
    ...(budget > 0 ? { thinking: { budgetTokens: budget } } : {}),
    ...(body.serviceTier === undefined ? {} : { serviceTier: body.serviceTier.type }),
    system: textOf(body.system ?? []),
    messages,
    tools: (body.toolConfig?.tools ?? []).flatMap((tool) =>
      tool.toolSpec === undefined
        ? []
        : [
            {
              name: tool.toolSpec.name,
              description: tool.toolSpec.description ?? '',
              schema: tool.toolSpec.inputSchema.json,
            },
          ],
    ),
    toolChoice,
    maxTokens: body.inferenceConfig?.maxTokens ?? body.inferenceConfig?.max_new_tokens,
    stopSequences: body.inferenceConfig?.stopSequences ?? [],
  };
}

/** The first validation rule of Converse the simulator enforces; undefined when the turns are fine. */
export function converseTurnProblem(request: SimChatRequest): string | undefined {
  if (request.messages[0]?.role !== 'user')
    return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
  return undefined;
}

/** The assistant message of a result, in Converse content blocks (reasoning first). */
export function converseMessage(result: SimChatResult): Record<string, unknown> {
  const reasoning =
    result.reasoning === undefined
      ? []
      : [
          {
            reasoningContent: {
              reasoningText: { text: result.reasoning.text, signature: result.reasoning.signature },
            },
          },
        ];
  return {
    role: 'assistant',
    content: [
      ...reasoning,
      ...result.blocks.map((block) =>
        block.type === 'text'
          ? { text: block.text }
          : { toolUse: { toolUseId: block.id, name: block.name, input: block.input } },
      ),
    ],
  };
}

/** Converse's usage object: inputTokens excludes cache reads and writes, which have their own fields. */
export function converseUsage(result: SimChatResult): Record<string, number> {
  const read = result.cacheReadTokens ?? 0;
  const write = result.cacheWriteTokens ?? 0;
  return {
    inputTokens: result.inputTokens,
    outputTokens: result.outputTokens,
    totalTokens: result.inputTokens + read + write + result.outputTokens,
    ...(read > 0 || write > 0 ? { cacheReadInputTokens: read, cacheWriteInputTokens: write } : {}),
  };
}

/** A ConverseResponse body. */
export function converseResponse(result: SimChatResult, latencyMs: number): Record<string, unknown> {
  return {
    output: { message: converseMessage(result) },
    stopReason: result.stopReason,
    usage: converseUsage(result),
    metrics: { latencyMs },
    ...(result.trace === undefined ? {} : { trace: result.trace }),
  };
}

/** One ConverseStream event: union member name, payload, output tokens carried. */
export interface ConverseStreamEvent {
  readonly type: string;
  readonly payload: Record<string, unknown>;
  readonly tokens: number;
}

/** The ConverseStream events of a result: messageStart … messageStop, then metadata (usage last). */
export function converseStreamEvents(result: SimChatResult, latencyMs: number): ConverseStreamEvent[] {
  const events: ConverseStreamEvent[] = [{ type: 'messageStart', payload: { role: 'assistant' }, tokens: 0 }];
  const offset = result.reasoning === undefined ? 0 : 1;
  if (result.reasoning !== undefined) {
    for (const chunk of chunkText(result.reasoning.text))
      events.push({
        type: 'contentBlockDelta',
        payload: { contentBlockIndex: 0, delta: { reasoningContent: { text: chunk.text } } },
        tokens: chunk.tokens,
      });
    events.push({
      type: 'contentBlockDelta',
      payload: {
        contentBlockIndex: 0,
        delta: { reasoningContent: { signature: result.reasoning.signature } },
      },
      tokens: 0,
    });
    events.push({ type: 'contentBlockStop', payload: { contentBlockIndex: 0 }, tokens: 0 });
  }
  result.blocks.forEach((block, blockIndex) => {
    const contentBlockIndex = blockIndex + offset;
    if (block.type === 'text') {
      for (const chunk of chunkText(block.text))
        events.push({
          type: 'contentBlockDelta',
          payload: { contentBlockIndex, delta: { text: chunk.text } },
          tokens: chunk.tokens,
        });
    } else {
      events.push({
        type: 'contentBlockStart',
        payload: { contentBlockIndex, start: { toolUse: { toolUseId: block.id, name: block.name } } },
        tokens: 0,
      });
      const pieces = chunkJson(block.inputJson);
      const perPiece = Math.max(1, Math.round(result.outputTokens / pieces.length));
      for (const piece of pieces)
        events.push({
          type: 'contentBlockDelta',
          payload: { contentBlockIndex, delta: { toolUse: { input: piece } } },
          tokens: perPiece,
        });
    }
    events.push({ type: 'contentBlockStop', payload: { contentBlockIndex }, tokens: 0 });
  });
  events.push({ type: 'messageStop', payload: { stopReason: result.stopReason }, tokens: 0 });
  events.push({
    type: 'metadata',
    payload: {
      usage: converseUsage(result),
      metrics: { latencyMs },
      ...(result.trace === undefined ? {} : { trace: result.trace }),
    },
    tokens: 0,
  });
  return events;
}
