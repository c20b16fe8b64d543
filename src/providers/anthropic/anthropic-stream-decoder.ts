import { z } from 'zod';
import type { StopReason } from '../../core/chat-response.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { exceedsJsonDepth, maxJsonDepth } from '../../core/json-depth.ts';
import type { Usage } from '../../core/usage.ts';
import { badResponse, streamInterrupted } from '../../errors/upstream-errors.ts';
import { MalformedEvents } from '../shared/malformed-events.ts';
import { classifyAnthropicStreamError } from './anthropic-errors.ts';
import {
  anthropicBlockSchema,
  anthropicUsageSchema,
  fromAnthropicStopReason,
  fromAnthropicUsage,
  type AnthropicBlock,
  type AnthropicUsage,
} from './anthropic-response.ts';

const eventSchema = z.object({
  type: z.string(),
  index: z.number().optional(),
  message: z.object({ id: z.string(), model: z.string(), usage: anthropicUsageSchema.nullish() }).optional(),
  content_block: anthropicBlockSchema.optional(),
  delta: z
    .object({
      type: z.string().optional(),
      text: z.string().optional(),
      partial_json: z.string().optional(),
      thinking: z.string().optional(),
      signature: z.string().optional(),
      stop_reason: z.string().nullish(),
      stop_sequence: z.string().nullish(),
    })
    .optional(),
  usage: anthropicUsageSchema.nullish(),
});

type StreamEvent = z.infer<typeof eventSchema>;

/**
 * Turns Messages API SSE events (protocols.md §3.3) into canonical events. Text, tool_use, thinking
 * and redacted_thinking blocks are forwarded (server-tool blocks are skipped), so wire block indexes
 * are renumbered into canonical ones. `message_start` carries the input usage Anthropic reports
 * there. `message_stop` yields the canonical message_stop and usage; so
 * does a body that ended cleanly after the stop reason (`message_delta`) without `message_stop`,
 * with the usage it sent (the output estimated, and marked so, when none came). A malformed event
 * is skipped (`MalformedEvents`: a run of them fails the stream); a repeated `message_start` too.
 */
export class AnthropicStreamDecoder {
  private readonly upstream: string;
  private nextIndex = 0;
  /** Wire block index → canonical index, for forwarded blocks only. */
  private readonly indexes = new Map<number, number>();
  private usage: AnthropicUsage = {};
  private stopReason: StopReason | undefined;
  private stopSequence: string | undefined;
  private started = false;
  private finished = false;
  /** Characters of streamed text and tool input, for the estimate when no output count came. */
  private streamedCharacters = 0;
  /** Whether a message_delta reported the output count (message_start's is a placeholder). */
  private outputReported = false;
  private readonly malformed: MalformedEvents;

  constructor(upstream: string, malformed: MalformedEvents = new MalformedEvents({})) {
    this.upstream = upstream;
    this.malformed = malformed;
  }

  /** True once message_stop arrived: the stream is complete. */
  get done(): boolean {
    return this.finished;
  }

  /** Decodes one SSE `data` payload; throws a classified GatewayError for errors and garbage. */
  decode(data: string): ChatStreamEvent[] {
    if (this.finished) return [];
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch (error) {
      this.malformed.skip(`${this.upstream} sent a stream event that is not JSON`, error);
      return [];
    }
    // A tool_use input is re-serialized with JSON.stringify, which overflows the stack on deep values.
    if (exceedsJsonDepth(value, maxJsonDepth)) {
      this.malformed.skip(
        `${this.upstream} sent a stream event nested more than ${maxJsonDepth} levels deep`,
      );
      return [];
    }
    const parsed = eventSchema.safeParse(value);
    if (!parsed.success || (parsed.data.type === 'message_start' && parsed.data.message === undefined)) {
      this.malformed.skip(`${this.upstream} sent a malformed stream event`, parsed.error);
      return [];
    }
    this.malformed.ok();
    const event = parsed.data;
    if (event.type === 'error') throw classifyAnthropicStreamError(value, this.upstream);
    if (!this.started && event.type !== 'message_start' && event.type !== 'ping') {
      throw badResponse(`${this.upstream} stream did not begin with message_start`);
    }
    return this.apply(event);
  }

  /**
   * The body ended cleanly: the final events still owed (message_stop and usage, when the stop
   * reason came but message_stop did not). Throws `upstream_stream_interrupted` without a stop reason.
   */
  finish(): ChatStreamEvent[] {
    if (this.finished) return [];
    if (this.stopReason === undefined)
      throw streamInterrupted(`${this.upstream} stream ended without message_stop`);
    return this.stop();
  }

