import type { StopReason } from '../../core/chat-response.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import type { Usage } from '../../core/usage.ts';
import { openaiErrorBody } from './openai-error.ts';
import { streamInterrupted } from '../../errors/upstream-errors.ts';
import type { GatewayError } from '../../errors/gateway-error.ts';
import { openaiFinishReason, openaiUsage } from './openai-chat-response.ts';
import type { StreamRenderer } from '../stream-renderer.ts';

/**
 * OpenAI chat.completion.chunk SSE: `data: <json>\n\n` frames, a first chunk carrying the role,
 * content and tool_calls deltas (each tool call's own index among tool calls, id and name on its
 * first delta), a finish chunk, a usage chunk with `choices: []` only when include_usage, then
 * `data: [DONE]`. https://platform.openai.com/docs/api-reference/chat-streaming
 */
export class OpenaiStreamRenderer implements StreamRenderer {
  private readonly model: string;
  private readonly created: number;
  private readonly includeUsage: boolean;
  private readonly fallbackId: string;
  /** `{"id":…,"object":…,"created":…,"model":…,"choices":[` built once per stream. */
  private prefix: string | undefined;
  private readonly suffix: string;
  /** Canonical content block index → index of the tool call among tool calls. */
  private readonly toolIndexes = new Map<number, number>();
  private stopReason: StopReason | undefined;
  private usage: Usage | undefined;

  constructor(options: { model: string; created: number; includeUsage: boolean; fallbackId: string }) {
    this.model = options.model;
    this.created = options.created;
    this.includeUsage = options.includeUsage;
    this.fallbackId = options.fallbackId;
    this.suffix = options.includeUsage ? '],"usage":null}\n\n' : ']}\n\n';
  }

  private chunkPrefix(id?: string): string {
    this.prefix ??= `data: {"id":${JSON.stringify(id ?? this.fallbackId)},"object":"chat.completion.chunk","created":${this.created},"model":${JSON.stringify(this.model)},"choices":[`;
    return this.prefix;
  }

  private chunk(choice: string, id?: string): string {
    return this.chunkPrefix(id) + choice + this.suffix;
  }

  event(event: ChatStreamEvent): string {
    switch (event.type) {
      case 'message_start':
        return this.chunk(
          '{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}',
          event.id,
        );
      case 'text_delta':
        return this.chunk(
          `{"index":0,"delta":{"content":${JSON.stringify(event.text)}},"finish_reason":null}`,
        );
      case 'tool_call_start': {
        const index = this.toolIndexes.size;
        this.toolIndexes.set(event.index, index);
        const call = { index, id: event.id, type: 'function', function: { name: event.name, arguments: '' } };
        return this.chunk(
          `{"index":0,"delta":{"tool_calls":[${JSON.stringify(call)}]},"finish_reason":null}`,
        );
      }
      case 'tool_call_delta': {
        const index = this.toolIndexes.get(event.index) ?? 0;
        const call = { index, function: { arguments: event.argumentsDelta } };
        return this.chunk(
          `{"index":0,"delta":{"tool_calls":[${JSON.stringify(call)}]},"finish_reason":null}`,
        );
      }
      case 'reasoning_delta':
      case 'reasoning_signature':
      case 'redacted_reasoning': // Chat Completions has no reasoning content; usage counts it
      case 'content_block_stop':
        return '';
      case 'message_stop':
        this.stopReason = event.stopReason;
        return this.chunk(`{"index":0,"delta":{},"finish_reason":"${openaiFinishReason(event.stopReason)}"}`);
      case 'usage':
        this.usage = event.usage;
        return '';
    }
  }

  end(): string {
    if (this.stopReason === undefined) throw streamInterrupted('upstream stream ended before it finished');
    if (!this.includeUsage || this.usage === undefined) return 'data: [DONE]\n\n';
    const usage = JSON.stringify(openaiUsage(this.usage));
    return `${this.chunkPrefix()}],"usage":${usage}}\n\ndata: [DONE]\n\n`;
  }

  error(error: GatewayError): string {
    return `data: ${JSON.stringify(openaiErrorBody(error))}\n\n`;
  }
}
