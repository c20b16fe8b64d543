import { z } from 'zod';
import type { StopReason } from '../../core/chat-response.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { createId } from '../../core/ids.ts';
import { streamInterrupted } from '../../errors/upstream-errors.ts';
import { MalformedEvents } from '../shared/malformed-events.ts';
import { classifyOpenAIStreamError } from './openai-errors.ts';
import { fromOpenAIFinishReason, fromOpenAIUsage, openAIUsageSchema } from './openai-response.ts';

const chunkSchema = z.object({
  id: z.string().nullish(),
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        index: z.number().nullish(),
        delta: z
          .object({
            content: z.string().nullish(),
            refusal: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number(),
                  id: z.string().nullish(),
                  function: z
                    .object({ name: z.string().nullish(), arguments: z.string().nullish() })
                    .nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: openAIUsageSchema.nullish(),
});

type Chunk = z.infer<typeof chunkSchema>;
type ChunkChoice = NonNullable<Chunk['choices']>[number];

/**
 * Turns the `data:` payloads of a Chat Completions stream into canonical events (stream-event.ts).
 * Content blocks get canonical indexes in order of appearance: a text run is one block, each tool
 * call (by its wire `index`) another; a new block closes the previous one. The `usage` event is held
 * back until `[DONE]`, so a stream cut after the usage chunk still fails rather than looking complete.
 *
 * Some OpenAI-compatible servers ignore `stream_options.include_usage`. A stream that ends properly
 * (a finish reason, then `[DONE]`) without usage is complete all the same: its usage is estimated at
 * about four characters per token (input from the request, output from what was streamed) and marked
 * `estimated`, so limits and spend still count it. So is a stream whose body ended cleanly after
 * its finish reason without `[DONE]` (with the usage it sent, else the estimate): every peer
 * finalises it. A malformed chunk is skipped (`MalformedEvents`: a run of them fails the stream).
 */
export class OpenAIStreamDecoder {
  private readonly modelId: string;
  private readonly upstream: string;
  private started = false;
  private nextIndex = 0;
  /** The canonical index of the block being streamed, and whether it is text. */
  private open: { readonly index: number; readonly text: boolean } | undefined;
  /** Wire tool-call index → canonical block index. */
  private readonly toolIndexes = new Map<number, number>();
  private stopReason: StopReason | undefined;
  private refused = false;
  private usage: ChatStreamEvent | undefined;
  private finished = false;
  /** Characters of streamed text and tool arguments, for the estimate when usage never comes. */
  private streamedCharacters = 0;
  private readonly estimateInputTokens: () => number;
  private readonly malformed: MalformedEvents;

  constructor(
    modelId: string,
    upstream: string,
    estimateInputTokens: () => number = () => 0,
    malformed: MalformedEvents = new MalformedEvents({}),
  ) {
    this.modelId = modelId;
    this.upstream = upstream;
    this.estimateInputTokens = estimateInputTokens;
    this.malformed = malformed;
  }

  /** True once `[DONE]` arrived after the finish reason and usage: the stream is complete. */
  get done(): boolean {
    return this.finished;
  }

  /**
   * Decodes one SSE `data` payload; throws a classified GatewayError for error events and for a run
   * of malformed chunks (a single one is skipped).
   */
  decode(data: string): ChatStreamEvent[] {
    if (this.finished) return [];
    if (data === '[DONE]') return this.end();
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch (error) {
      this.malformed.skip(`${this.upstream} sent a stream chunk that is not JSON`, error);
      return [];
    }
    if (typeof value === 'object' && value !== null && 'error' in value) {
      throw classifyOpenAIStreamError(value, this.upstream);
    }
    const parsed = chunkSchema.safeParse(value);
    if (!parsed.success) {
      this.malformed.skip(`${this.upstream} sent a malformed stream chunk`, parsed.error);
      return [];
    }
    this.malformed.ok();
    const chunk = parsed.data;
    const events: ChatStreamEvent[] = [];
    if (!this.started) {
      this.started = true;
      // Azure's first chunk (prompt filter results) has an empty id and model.
      const id =
        chunk.id === null || chunk.id === undefined || chunk.id === '' ? createId('chatcmpl-') : chunk.id;
      const model =
        chunk.model === null || chunk.model === undefined || chunk.model === '' ? this.modelId : chunk.model;
      events.push({ type: 'message_start', id, model });
    }
    const choice = chunk.choices?.find((candidate) => (candidate.index ?? 0) === 0);
    if (choice !== undefined && this.stopReason === undefined) this.choice(choice, events);
    // The last usage wins: servers that report running totals in every chunk end with the final one.
    if (chunk.usage !== null && chunk.usage !== undefined) {
      this.usage = { type: 'usage', usage: fromOpenAIUsage(chunk.usage) };
    }
    return events;
  }

  /**
   * The body ended cleanly: the final events still owed (the usage, when `[DONE]` never came after
   * the finish reason). Throws `upstream_stream_interrupted` when no finish reason arrived.
   */
  finish(): ChatStreamEvent[] {
    if (this.finished) return [];
    if (this.stopReason === undefined)
      throw streamInterrupted(`${this.upstream} stream ended without a finish_reason`);
    return this.end();
  }

  private end(): ChatStreamEvent[] {
    if (this.stopReason === undefined)
      throw streamInterrupted(`${this.upstream} stream sent [DONE] before a finish_reason`);
    this.finished = true;
    return [
      this.usage ?? {
        type: 'usage',
        usage: {
          inputTokens: this.estimateInputTokens(),
          outputTokens: Math.ceil(this.streamedCharacters / 4),
          estimated: true,
        },
      },
    ];
  }

  private choice(choice: ChunkChoice, events: ChatStreamEvent[]): void {
    const delta = choice.delta;
    if (delta !== null && delta !== undefined) {
      let text = delta.content;
      if ((text === null || text === undefined || text.length === 0) && typeof delta.refusal === 'string') {
        text = delta.refusal;
        this.refused = true;
      }
      if (text !== null && text !== undefined && text.length > 0) {
        const index = this.open?.text === true ? this.open.index : this.openBlock(true, events);
        events.push({ type: 'text_delta', index, text });
        this.streamedCharacters += text.length;
      }
      for (const call of delta.tool_calls ?? []) {
        let index = this.toolIndexes.get(call.index);
        if (index === undefined) {
          index = this.openBlock(false, events);
          this.toolIndexes.set(call.index, index);
          const name = call.function?.name ?? '';
          events.push({ type: 'tool_call_start', index, id: call.id ?? createId('call_'), name });
        }
        const argumentsDelta = call.function?.arguments;
        // A late delta for an earlier call (servers that interleave) keeps that call's own index.
        if (argumentsDelta !== null && argumentsDelta !== undefined && argumentsDelta.length > 0) {
          events.push({ type: 'tool_call_delta', index, argumentsDelta });
          this.streamedCharacters += argumentsDelta.length;
        }
      }
    }
    const reason = choice.finish_reason;
    if (reason !== null && reason !== undefined) {
      if (this.open !== undefined) events.push({ type: 'content_block_stop', index: this.open.index });
      this.open = undefined;
      this.stopReason = this.refused && reason === 'stop' ? 'content_filter' : fromOpenAIFinishReason(reason);
      events.push({ type: 'message_stop', stopReason: this.stopReason });
    }
  }

  private openBlock(text: boolean, events: ChatStreamEvent[]): number {
    if (this.open !== undefined) events.push({ type: 'content_block_stop', index: this.open.index });
    const index = this.nextIndex++;
    this.open = { index, text };
    return index;
  }
}
