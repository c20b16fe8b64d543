import type {
  AssistantPart,
  CacheControl,
  ChatRequest,
  ResponseFormat,
  ToolChoice,
  ToolDefinition,
  UserPart,
} from '../../core/chat-request.ts';
import { GatewayError, invalidRequest } from '../../errors/gateway-error.ts';
import type { ParsedChat } from '../dialect.ts';
import { checkArrayBound, requestBounds } from '../request-bounds.ts';
import { validationError } from '../validation-error.ts';
import { type ResponseEcho, reasoningPartOf } from './openai-responses-response.ts';
import {
  type ContentPart,
  type InputItem,
  type ResponsesBody,
  type ResponsesToolChoice,
  type TextFormat,
  responsesBody,
} from './openai-responses-schema.ts';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unsupported(param: string, message: string): GatewayError {
  return new GatewayError(`${param}: ${message}`, { code: 'unsupported', param });
}

/** A refusal of what this gateway does not do (it stores no responses: decision 0011). */
function notStored(param: string, what: string): GatewayError {
  return unsupported(
    param,
    `${what} is not supported: this gateway does not store responses (send the whole conversation in \`input\`, and set store: false in clients that otherwise send item references)`,
  );
}

/**
 * Checks, before validation, the counts (as the chat dialects do) and the fields the gateway knows
 * but refuses with a message better than a schema mismatch: built-in tools and tool choices, input
 * items of built-in tools, and the stored-state features (decision 0011). Constant work per entry.
 */
function precheck(body: JsonObject): void {
  const input = body.input;
  checkArrayBound(input, requestBounds.maxMessages, 'input', 'input items');
  if (Array.isArray(input)) {
    for (let index = 0; index < input.length; index += 1) {
      const item: unknown = input[index];
      if (!isObject(item)) continue;
      checkArrayBound(
        item.content,
        requestBounds.maxContentParts,
        `input[${index}].content`,
        'content parts',
      );
      checkArrayBound(item.output, requestBounds.maxContentParts, `input[${index}].output`, 'content parts');
      const type = item.type;
      if (type === 'item_reference') throw notStored(`input[${index}]`, 'item_reference');
      if (typeof type === 'string' && !knownItemTypes.has(type))
        throw unsupported(
          `input[${index}].type`,
          `${type} items are not supported (accepted: message, function_call, function_call_output)`,
        );
    }
  }
  const tools = body.tools;
  checkArrayBound(tools, requestBounds.maxTools, 'tools', 'tools');
  if (Array.isArray(tools)) {
    tools.forEach((tool: unknown, index) => {
      if (isObject(tool) && typeof tool.type === 'string' && tool.type !== 'function')
        throw unsupported(
          `tools[${index}].type`,
          `the built-in tool ${tool.type} is not supported; the gateway serves function tools only`,
        );
    });
  }
  const choice = body.tool_choice;
  if (isObject(choice) && typeof choice.type === 'string' && choice.type !== 'function')
    throw unsupported(
      'tool_choice.type',
      `${choice.type} is not supported (accepted: function, or auto, none, required)`,
    );
  if (body.previous_response_id != null) throw notStored('previous_response_id', 'previous_response_id');
  if (body.conversation != null) throw notStored('conversation', 'conversation');
  if (body.prompt != null) throw notStored('prompt', 'a stored prompt');
}

const knownItemTypes = new Set([
  'message',
  'function_call',
  'function_call_output',
  'reasoning',
  'item_reference',
]);

/** Fields the schema accepts that the gateway cannot honour with some values. */
function refuseUnsupportedValues(input: ResponsesBody): void {
  if (input.background === true) throw unsupported('background', 'background responses are not supported');
  if (input.truncation === 'auto')
    throw unsupported('truncation', '"auto" is not supported: the gateway never drops input items');
  if (input.top_logprobs != null && input.top_logprobs > 0)
    throw unsupported('top_logprobs', 'log probabilities are not supported');
  input.include?.forEach((entry, index) => {
    if (entry !== 'reasoning.encrypted_content')
      throw unsupported(`include[${index}]`, `${entry} is not supported`);
  });
  const verbosity = input.text?.verbosity;
  if (verbosity != null && verbosity !== 'medium')
    throw unsupported('text.verbosity', `"${verbosity}" is not supported (only the default, medium)`);
}

const dataUrl = /^data:([\w.+-]+\/[\w.+-]+);base64,(.*)$/s;

