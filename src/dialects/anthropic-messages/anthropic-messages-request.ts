import { z } from 'zod';
import type {
  AssistantPart,
  ChatMessage,
  ChatRequest,
  ToolChoice,
  UserPart,
} from '../../core/chat-request.ts';
import { checkArrayBound, checkChatBodyBounds, requestBounds } from '../request-bounds.ts';
import { validationError } from '../validation-error.ts';

const cacheControl = { cache_control: z.unknown().optional() };
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
    content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textBlock, toolUseBlock]))]),
  }),
]);

const tool = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()),
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
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  messages: z.array(message).min(1),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  metadata: z.object({ user_id: z.string().nullish() }).optional(),
  stream: z.boolean().optional(),
});

type Message = z.infer<typeof message>;

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
            return { type: 'text', text: block.text };
          case 'image':
            return { type: 'image', mediaType: block.source.media_type, data: block.source.data };
          case 'tool_result':
            return {
              type: 'tool_result',
              toolCallId: block.tool_use_id,
              content: joinText(block.content),
              isError: block.is_error,
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
    content: entry.content.map((block): AssistantPart =>
      block.type === 'text'
        ? { type: 'text', text: block.text }
        : { type: 'tool_call', id: block.id, name: block.name, arguments: JSON.stringify(block.input) },
    ),
  };
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

/** Parses an Anthropic Messages body into the canonical request; throws 400 GatewayErrors. */
export function parseAnthropicMessages(body: unknown): ChatRequest {
  checkMessagesBodyBounds(body);
  const parsed = messagesBody.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error);
  const input = parsed.data;
  const system = input.system === undefined ? undefined : joinText(input.system);
  return {
    model: input.model,
    system: system === '' ? undefined : system,
    messages: input.messages.map(toTurn),
    maxTokens: input.max_tokens,
    temperature: input.temperature,
    topP: input.top_p,
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
          })),
    toolChoice: input.tool_choice === undefined ? undefined : toToolChoice(input.tool_choice),
    stream: input.stream === true,
    user: input.metadata?.user_id ?? undefined,
  };
}
