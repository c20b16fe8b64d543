import { z } from 'zod';
import type {
  AssistantPart,
  CacheControl,
  ChatMessage,
  ChatRequest,
  ReasoningRequest,
  ResponseFormat,
  ToolChoice,
  UserPart,
} from '../../core/chat-request.ts';
import { invalidRequest } from '../../errors/gateway-error.ts';
import { checkArrayBound, checkChatBodyBounds, isObject, requestBounds } from '../request-bounds.ts';
import { validationError } from '../validation-error.ts';

const cacheControlSchema = z.object({
  type: z.literal('ephemeral'),
  ttl: z.enum(['5m', '1h']).optional(),
});
const cacheControl = { cache_control: cacheControlSchema.nullish() };
const textBlock = z.object({ type: z.literal('text'), text: z.string(), ...cacheControl });
const imageBlock = z.object({
  type: z.literal('image'),
  source: z.discriminatedUnion(
    'type',
    [z.object({ type: z.literal('base64'), media_type: z.string(), data: z.string() })],
    { error: 'only base64 image sources are supported' },
  ),
  ...cacheControl,
});
const toolUseBlock = z.object({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.record(z.string(), z.unknown()),
  ...cacheControl,
});
const toolResultBlock = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(textBlock)]).optional(),
  is_error: z.boolean().optional(),
  ...cacheControl,
});

const thinkingBlock = z.object({ type: z.literal('thinking'), thinking: z.string(), signature: z.string() });
const redactedThinkingBlock = z.object({ type: z.literal('redacted_thinking'), data: z.string() });

const message = z.discriminatedUnion('role', [
  z.object({
    role: z.literal('user'),
    content: z.union([
      z.string(),
      z.array(z.discriminatedUnion('type', [textBlock, imageBlock, toolResultBlock])),
    ]),
  }),
  z.object({
    role: z.literal('assistant'),
    content: z.union([
      z.string(),
      z.array(z.discriminatedUnion('type', [textBlock, toolUseBlock, thinkingBlock, redactedThinkingBlock])),
    ]),
  }),
]);

const tool = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()),
  type: z.literal('custom', { error: 'only custom tools are supported (server tools are not)' }).optional(),
  ...cacheControl,
});

const thinking = z.discriminatedUnion('type', [
  z.object({ type: z.literal('enabled'), budget_tokens: z.number().int().min(1) }),
  z.object({ type: z.literal('disabled') }),
  z.object({ type: z.literal('adaptive') }),
]);

const outputConfig = z.object({
  effort: z.enum(['low', 'medium', 'high', 'xhigh', 'max']).nullish(),
  format: z.object({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).nullish(),
});

const toolChoice = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auto') }),
  z.object({ type: z.literal('any') }),
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('tool'), name: z.string() }),
]);

/** The subset of the Anthropic Messages body the gateway understands; unknown fields are ignored. */
const messagesBody = z.object({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  thinking: thinking.optional(),
  output_config: outputConfig.optional(),
  // Automatic caching: the breakpoint goes on the last block of the last message.
  cache_control: cacheControlSchema.nullish(),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  messages: z.array(message).min(1),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  top_k: z.number().int().positive().optional(),
  metadata: z.object({ user_id: z.string().nullish() }).optional(),
  stream: z.boolean().optional(),
});

/** The body of POST /v1/messages/count_tokens: a messages body without max_tokens and stream. */
const countTokensBody = messagesBody.extend({ max_tokens: z.number().int().positive().optional() });

type Message = z.infer<typeof message>;
type CacheControlInput = z.infer<typeof cacheControlSchema> | null | undefined;

/** Fields of the Messages API the gateway cannot honour: refused by name rather than dropped. */
const unsupportedFields: readonly (readonly [string, string])[] = [
  ['output_format', 'output_format is the retired beta name: send output_config.format'],
  ['container', 'containers (code execution, skills) are not supported by the gateway'],
  ['mcp_servers', 'MCP servers are not supported by the gateway'],
  ['context_management', 'context management is not supported by the gateway'],
];