// A prompt_cache_breakpoint is the canonical cache breakpoint (Anthropic cache_control, Bedrock
// cachePoint; OpenAI-style upstreams cache prefixes on their own). Its TTL follows the upstream's
// default: OpenAI's only `prompt_cache_options.ttl`, 30m, is no TTL Anthropic offers.
const ephemeral: CacheControl = { type: 'ephemeral' };

function isBreakpoint(part: ContentPart): boolean {
  return (part.type === 'input_text' || part.type === 'input_image') && part.prompt_cache_breakpoint != null;
}

/** A user-side content part (message content or function output) as a canonical part. */
function toUserPart(part: ContentPart, param: string): UserPart {
  switch (part.type) {
    case 'input_text':
      return part.prompt_cache_breakpoint == null
        ? { type: 'text', text: part.text }
        : { type: 'text', text: part.text, cacheControl: ephemeral };
    case 'output_text':
      return { type: 'text', text: part.text };
    case 'refusal':
      return { type: 'text', text: part.refusal };
    case 'input_image': {
      if (part.image_url == null)
        throw unsupported(`${param}.file_id`, 'file ids are not supported (send the image as a data URL)');
      const match = dataUrl.exec(part.image_url);
      if (match === null)
        throw invalidRequest(
          `${param}.image_url: only data URLs are supported (data:<media type>;base64,<data>)`,
          `${param}.image_url`,
        );
      const image = { type: 'image' as const, mediaType: match[1] as string, data: match[2] as string };
      return part.prompt_cache_breakpoint == null ? image : { ...image, cacheControl: ephemeral };
    }
    case 'input_file':
      throw unsupported(`${param}.type`, 'input_file parts are not supported');
  }
}

function toAssistantPart(part: ContentPart, param: string): AssistantPart {
  switch (part.type) {
    case 'output_text':
    case 'input_text':
      return { type: 'text', text: part.text };
    case 'refusal':
      return { type: 'text', text: part.refusal };
    case 'input_image':
    case 'input_file':
      throw unsupported(`${param}.type`, `${part.type} parts are accepted in user messages only`);
  }
}

/** A canonical turn being built: consecutive items of one role append to it (linear, as in the chat dialect). */
type OpenTurn =
  | { readonly role: 'user'; readonly content: UserPart[] }
  | { readonly role: 'assistant'; readonly content: AssistantPart[] };

function userTurn(turns: OpenTurn[]): UserPart[] {
  const last = turns[turns.length - 1];
  if (last?.role === 'user') return last.content;
  const content: UserPart[] = [];
  turns.push({ role: 'user', content });
  return content;
}

function assistantTurn(turns: OpenTurn[]): AssistantPart[] {
  const last = turns[turns.length - 1];
  if (last?.role === 'assistant') return last.content;
  const content: AssistantPart[] = [];
  turns.push({ role: 'assistant', content });
  return content;
}

/** Text parts joined, and whether one of them is a cache breakpoint (the whole is then cached). */
function joinText(
  content: string | readonly ContentPart[],
  param: string,
): { text: string; cached: boolean } {
  if (typeof content === 'string') return { text: content, cached: false };
  let text = '';
  let cached = false;
  content.forEach((part, index) => {
    const converted = toUserPart(part, `${param}[${index}]`);
    if (converted.type !== 'text') throw unsupported(`${param}[${index}].type`, 'only text is accepted here');
    text += converted.text;
    cached ||= isBreakpoint(part);
  });
  return { text, cached };
}

/** The system prompt being built from `instructions` and system / developer items. */
interface SystemPrompt {
  readonly texts: string[];
  /** A breakpoint on a system part: the canonical model has one, at the end of the system prompt. */
  cached: boolean;
}

function addItem(item: InputItem, index: number, turns: OpenTurn[], system: SystemPrompt): void {
  const param = `input[${index}]`;
  switch (item.type) {
    case 'message': {
      const content = item.content;
      if (item.role === 'system' || item.role === 'developer') {
        const { text, cached } = joinText(content, `${param}.content`);
        system.texts.push(text);
        system.cached ||= cached;
      } else if (item.role === 'user') {
        const parts = userTurn(turns);
        if (typeof content === 'string') parts.push({ type: 'text', text: content });
        else content.forEach((part, at) => parts.push(toUserPart(part, `${param}.content[${at}]`)));
      } else {
        const parts = assistantTurn(turns);
        if (typeof content === 'string') parts.push({ type: 'text', text: content });
        else content.forEach((part, at) => parts.push(toAssistantPart(part, `${param}.content[${at}]`)));
      }
      return;
    }
    case 'function_call':
      assistantTurn(turns).push({
        type: 'tool_call',
        id: item.call_id,
        name: item.name,
        arguments: item.arguments,
      });
      return;
    case 'function_call_output': {
      const { text, cached } = joinText(item.output, `${param}.output`);
      const result = { type: 'tool_result' as const, toolCallId: item.call_id, content: text };
      userTurn(turns).push(cached ? { ...result, cacheControl: ephemeral } : result);
      return;
    }
    case 'reasoning': {
      const texts = item.content ?? item.summary;
      let text = '';
      for (const part of texts) text += part.text;
      assistantTurn(turns).push(reasoningPartOf(text, item.encrypted_content));
      return;
    }
    case 'item_reference':
      throw notStored(param, 'item_reference');
  }
}

