import { z } from 'zod';
import type {
  SimChatRequest,
  SimChatResult,
  SimInputBlock,
  SimMessage,
  SimResponseFormat,
  SimToolChoice,
} from '../sim-chat.ts';
import { chunkJson, chunkText } from '../text-generator.ts';

const partSchema = z.looseObject({ type: z.string(), text: z.string().optional() });
const contentSchema = z.union([z.string(), z.array(partSchema), z.null()]).optional();

/** A Chat Completions request body. */
export const openaiChatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
        content: contentSchema,
        tool_calls: z
          .array(
            z.looseObject({
              id: z.string(),
              function: z.looseObject({ name: z.string(), arguments: z.string() }),
            }),
          )
          .optional(),
        tool_call_id: z.string().optional(),
      }),
    )
    .min(1),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4), z.null()]).optional(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  tools: z
    .array(
      z.looseObject({
        type: z.literal('function'),
        function: z.looseObject({
          name: z.string().min(1),
          description: z.string().optional(),
          parameters: z.unknown().optional(),
        }),
      }),
    )
    .optional(),
  tool_choice: z
    .union([
      z.enum(['none', 'auto', 'required']),
      z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) }),
    ])
    .optional(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: z.number().int().min(1).max(1).nullish(),
  reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(),
  response_format: z
    .union([
      z.looseObject({ type: z.enum(['text', 'json_object']) }),
      z.looseObject({
        type: z.literal('json_schema'),
        json_schema: z.looseObject({ name: z.string(), schema: z.unknown().optional() }),
      }),
    ])
    .nullish(),
});

/** Reasoning tokens the simulator may spend per effort (OpenAI hides the reasoning; only its count shows). */
const budgetByEffort: Readonly<Record<string, number>> = {
  none: 0,
  minimal: 256,
  low: 1024,
  medium: 4096,
  high: 8192,
  xhigh: 16_384,
};

function responseFormatOf(format: OpenaiChatRequest['response_format']): SimResponseFormat | undefined {
  if (format === undefined || format === null || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  const spec = (format as { json_schema?: { schema?: unknown } }).json_schema;
  return { type: 'json_schema', schema: spec?.schema ?? {} };
}

export type OpenaiChatRequest = z.infer<typeof openaiChatRequestSchema>;

function textOf(content: z.infer<typeof contentSchema>): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join('\n');
}

/** The simulator's view of a Chat Completions request (system and developer turns become the system prompt). */
export function openaiToSim(body: OpenaiChatRequest): SimChatRequest {
  const system: string[] = [];
  const messages: SimMessage[] = [];
  const push = (role: 'user' | 'assistant', block: SimInputBlock): void => {
    const last = messages.at(-1);
    if (last?.role === role) messages[messages.length - 1] = { role, content: [...last.content, block] };
    else messages.push({ role, content: [block] });
  };
  for (const message of body.messages) {
    if (message.role === 'system' || message.role === 'developer') system.push(textOf(message.content));
    else if (message.role === 'tool')
      push('user', {
        type: 'tool_result',
        toolUseId: message.tool_call_id ?? '',
        text: textOf(message.content),
      });
    else {
      const text = textOf(message.content);
      if (text !== '' || message.tool_calls === undefined) push(message.role, { type: 'text', text });
      for (const call of message.tool_calls ?? [])
        push('assistant', {
          type: 'tool_use',
          id: call.id,
          name: call.function.name,
          input: call.function.arguments,
        });
    }
  }
  const choice = body.tool_choice;
  let toolChoice: SimToolChoice = { type: 'auto' };
  if (choice === 'none') toolChoice = { type: 'none' };
  else if (choice === 'required') toolChoice = { type: 'any' };
  else if (typeof choice === 'object') toolChoice = { type: 'tool', name: choice.function.name };
  const stop = body.stop;
  const budget = budgetByEffort[body.reasoning_effort ?? 'none'] ?? 0;
  const responseFormat = responseFormatOf(body.response_format);
  return {
    // OpenAI caches prompt prefixes by itself: everything before the last turn.
    cache: { mode: 'automatic' },
    ...(budget > 0 ? { thinking: { budgetTokens: budget } } : {}),
    ...(responseFormat === undefined ? {} : { responseFormat }),
    system: system.join('\n'),
    messages,
    tools: (body.tools ?? []).map((tool) => ({
      name: tool.function.name,
      description: tool.function.description ?? '',
      schema: tool.function.parameters ?? { type: 'object' },
    })),
    toolChoice,
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    stopSequences: typeof stop === 'string' ? [stop] : (stop ?? []),
  };
}