function cacheOf(input: CacheControlInput): { cacheControl?: CacheControl } {
  if (input === undefined || input === null) return {};
  return {
    cacheControl: input.ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: input.ttl },
  };
}

function joinText(content: string | readonly { text: string }[] | undefined): string {
  if (content === undefined) return '';
  return typeof content === 'string' ? content : content.map((block) => block.text).join('');
}

function toTurn(entry: Message): ChatMessage {
  if (entry.role === 'user') {
    if (typeof entry.content === 'string')
      return { role: 'user', content: [{ type: 'text', text: entry.content }] };
    return {
      role: 'user',
      content: entry.content.map((block): UserPart => {
        switch (block.type) {
          case 'text':
            return { type: 'text', text: block.text, ...cacheOf(block.cache_control) };
          case 'image':
            return {
              type: 'image',
              mediaType: block.source.media_type,
              data: block.source.data,
              ...cacheOf(block.cache_control),
            };
          case 'tool_result':
            return {
              type: 'tool_result',
              toolCallId: block.tool_use_id,
              content: joinText(block.content),
              isError: block.is_error,
              ...cacheOf(block.cache_control),
            };
        }
      }),
    };
  }
  if (typeof entry.content === 'string') {
    return { role: 'assistant', content: [{ type: 'text', text: entry.content }] };
  }
  return {
    role: 'assistant',
    content: entry.content.map((block): AssistantPart => {
      switch (block.type) {
        case 'text':
          return { type: 'text', text: block.text, ...cacheOf(block.cache_control) };
        case 'tool_use':
          return {
            type: 'tool_call',
            id: block.id,
            name: block.name,
            arguments: JSON.stringify(block.input),
            ...cacheOf(block.cache_control),
          };
        case 'thinking':
          return { type: 'reasoning', text: block.thinking, signature: block.signature };
        case 'redacted_thinking':
          return { type: 'redacted_reasoning', data: block.data };
      }
    }),
  };
}

function toReasoning(
  input: z.infer<typeof thinking> | undefined,
  effort: z.infer<typeof outputConfig>['effort'],
): ReasoningRequest | undefined {
  const asked = effort === undefined || effort === null ? undefined : effort === 'max' ? 'xhigh' : effort;
  if (input === undefined) return asked === undefined ? undefined : { effort: asked };
  switch (input.type) {
    case 'enabled':
      return { budgetTokens: input.budget_tokens, ...(asked === undefined ? {} : { effort: asked }) };
    case 'disabled':
      return { effort: 'none' };
    case 'adaptive':
      return { effort: asked ?? 'medium' };
  }
}

function toResponseFormat(config: z.infer<typeof outputConfig> | undefined): ResponseFormat | undefined {
  const format = config?.format;
  if (format === undefined || format === null) return undefined;
  // Anthropic's structured output is always schema-exact; its format has no name.
  return { type: 'json_schema', name: 'response', schema: format.schema, strict: true };
}

function toToolChoice(choice: z.infer<typeof toolChoice>): ToolChoice {
  switch (choice.type) {
    case 'auto':
    case 'none':
      return { type: choice.type };
    case 'any':
      return { type: 'required' };
    case 'tool':
      return { type: 'tool', name: choice.name };
  }
}

/** The shared count bounds, plus `system` blocks and the content of each tool_result block. */
function checkMessagesBodyBounds(body: unknown): void {
  checkChatBodyBounds(body);
  if (!isObject(body)) return;
  checkArrayBound(body.system, requestBounds.maxContentParts, 'system', 'content parts');
  const messages = body.messages;
  if (!Array.isArray(messages)) return;
  messages.forEach((entry: unknown, index) => {
    if (!isObject(entry) || !Array.isArray(entry.content)) return;
    entry.content.forEach((block: unknown, blockIndex) => {
      if (isObject(block) && block.type === 'tool_result') {
        const param = `messages[${index}].content[${blockIndex}].content`;
        checkArrayBound(block.content, requestBounds.maxContentParts, param, 'content parts');
      }
    });
  });
}