function toTools(tools: ResponsesBody['tools']): ToolDefinition[] | undefined {
  if (tools == null || tools.length === 0) return undefined;
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description ?? undefined,
    parameters: tool.parameters ?? { type: 'object', properties: {} },
  }));
}

function toToolChoice(choice: ResponsesToolChoice): ToolChoice {
  return typeof choice === 'string' ? { type: choice } : { type: 'tool', name: choice.name };
}

function toResponseFormat(format: TextFormat): ResponseFormat {
  if (format.type !== 'json_schema') return { type: format.type };
  return {
    type: 'json_schema',
    name: format.name,
    description: format.description ?? undefined,
    schema: format.schema,
    strict: format.strict ?? undefined,
  };
}

/** What the response object echoes back of the request (as the Responses API does). */
function echoOf(input: ResponsesBody): ResponseEcho {
  return {
    instructions: input.instructions ?? null,
    max_output_tokens: input.max_output_tokens ?? null,
    metadata: input.metadata ?? {},
    parallel_tool_calls: input.parallel_tool_calls ?? true,
    reasoning: { effort: input.reasoning?.effort ?? null, summary: input.reasoning?.summary ?? null },
    temperature: input.temperature ?? 1,
    text: { format: input.text?.format ?? { type: 'text' }, verbosity: input.text?.verbosity ?? 'medium' },
    tool_choice: input.tool_choice ?? 'auto',
    tools: (input.tools ?? []).map((tool) => ({
      type: 'function',
      name: tool.name,
      description: tool.description ?? null,
      parameters: tool.parameters ?? null,
      strict: tool.strict ?? null,
    })),
    top_p: input.top_p ?? 1,
    user: input.user ?? null,
  };
}

/** Parses a Responses API body into the canonical request; throws 400 GatewayErrors naming the field. */
export function parseOpenaiResponses(body: unknown): ParsedChat {
  if (isObject(body)) precheck(body);
  const parsed = responsesBody.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error);
  const input = parsed.data;
  refuseUnsupportedValues(input);
  const system: SystemPrompt = { texts: [], cached: false };
  if (input.instructions != null && input.instructions !== '') system.texts.push(input.instructions);
  const turns: OpenTurn[] = [];
  if (typeof input.input === 'string') {
    turns.push({ role: 'user', content: [{ type: 'text', text: input.input }] });
  } else {
    if (input.input.length === 0) throw invalidRequest('input: at least one input item is required', 'input');
    input.input.forEach((item, index) => {
      addItem(item, index, turns, system);
    });
  }
  // An assistant item with no content (an empty message before its function calls) still makes a turn.
  for (const turn of turns) if (turn.content.length === 0) turn.content.push({ type: 'text', text: '' });
  if (turns.length === 0)
    throw invalidRequest('input: at least one user or assistant item is required', 'input');
  const request: ChatRequest = {
    model: input.model,
    system: system.texts.length > 0 ? system.texts.join('\n\n') : undefined,
    systemCacheControl: system.cached ? ephemeral : undefined,
    messages: turns,
    maxTokens: input.max_output_tokens ?? undefined,
    temperature: input.temperature ?? undefined,
    topP: input.top_p ?? undefined,
    tools: toTools(input.tools),
    toolChoice: input.tool_choice == null ? undefined : toToolChoice(input.tool_choice),
    responseFormat: input.text?.format == null ? undefined : toResponseFormat(input.text.format),
    reasoning: input.reasoning?.effort == null ? undefined : { effort: input.reasoning.effort },
    stream: input.stream === true,
    user: input.user ?? input.safety_identifier ?? undefined,
  };
  return { request, includeUsage: true, echo: echoOf(input) };
}
