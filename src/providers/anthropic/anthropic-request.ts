import {
  reasoningBudgetTokens,
  type AssistantPart,
  type CacheControl,
  type ChatRequest,
  type ResponseFormat,
  type ToolChoice,
  type UserPart,
} from '../../core/chat-request.ts';
import { exceedsJsonDepth, maxJsonDepth } from '../../core/json-depth.ts';
import { invalidRequest } from '../../errors/gateway-error.ts';

/** Anthropic's cache breakpoint, as sent. */
interface WireCacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}
type Cached = { cache_control?: WireCacheControl };

type WireUserBlock = Cached &
  (
    | { type: 'text'; text: string }
    | { type: 'image'; source: { type: 'base64'; media_type: string; data: string } }
    | { type: 'tool_result'; tool_use_id: string; content: string; is_error?: boolean }
  );

type WireAssistantBlock =
  | ({ type: 'text'; text: string } & Cached)
  | ({ type: 'tool_use'; id: string; name: string; input: unknown } & Cached)
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string };

/** A message of the Messages API, as sent. */
export type AnthropicWireMessage =
  { role: 'user'; content: WireUserBlock[] } | { role: 'assistant'; content: WireAssistantBlock[] };

/** The Messages API request body (only the fields Spillway sends). */
export interface AnthropicWireRequest {
  model: string;
  max_tokens: number;
  system?: string | ({ type: 'text'; text: string } & Cached)[];
  messages: AnthropicWireMessage[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  tools?: ({ name: string; description?: string; input_schema: unknown } & Cached)[];
  tool_choice?: { type: 'auto' | 'any' | 'none' } | { type: 'tool'; name: string };
  thinking?: { type: 'enabled'; budget_tokens: number } | { type: 'disabled' };
  output_config?: { format: { type: 'json_schema'; schema: unknown } };
  metadata?: { user_id: string };
  stream: boolean;
}

/** Anthropic's smallest thinking budget (a smaller one is a 400). */
export const minThinkingBudget = 1024;

function cached<T extends object>(block: T, control: CacheControl | undefined): T & Cached {
  if (control === undefined) return block;
  const wire: WireCacheControl =
    control.ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: control.ttl };
  return { ...block, cache_control: wire };
}

/** How a request is sent. */
export interface AnthropicRequestOptions {
  /** The upstream model id (`request.model` is the group and is not sent). */
  readonly modelId: string;
  /** Ask for SSE (stream()) or one JSON answer (generate()), whatever `request.stream` says. */
  readonly stream: boolean;
  /** The pinned anthropic-version; decides whether sampling parameters may be sent. */
  readonly version: string;
}

/** Anthropic requires max_tokens; this is used when the client gave none. */
export const defaultMaxTokens = 4096;

/** The first API version without temperature/top_p/top_k (protocols.md §3.1): sending them is a 400. */
const samplingRemovedFrom = '2026-10-21';

function userBlocks(parts: readonly UserPart[]): WireUserBlock[] {
  // The API wants tool results first in their user turn; other parts keep their order after them.
  const results: WireUserBlock[] = [];
  const rest: WireUserBlock[] = [];
  for (const part of parts) {
    if (part.type === 'tool_result') {
      const block: WireUserBlock = {
        type: 'tool_result',
        tool_use_id: part.toolCallId,
        content: part.content,
      };
      if (part.isError === true) block.is_error = true;
      results.push(cached(block, part.cacheControl));
    } else if (part.type === 'text') {
      // Empty text blocks are a 400 on this API.
      if (part.text.length > 0) rest.push(cached({ type: 'text', text: part.text }, part.cacheControl));
    } else {
      const source = { type: 'base64' as const, media_type: part.mediaType, data: part.data };
      rest.push(cached({ type: 'image', source }, part.cacheControl));
    }
  }
  return results.length === 0 ? rest : results.concat(rest);
}

function toolInput(argumentsJson: string, index: number): unknown {
  if (argumentsJson.trim().length === 0) return {};
  let input: unknown;
  try {
    input = JSON.parse(argumentsJson) as unknown;
  } catch {
    throw invalidRequest('tool call arguments must be valid JSON for this provider', `messages[${index}]`);
  }
  // The body is serialized recursively: a deeper value would overflow the stack there.
  if (exceedsJsonDepth(input, maxJsonDepth)) {
    throw invalidRequest(
      `tool call arguments must not nest more than ${maxJsonDepth} levels deep`,
      `messages[${index}]`,
    );
  }
  return input;
}

function assistantBlocks(parts: readonly AssistantPart[], index: number): WireAssistantBlock[] {
  const blocks: WireAssistantBlock[] = [];
  for (const part of parts) {
    if (part.type === 'text') {
      if (part.text.length > 0) blocks.push(cached({ type: 'text', text: part.text }, part.cacheControl));
    } else if (part.type === 'reasoning') {
      // Thinking goes back only with the signature Anthropic gave it; unsigned reasoning (from
      // another provider) would be a 400, and the API ignores thinking of earlier turns anyway.
      if (part.signature !== undefined && part.signature !== '')
        blocks.push({ type: 'thinking', thinking: part.text, signature: part.signature });
    } else if (part.type === 'redacted_reasoning') {
      blocks.push({ type: 'redacted_thinking', data: part.data });
    } else {
      const block = {
        type: 'tool_use' as const,
        id: part.id,
        name: part.name,
        input: toolInput(part.arguments, index),
      };
      blocks.push(cached(block, part.cacheControl));
    }
  }
  return blocks;
}