/** The turns with a cache breakpoint on the last part of the last turn (top-level cache_control). */
function withLastBreakpoint(messages: ChatMessage[], cache: { cacheControl?: CacheControl }): ChatMessage[] {
  const last = messages.at(-1);
  const control = cache.cacheControl;
  if (last === undefined || control === undefined || last.content.length === 0) return messages;
  const marked: ChatMessage =
    last.role === 'user'
      ? {
          role: 'user',
          content: last.content.map((part, index, all) =>
            index === all.length - 1 ? markUser(part, control) : part,
          ),
        }
      : {
          role: 'assistant',
          content: last.content.map((part, index, all) =>
            index === all.length - 1 ? markAssistant(part, control) : part,
          ),
        };
  return [...messages.slice(0, -1), marked];
}

function markUser(part: UserPart, cacheControl: CacheControl): UserPart {
  return { ...part, cacheControl };
}

function markAssistant(part: AssistantPart, cacheControl: CacheControl): AssistantPart {
  return part.type === 'text' || part.type === 'tool_call' ? { ...part, cacheControl } : part;
}

function refuseUnsupported(body: unknown): void {
  if (!isObject(body)) return;
  for (const [field, message] of unsupportedFields) {
    if (body[field] !== undefined && body[field] !== null)
      throw invalidRequest(`${field}: ${message}`, field);
  }
}

/** Parses an Anthropic Messages body into the canonical request; throws 400 GatewayErrors. */
export function parseAnthropicMessages(body: unknown): ChatRequest {
  checkMessagesBodyBounds(body);
  refuseUnsupported(body);
  const parsed = messagesBody.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error);
  return toChatRequest(parsed.data);
}

/** Parses a count_tokens body (max_tokens optional) into the canonical request it would count. */
export function parseAnthropicCountTokens(body: unknown): ChatRequest {
  checkMessagesBodyBounds(body);
  refuseUnsupported(body);
  const parsed = countTokensBody.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error);
  return toChatRequest({ ...parsed.data, stream: false });
}

function toChatRequest(input: z.infer<typeof countTokensBody>): ChatRequest {
  const system = input.system === undefined ? undefined : joinText(input.system);
  const systemCache =
    typeof input.system === 'string'
      ? {}
      : cacheOf(input.system?.findLast((block) => block.cache_control)?.cache_control);
  const reasoning = toReasoning(input.thinking, input.output_config?.effort);
  const responseFormat = toResponseFormat(input.output_config);
  const messages = input.messages.map(toTurn);
  return {
    model: input.model,
    system: system === '' ? undefined : system,
    ...(systemCache.cacheControl === undefined ? {} : { systemCacheControl: systemCache.cacheControl }),
    ...(reasoning === undefined ? {} : { reasoning }),
    ...(responseFormat === undefined ? {} : { responseFormat }),
    messages:
      input.cache_control == null ? messages : withLastBreakpoint(messages, cacheOf(input.cache_control)),
    maxTokens: input.max_tokens,
    temperature: input.temperature,
    topP: input.top_p,
    ...(input.top_k === undefined ? {} : { topK: input.top_k }),
    stop:
      input.stop_sequences !== undefined && input.stop_sequences.length > 0
        ? input.stop_sequences
        : undefined,
    tools:
      input.tools === undefined || input.tools.length === 0
        ? undefined
        : input.tools.map((entry) => ({
            name: entry.name,
            description: entry.description,
            parameters: entry.input_schema,
            ...cacheOf(entry.cache_control),
          })),
    toolChoice: input.tool_choice === undefined ? undefined : toToolChoice(input.tool_choice),
    stream: input.stream === true,
    user: input.metadata?.user_id ?? undefined,
  };
}