  private apply(event: StreamEvent): ChatStreamEvent[] {
    switch (event.type) {
      case 'message_start': {
        // A repeated message_start would start a second message in the client's stream.
        if (this.started || event.message === undefined) return [];
        this.started = true;
        this.mergeUsage(event.message.usage);
        const { id, model } = event.message;
        return event.message.usage === null || event.message.usage === undefined
          ? [{ type: 'message_start', id, model }]
          : [{ type: 'message_start', id, model, usage: fromAnthropicUsage(this.usage) }];
      }
      case 'content_block_start':
        return this.blockStart(event);
      case 'content_block_delta': {
        const index = this.indexes.get(event.index ?? -1);
        const delta = event.delta;
        if (index === undefined || delta === undefined) return [];
        if (delta.type === 'text_delta' && delta.text !== undefined && delta.text.length > 0) {
          this.streamedCharacters += delta.text.length;
          return [{ type: 'text_delta', index, text: delta.text }];
        }
        if (
          delta.type === 'input_json_delta' &&
          delta.partial_json !== undefined &&
          delta.partial_json.length > 0
        ) {
          this.streamedCharacters += delta.partial_json.length;
          return [{ type: 'tool_call_delta', index, argumentsDelta: delta.partial_json }];
        }
        if (delta.type === 'thinking_delta' && delta.thinking !== undefined && delta.thinking.length > 0) {
          this.streamedCharacters += delta.thinking.length;
          return [{ type: 'reasoning_delta', index, text: delta.thinking }];
        }
        if (delta.type === 'signature_delta' && delta.signature !== undefined && delta.signature.length > 0) {
          return [{ type: 'reasoning_signature', index, signature: delta.signature }];
        }
        return [];
      }
      case 'content_block_stop': {
        const index = this.indexes.get(event.index ?? -1);
        return index === undefined ? [] : [{ type: 'content_block_stop', index }];
      }
      case 'message_delta':
        if (event.delta?.stop_reason !== null && event.delta?.stop_reason !== undefined) {
          this.stopReason = fromAnthropicStopReason(event.delta.stop_reason);
        }
        if (event.delta?.stop_sequence !== null && event.delta?.stop_sequence !== undefined) {
          this.stopSequence = event.delta.stop_sequence;
        }
        // Counts in message_delta are cumulative: they replace, not add.
        this.mergeUsage(event.usage);
        if (event.usage?.output_tokens !== null && event.usage?.output_tokens !== undefined)
          this.outputReported = true;
        return [];
      case 'message_stop':
        return this.stop();
      default:
        // ping and event types newer than this adapter.
        return [];
    }
  }

  private blockStart(event: StreamEvent): ChatStreamEvent[] {
    const block = event.content_block;
    if (event.index === undefined || block === undefined) {
      throw badResponse(`${this.upstream} content_block_start without index or block`);
    }
    if (block.type === 'text') {
      const index = this.nextIndex++;
      this.indexes.set(event.index, index);
      const text = block.text ?? '';
      return text.length > 0 ? [{ type: 'text_delta', index, text }] : [];
    }
    if (block.type === 'thinking' || block.type === 'redacted_thinking')
      return this.reasoningStart(event.index, block);
    if (block.type !== 'tool_use') return [];
    if (block.id === undefined || block.name === undefined) {
      throw badResponse(`${this.upstream} tool_use block without id or name`);
    }
    const index = this.nextIndex++;
    this.indexes.set(event.index, index);
    const events: ChatStreamEvent[] = [{ type: 'tool_call_start', index, id: block.id, name: block.name }];
    // The input normally streams as input_json_delta from an empty object; a pre-filled one is sent whole.
    const input = block.input;
    if (typeof input === 'object' && input !== null && Object.keys(input).length > 0) {
      events.push({ type: 'tool_call_delta', index, argumentsDelta: JSON.stringify(input) });
    }
    return events;
  }

  private reasoningStart(wireIndex: number, block: AnthropicBlock): ChatStreamEvent[] {
    const index = this.nextIndex++;
    this.indexes.set(wireIndex, index);
    if (block.type === 'redacted_thinking') {
      if (block.data === undefined)
        throw badResponse(`${this.upstream} redacted_thinking block without data`);
      return [{ type: 'redacted_reasoning', index, data: block.data }];
    }
    const events: ChatStreamEvent[] = [];
    if (block.thinking !== undefined && block.thinking.length > 0)
      events.push({ type: 'reasoning_delta', index, text: block.thinking });
    if (block.signature !== undefined && block.signature.length > 0)
      events.push({ type: 'reasoning_signature', index, signature: block.signature });
    return events;
  }

  private mergeUsage(usage: AnthropicUsage | null | undefined): void {
    if (usage === null || usage === undefined) return;
    this.usage = {
      input_tokens: usage.input_tokens ?? this.usage.input_tokens,
      output_tokens: usage.output_tokens ?? this.usage.output_tokens,
      cache_creation_input_tokens:
        usage.cache_creation_input_tokens ?? this.usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens ?? this.usage.cache_read_input_tokens,
      output_tokens_details: usage.output_tokens_details ?? this.usage.output_tokens_details,
    };
  }

  private stop(): ChatStreamEvent[] {
    this.finished = true;
    const reported: Usage = fromAnthropicUsage(this.usage);
    // No output count arrived (no message_delta usage): estimate it, about four characters a token.
    const usage: Usage = !this.outputReported
      ? { ...reported, outputTokens: Math.ceil(this.streamedCharacters / 4), estimated: true }
      : reported;
    const stopReason = this.stopReason ?? 'end_turn';
    return [
      this.stopSequence === undefined
        ? { type: 'message_stop', stopReason }
        : { type: 'message_stop', stopReason, stopSequence: this.stopSequence },
      { type: 'usage', usage },
    ];
  }
}