const finishReasons = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  content_filtered: 'content_filter',
  guardrail_intervened: 'content_filter',
} as const;

function toolCallId(id: string): string {
  return `call_${id.replace('tooluse_', '').slice(0, 24)}`;
}

/** The usage object of a result: prompt_tokens includes cached tokens; completion_tokens reasoning. */
export function openaiUsage(result: SimChatResult): Record<string, unknown> {
  const cached = result.cacheReadTokens ?? 0;
  const prompt = result.inputTokens + cached + (result.cacheWriteTokens ?? 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: result.outputTokens,
    total_tokens: prompt + result.outputTokens,
    prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: result.reasoningTokens ?? 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** A `chat.completion` object. */
export function openaiCompletion(
  result: SimChatResult,
  id: string,
  model: string,
  created: number,
): Record<string, unknown> {
  const text = result.blocks.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  const toolCalls = result.blocks.flatMap((block) =>
    block.type === 'tool_use'
      ? [
          {
            id: toolCallId(block.id),
            type: 'function',
            function: { name: block.name, arguments: block.inputJson },
          },
        ]
      : [],
  );
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: toolCalls.length > 0 && text === '' ? null : text,
    refusal: null,
    annotations: [],
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasons[result.stopReason] }],
    usage: openaiUsage(result),
    service_tier: 'default',
    system_fingerprint: 'fp_sim0000001',
  };
}

/** The `chat.completion.chunk` objects of a stream, with the tokens each carries. */
export function openaiChunks(
  result: SimChatResult,
  id: string,
  model: string,
  created: number,
  includeUsage: boolean,
): { json: Record<string, unknown>; tokens: number }[] {
  const base = {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    service_tier: 'default',
    system_fingerprint: 'fp_sim0000001',
  };
  const usageField = includeUsage ? { usage: null } : {};
  const chunk = (delta: Record<string, unknown>, finish: string | null = null, tokens = 0) => ({
    json: { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...usageField },
    tokens,
  });
  const chunks: { json: Record<string, unknown>; tokens: number }[] = [
    chunk({ role: 'assistant', content: '', refusal: null }),
  ];
  let toolIndex = 0;
  for (const block of result.blocks) {
    if (block.type === 'text') {
      for (const piece of chunkText(block.text))
        chunks.push(chunk({ content: piece.text }, null, piece.tokens));
    } else {
      const pieces = chunkJson(block.inputJson);
      const perPiece = Math.max(1, Math.round(result.outputTokens / (pieces.length + 1)));
      chunks.push(
        chunk(
          {
            tool_calls: [
              {
                index: toolIndex,
                id: toolCallId(block.id),
                type: 'function',
                function: { name: block.name, arguments: '' },
              },
            ],
          },
          null,
          perPiece,
        ),
      );
      for (const piece of pieces)
        chunks.push(
          chunk({ tool_calls: [{ index: toolIndex, function: { arguments: piece } }] }, null, perPiece),
        );
      toolIndex += 1;
    }
  }
  chunks.push(chunk({}, finishReasons[result.stopReason]));
  if (includeUsage) chunks.push({ json: { ...base, choices: [], usage: openaiUsage(result) }, tokens: 0 });
  return chunks;
}