function toolChoice(choice: ToolChoice): NonNullable<AnthropicWireRequest['tool_choice']> {
  switch (choice.type) {
    case 'auto':
    case 'none':
      return { type: choice.type };
    case 'required':
      return { type: 'any' };
    case 'tool':
      return { type: 'tool', name: choice.name };
  }
}

/**
 * A JSON schema is asked for natively (`output_config.format`, the API's structured output). The
 * Messages API has no schema-less JSON mode: `json_object` is asked for with a system instruction
 * (the model usually complies; the gateway does not validate the answer).
 */
function jsonInstruction(format: ResponseFormat): string | undefined {
  if (format.type !== 'json_object') return undefined;
  return 'Respond with a single valid JSON object and nothing else: no prose, no Markdown code fences.';
}

/** The system prompt: a string, or one cached text block when the client set a breakpoint on it. */
function systemOf(request: ChatRequest): AnthropicWireRequest['system'] {
  const instruction =
    request.responseFormat === undefined ? undefined : jsonInstruction(request.responseFormat);
  if (request.system === undefined && instruction === undefined) return undefined;
  const text = [request.system, instruction]
    .filter((entry) => entry !== undefined && entry.length > 0)
    .join('\n\n');
  if (request.systemCacheControl === undefined) return text;
  return [cached({ type: 'text' as const, text }, request.systemCacheControl)];
}

/**
 * Thinking: the budget the client gave (or its effort's), which must stay under max_tokens; an
 * effort's budget larger than the answer's cap raises the cap by the budget, since the client's
 * cap was meant for the answer. Budget 0 (effort none) turns thinking off.
 */
function applyThinking(request: ChatRequest, wire: AnthropicWireRequest): void {
  if (request.reasoning === undefined) return;
  const budget = reasoningBudgetTokens(request.reasoning);
  if (budget <= 0) {
    wire.thinking = { type: 'disabled' };
    return;
  }
  const budgetTokens = request.reasoning.budgetTokens ?? Math.max(budget, minThinkingBudget);
  wire.thinking = { type: 'enabled', budget_tokens: budgetTokens };
  if (request.reasoning.budgetTokens === undefined && wire.max_tokens <= budgetTokens) {
    wire.max_tokens += budgetTokens;
  }
}

/** Translates a canonical request into a Messages API body. */
export function toAnthropicRequest(
  request: ChatRequest,
  options: AnthropicRequestOptions,
): AnthropicWireRequest {
  const messages: AnthropicWireMessage[] = [];
  request.messages.forEach((message, index) => {
    if (message.role === 'user') {
      messages.push({ role: 'user', content: userBlocks(message.content) });
      return;
    }
    const content = assistantBlocks(message.content, index);
    // An assistant turn with nothing in it is a 400; dropping it loses nothing.
    if (content.length > 0) messages.push({ role: 'assistant', content });
  });
  const wire: AnthropicWireRequest = {
    model: options.modelId,
    max_tokens: request.maxTokens ?? defaultMaxTokens,
    messages,
    stream: options.stream,
  };
  const system = systemOf(request);
  if (system !== undefined) wire.system = system;
  applyThinking(request, wire);
  if (request.responseFormat?.type === 'json_schema') {
    wire.output_config = { format: { type: 'json_schema', schema: request.responseFormat.schema } };
  }
  if (options.version < samplingRemovedFrom) {
    if (request.temperature !== undefined) wire.temperature = request.temperature;
    if (request.topP !== undefined) wire.top_p = request.topP;
    if (request.topK !== undefined) wire.top_k = request.topK;
  }
  if (request.stop !== undefined && request.stop.length > 0) wire.stop_sequences = [...request.stop];
  if (request.tools !== undefined && request.tools.length > 0) {
    wire.tools = request.tools.map((tool) =>
      cached(
        tool.description === undefined
          ? { name: tool.name, input_schema: tool.parameters }
          : { name: tool.name, description: tool.description, input_schema: tool.parameters },
        tool.cacheControl,
      ),
    );
  }
  if (request.toolChoice !== undefined) wire.tool_choice = toolChoice(request.toolChoice);
  if (request.user !== undefined) wire.metadata = { user_id: request.user };
  return wire;
}

/** The body of POST /v1/messages/count_tokens for a request: what bills input, nothing else. */
export function toAnthropicCountTokensRequest(
  request: ChatRequest,
  modelId: string,
): Record<string, unknown> {
  const wire = toAnthropicRequest(request, { modelId, stream: false, version: '' });
  return {
    model: wire.model,
    messages: wire.messages,
    ...(wire.system === undefined ? {} : { system: wire.system }),
    ...(wire.tools === undefined ? {} : { tools: wire.tools }),
    ...(wire.tool_choice === undefined ? {} : { tool_choice: wire.tool_choice }),
    ...(wire.thinking === undefined ? {} : { thinking: wire.thinking }),
    ...(wire.output_config === undefined ? {} : { output_config: wire.output_config }),
  };
}
