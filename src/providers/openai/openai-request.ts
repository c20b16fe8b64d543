import { GatewayError } from '../../errors/gateway-error.ts';
import {
  reasoningEffortOf,
  type AssistantPart,
  type ChatRequest,
  type ReasoningEffort,
  type ResponseFormat,
  type ToolChoice,
  type UserPart,
} from '../../core/chat-request.ts';

/** Which field carries the output token limit: OpenAI's current name or the one every compatible server knows. */
export type MaxTokensField = 'max_tokens' | 'max_completion_tokens';

type WireContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A message of the Chat Completions API, as sent. */
export type OpenAIWireMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | WireContentPart[] }
  | { role: 'assistant'; content: string | null; tool_calls?: WireToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** The Chat Completions request body (only the fields Spillway sends). */
export interface OpenAIWireRequest {
  model: string;
  messages: OpenAIWireMessage[];
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string[];
  tools?: { type: 'function'; function: { name: string; description?: string; parameters: unknown } }[];
  tool_choice?: 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };
  response_format?:
    | { type: 'text' | 'json_object' }
    | { type: 'json_schema'; json_schema: { name: string; schema: unknown; strict?: boolean } };
  reasoning_effort?: ReasoningEffort;
  user?: string;
  stream: boolean;
  stream_options?: { include_usage: true };
}

function userMessages(parts: readonly UserPart[], into: OpenAIWireMessage[]): void {
  // Tool results become `role: "tool"` messages; they must directly follow the assistant turn
  // that made the calls, so they go before any text of the same canonical user turn.
  const rest: WireContentPart[] = [];
  for (const part of parts) {
    if (part.type === 'tool_result') {
      // OpenAI has no error flag on tool results; the content itself says what went wrong.
      into.push({ role: 'tool', tool_call_id: part.toolCallId, content: part.content });
    } else if (part.type === 'text') {
      rest.push({ type: 'text', text: part.text });
    } else {
      rest.push({ type: 'image_url', image_url: { url: `data:${part.mediaType};base64,${part.data}` } });
    }
  }
  if (rest.length === 0) return;
  const only = rest[0];
  // A lone text part goes as a plain string: the form every OpenAI-compatible server accepts.
  if (rest.length === 1 && only?.type === 'text') into.push({ role: 'user', content: only.text });
  else into.push({ role: 'user', content: rest });
}

function assistantMessage(parts: readonly AssistantPart[]): OpenAIWireMessage {
  let text: string | null = null;
  let toolCalls: WireToolCall[] | undefined;
  for (const part of parts) {
    if (part.type === 'text') {
      text = text === null ? part.text : text + part.text;
    } else if (part.type === 'tool_call') {
      // Reasoning parts are not sent: Chat Completions takes no reasoning input.
      (toolCalls ??= []).push({
        id: part.id,
        type: 'function',
        function: { name: part.name, arguments: part.arguments },
      });
    }
  }
  return toolCalls === undefined
    ? { role: 'assistant', content: text ?? '' }
    : { role: 'assistant', content: text, tool_calls: toolCalls };
}

function toolChoice(choice: ToolChoice): NonNullable<OpenAIWireRequest['tool_choice']> {
  switch (choice.type) {
    case 'auto':
    case 'none':
    case 'required':
      return choice.type;
    case 'tool':
      return { type: 'function', function: { name: choice.name } };
  }
}

function responseFormat(format: ResponseFormat): NonNullable<OpenAIWireRequest['response_format']> {
  if (format.type !== 'json_schema') return { type: format.type };
  const jsonSchema: { name: string; schema: unknown; strict?: boolean } = {
    name: format.name,
    schema: format.schema,
  };
  if (format.strict !== undefined) jsonSchema.strict = format.strict;
  return { type: 'json_schema', json_schema: jsonSchema };
}

/** How a request is sent: to which model, streamed or not, with which token-limit field. */
export interface OpenAIRequestOptions {
  /** The upstream model id (`request.model` is the group and is not sent). */
  readonly modelId: string;
  /** Ask for SSE (stream()) or one JSON answer (generate()), whatever `request.stream` says. */
  readonly stream: boolean;
  readonly maxTokensField: MaxTokensField;
}

/** Translates a canonical request into a Chat Completions body. */
export function toOpenAIRequest(request: ChatRequest, options: OpenAIRequestOptions): OpenAIWireRequest {
  const { modelId, stream, maxTokensField } = options;
  if (request.topK !== undefined) {
    throw new GatewayError('top_k is not supported by OpenAI-style upstreams', {
      code: 'unsupported',
      param: 'top_k',
    });
  }
  const messages: OpenAIWireMessage[] = [];
  if (request.system !== undefined) messages.push({ role: 'system', content: request.system });
  for (const message of request.messages) {
    if (message.role === 'user') userMessages(message.content, messages);
    else messages.push(assistantMessage(message.content));
  }
  const wire: OpenAIWireRequest = { model: modelId, messages, stream };
  if (request.maxTokens !== undefined) wire[maxTokensField] = request.maxTokens;
  if (request.temperature !== undefined) wire.temperature = request.temperature;
  if (request.topP !== undefined) wire.top_p = request.topP;
  if (request.stop !== undefined && request.stop.length > 0) wire.stop = [...request.stop];
  if (request.tools !== undefined && request.tools.length > 0) {
    wire.tools = request.tools.map((tool) => ({
      type: 'function' as const,
      function:
        tool.description === undefined
          ? { name: tool.name, parameters: tool.parameters }
          : { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
  }
  if (request.toolChoice !== undefined) wire.tool_choice = toolChoice(request.toolChoice);
  if (request.responseFormat !== undefined) wire.response_format = responseFormat(request.responseFormat);
  // Anthropic-style budgets become the nearest effort. Cache breakpoints are not sent: OpenAI caches
  // prompt prefixes by itself, and reports the hits as cached_tokens.
  if (request.reasoning !== undefined) wire.reasoning_effort = reasoningEffortOf(request.reasoning);
  if (request.user !== undefined) wire.user = request.user;
  // Usage arrives only when asked for; a stream without it cannot be accounted, so always ask.
  if (stream) wire.stream_options = { include_usage: true };
  return wire;
}
