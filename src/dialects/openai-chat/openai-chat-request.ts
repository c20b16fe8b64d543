import { z } from 'zod';
import type {
  AssistantPart,
  ChatRequest,
  ResponseFormat,
  ToolChoice,
  UserPart,
} from '../../core/chat-request.ts';
import { GatewayError, invalidRequest } from '../../errors/gateway-error.ts';
import type { ParsedChat } from '../dialect.ts';
import { checkChatBodyBounds } from '../request-bounds.ts';
import { validationError } from '../validation-error.ts';

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const imagePart = z.object({
  type: z.literal('image_url'),
  image_url: z.object({ url: z.string(), detail: z.string().optional() }),
});
const userContent = z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart, imagePart]))]);
const textContent = z.union([z.string(), z.array(textPart)]);
const assistantContent = z.union([
  z.string(),
  z.array(
    z.discriminatedUnion('type', [textPart, z.object({ type: z.literal('refusal'), refusal: z.string() })]),
  ),
]);
const toolCall = z.object({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

const message = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: textContent }),
  z.object({ role: z.literal('developer'), content: textContent }),
  z.object({ role: z.literal('user'), content: userContent }),
  z.object({
    role: z.literal('assistant'),
    content: assistantContent.nullish(),
    tool_calls: z.array(toolCall).nullish(),
  }),
  z.object({ role: z.literal('tool'), tool_call_id: z.string(), content: textContent }),
]);

const tool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().min(1),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
  }),
});

const toolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function').optional(), function: z.object({ name: z.string() }) }),
]);

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string(),
      schema: z.record(z.string(), z.unknown()).nullish(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

const optionalNumber = z.number().nullish();
const optionalTokens = z.number().int().positive().nullish();

/** The subset of the OpenAI Chat Completions body the gateway understands; unknown fields are ignored. */
const chatBody = z.object({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  max_tokens: optionalTokens,
  max_completion_tokens: optionalTokens,
  temperature: optionalNumber,
  top_p: optionalNumber,
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: toolChoice.nullish(),
  response_format: responseFormat.nullish(),
  reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  user: z.string().nullish(),
  n: z.number().int().nullish(),
});

type Message = z.infer<typeof message>;
type ChatBody = z.infer<typeof chatBody>;

/** The schema of the request body (for tests comparing it with {@link isPlainOpenaiChatBody}). */
export const openaiChatBodySchema: z.ZodType<ChatBody> = chatBody;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNullish(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

function isNullishString(value: unknown): boolean {
  return isNullish(value) || typeof value === 'string';
}

function isNullishNumber(value: unknown): boolean {
  return isNullish(value) || (typeof value === 'number' && Number.isFinite(value));
}

function isNullishInteger(value: unknown, positive: boolean): boolean {
  return isNullish(value) || (Number.isSafeInteger(value) && (!positive || (value as number) > 0));
}

function isNullishBoolean(value: unknown): boolean {
  return isNullish(value) || typeof value === 'boolean';
}

function isPlainToolCall(value: unknown): boolean {
  if (!isObject(value) || typeof value.id !== 'string') return false;
  if (value.type !== undefined && value.type !== 'function') return false;
  const fn = value.function;
  return isObject(fn) && typeof fn.name === 'string' && typeof fn.arguments === 'string';
}

/** A message whose content is a plain string (or an assistant turn of text and tool calls). */
function isPlainMessage(value: unknown): boolean {
  if (!isObject(value)) return false;
  switch (value.role) {
    case 'system':
    case 'developer':
    case 'user':
      return typeof value.content === 'string';
    case 'tool':
      return typeof value.content === 'string' && typeof value.tool_call_id === 'string';
    case 'assistant': {
      if (!isNullishString(value.content)) return false;
      const calls = value.tool_calls;
      if (isNullish(calls)) return true;
      if (!Array.isArray(calls)) return false;
      for (const call of calls) if (!isPlainToolCall(call)) return false;
      return true;
    }
    default:
      return false;
  }
}

/**
 * A hand-written check of the usual chat body (string contents, no tools, tool_choice or
 * response_format), several times cheaper than the zod schema: true only for bodies the schema
 * accepts, which then read the same as the schema's output (its unknown keys are never read).
 * Every other body, and every invalid one, goes through the schema, which words the 400.
 */
export function isPlainOpenaiChatBody(body: unknown): boolean {
  if (!isObject(body)) return false;
  if (typeof body.model !== 'string' || body.model.length === 0) return false;
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return false;
  for (const entry of messages) if (!isPlainMessage(entry)) return false;
  if (
    !isNullish(body.tools) ||
    !isNullish(body.tool_choice) ||
    !isNullish(body.response_format) ||
    !isNullish(body.reasoning_effort)
  )
    return false;
  const stop = body.stop;
  if (Array.isArray(stop)) {
    for (const item of stop) if (typeof item !== 'string') return false;
  } else if (!isNullishString(stop)) {
    return false;
  }
  const streamOptions = body.stream_options;
  if (
    !isNullish(streamOptions) &&
    !(isObject(streamOptions) && isNullishBoolean(streamOptions.include_usage))
  )
    return false;
  return (
    isNullishInteger(body.max_tokens, true) &&
    isNullishInteger(body.max_completion_tokens, true) &&
    isNullishNumber(body.temperature) &&
    isNullishNumber(body.top_p) &&
    isNullishBoolean(body.stream) &&
    isNullishString(body.user) &&
    isNullishInteger(body.n, false)
  );
}

function joinText(content: string | readonly { text: string }[]): string {
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}

const dataUrl = /^data:([\w.+-]+\/[\w.+-]+);base64,(.*)$/s;

function toUserParts(content: z.infer<typeof userContent>, index: number): UserPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.map((part, partIndex): UserPart => {
    if (part.type === 'text') return { type: 'text', text: part.text };
    const param = `messages[${index}].content[${partIndex}].image_url.url`;
    const match = dataUrl.exec(part.image_url.url);
    if (match === null) {
      throw invalidRequest(`${param}: only data URLs are supported (data:<media type>;base64,<data>)`, param);
    }
    return { type: 'image', mediaType: match[1] as string, data: match[2] as string };
  });
}

function toAssistantParts(entry: Extract<Message, { role: 'assistant' }>): AssistantPart[] {
  const parts: AssistantPart[] = [];
  const content = entry.content;
  if (typeof content === 'string') {
    if (content !== '') parts.push({ type: 'text', text: content });
  } else if (content != null) {
    for (const part of content) {
      const text = part.type === 'text' ? part.text : part.refusal;
      if (text !== '') parts.push({ type: 'text', text });
    }
  }
  for (const call of entry.tool_calls ?? []) {
    parts.push({
      type: 'tool_call',
      id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
    });
  }
  if (parts.length === 0) parts.push({ type: 'text', text: '' });
  return parts;
}

/** A canonical turn still being built: consecutive client messages of one role append to it. */
type OpenTurn =
  | { readonly role: 'user'; readonly content: UserPart[] }
  | { readonly role: 'assistant'; readonly content: AssistantPart[] };

/**
 * Consecutive turns of one role merge into one turn: OpenAI's run of `tool` messages (and a user
 * message right after them) becomes the single user turn Anthropic and Bedrock expect. The parts
 * are appended in place (one at a time: spreading a huge array overflows the argument stack), so
 * a run of n messages costs O(n), not the O(n²) of copying the turn once per message.
 */
function pushTurn(turns: OpenTurn[], turn: OpenTurn): void {
  const last = turns[turns.length - 1];
  if (last?.role === 'user' && turn.role === 'user') {
    for (const part of turn.content) last.content.push(part);
  } else if (last?.role === 'assistant' && turn.role === 'assistant') {
    for (const part of turn.content) last.content.push(part);
  } else {
    turns.push(turn);
  }
}

function toToolChoice(choice: z.infer<typeof toolChoice>): ToolChoice {
  if (typeof choice === 'string') return { type: choice };
  return { type: 'tool', name: choice.function.name };
}

function toResponseFormat(format: z.infer<typeof responseFormat>): ResponseFormat {
  if (format.type !== 'json_schema') return { type: format.type };
  const { name, schema, strict } = format.json_schema;
  return { type: 'json_schema', name, schema: schema ?? {}, strict: strict ?? undefined };
}

/**
 * Fields whose request the gateway cannot honour (an answer of another kind, or extra data it
 * cannot produce): refused by name rather than dropped. `false`/null values ask for nothing.
 */
const unsupportedFields: readonly (readonly [string, string])[] = [
  ['audio', 'audio output is not supported by the gateway'],
  ['prediction', 'predicted outputs are not supported by the gateway'],
  ['web_search_options', 'web search is not supported by the gateway'],
  ['logprobs', 'log probabilities are not supported by the gateway'],
  ['top_logprobs', 'log probabilities are not supported by the gateway'],
];

function refuseUnsupported(body: unknown): void {
  if (!isObject(body)) return;
  for (const [field, message] of unsupportedFields) {
    const value = body[field];
    if (value !== undefined && value !== null && value !== false) {
      throw new GatewayError(`${field}: ${message}`, { code: 'unsupported', param: field });
    }
  }
  const modalities = body.modalities;
  if (Array.isArray(modalities) && modalities.some((entry) => entry !== 'text')) {
    throw new GatewayError('modalities: only text output is supported by the gateway', {
      code: 'unsupported',
      param: 'modalities',
    });
  }
}

/** Parses an OpenAI Chat Completions body into the canonical request; throws 400 GatewayErrors. */
export function parseOpenaiChat(body: unknown): ParsedChat {
  checkChatBodyBounds(body, ['tool_calls']);
  refuseUnsupported(body);
  let input: ChatBody;
  if (isPlainOpenaiChatBody(body)) {
    input = body as ChatBody;
  } else {
    const parsed = chatBody.safeParse(body);
    if (!parsed.success) throw validationError(parsed.error);
    input = parsed.data;
  }
  if (input.n != null && input.n !== 1) {
    throw new GatewayError('n: only n=1 is supported', { code: 'unsupported', param: 'n' });
  }
  const systemTexts: string[] = [];
  const turns: OpenTurn[] = [];
  input.messages.forEach((entry, index) => {
    switch (entry.role) {
      case 'system':
      case 'developer':
        systemTexts.push(joinText(entry.content));
        break;
      case 'user':
        pushTurn(turns, { role: 'user', content: toUserParts(entry.content, index) });
        break;
      case 'assistant':
        pushTurn(turns, { role: 'assistant', content: toAssistantParts(entry) });
        break;
      case 'tool':
        pushTurn(turns, {
          role: 'user',
          content: [
            { type: 'tool_result', toolCallId: entry.tool_call_id, content: joinText(entry.content) },
          ],
        });
        break;
    }
  });
  const stop = input.stop == null ? undefined : typeof input.stop === 'string' ? [input.stop] : input.stop;
  const request: ChatRequest = {
    model: input.model,
    system: systemTexts.length > 0 ? systemTexts.join('\n\n') : undefined,
    messages: turns,
    maxTokens: input.max_completion_tokens ?? input.max_tokens ?? undefined,
    temperature: input.temperature ?? undefined,
    topP: input.top_p ?? undefined,
    stop: stop !== undefined && stop.length > 0 ? stop : undefined,
    tools:
      input.tools == null || input.tools.length === 0
        ? undefined
        : input.tools.map((entry) => ({
            name: entry.function.name,
            description: entry.function.description ?? undefined,
            parameters: entry.function.parameters ?? { type: 'object', properties: {} },
          })),
    toolChoice: input.tool_choice == null ? undefined : toToolChoice(input.tool_choice),
    responseFormat: input.response_format == null ? undefined : toResponseFormat(input.response_format),
    ...(input.reasoning_effort == null ? {} : { reasoning: { effort: input.reasoning_effort } }),
    stream: input.stream === true,
    user: input.user ?? undefined,
  };
  return { request, includeUsage: input.stream_options?.include_usage === true };
}
