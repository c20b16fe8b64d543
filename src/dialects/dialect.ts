import type { ChatRequest } from '../core/chat-request.ts';
import type { ChatResponse } from '../core/chat-response.ts';
import type { Dialect } from '../core/dialect-name.ts';
import { parseAnthropicMessages } from './anthropic-messages/anthropic-messages-request.ts';
import { renderAnthropicMessage } from './anthropic-messages/anthropic-messages-response.ts';
import { AnthropicStreamRenderer } from './anthropic-messages/anthropic-stream-renderer.ts';
import { parseOpenaiChat } from './openai-chat/openai-chat-request.ts';
import { renderOpenaiChatResponse } from './openai-chat/openai-chat-response.ts';
import { OpenaiStreamRenderer } from './openai-chat/openai-stream-renderer.ts';
import type { StreamRenderer } from './stream-renderer.ts';

/** A chat body parsed from one dialect. */
export interface ParsedChat {
  /** The canonical request (`model` is the group the client named). */
  readonly request: ChatRequest;
  /** OpenAI stream_options.include_usage (always false for Anthropic, whose stream always has usage). */
  readonly includeUsage: boolean;
}

/** One client dialect of the chat routes: parse its body, render answers and streams in it. */
export interface ChatDialect {
  /** The dialect errors are rendered in. */
  readonly name: Dialect;
  /** Body → canonical request; throws 400 GatewayErrors naming the parameter at fault. */
  parse(body: unknown): ParsedChat;
  /** The JSON text of a complete answer; `model` is the group the client asked for, `created` epoch s. */
  render(response: ChatResponse, model: string, created: number): string;
  /** A renderer for one stream; `requestId` names the stream if the upstream gives no id. */
  createStreamRenderer(parsed: ParsedChat, requestId: string, created: number): StreamRenderer;
}

export const openaiChatDialect: ChatDialect = {
  name: 'openai',
  parse: parseOpenaiChat,
  render: renderOpenaiChatResponse,
  createStreamRenderer: (parsed, requestId, created) =>
    new OpenaiStreamRenderer({
      model: parsed.request.model,
      created,
      includeUsage: parsed.includeUsage,
      fallbackId: `chatcmpl-${requestId}`,
    }),
};

export const anthropicChatDialect: ChatDialect = {
  name: 'anthropic',
  parse: (body) => ({ request: parseAnthropicMessages(body), includeUsage: false }),
  render: (response, model) => renderAnthropicMessage(response, model),
  createStreamRenderer: (parsed, requestId) =>
    new AnthropicStreamRenderer({ model: parsed.request.model, fallbackId: `msg_${requestId}` }),
};
