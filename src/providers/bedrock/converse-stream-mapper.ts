import type { Message, MessageHeaders } from '@smithy/eventstream-codec';
import { z } from 'zod';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { badResponse, streamInterrupted } from '../../errors/upstream-errors.ts';
import type { GatewayError } from '../../errors/gateway-error.ts';
import { MalformedEvents } from '../shared/malformed-events.ts';
import { classifyBedrockError } from './classify-bedrock-error.ts';
import {
  answeredStop,
  stopSequenceOf,
  tokenUsageSchema,
  toStopReason,
  toUsage,
  withReasoning,
} from './from-converse-response.ts';

/**
 * ConverseStream frames → canonical stream events (protocols.md 1.3). Stateful: it renumbers content
 * blocks (blocks with no canonical form are skipped and leave no gap), turns the answer tool's
 * input (a structured answer, converse-features.ts) into text deltas, and knows
 * whether the terminal events (`messageStop`, `metadata`) have arrived. Unknown payload keys,
 * including the service's random `p` padding, are ignored. A malformed event (payload not JSON,
 * the wrong shape) is skipped (`MalformedEvents`: a run of them fails the stream); repeated
 * `messageStart`, `messageStop` and `metadata` events are dropped, so the client sees one of each.
 * A body that ends cleanly after `messageStop` without `metadata` is complete, with estimated usage.
 */

const messageStartSchema = z.object({ role: z.string().optional() });
const blockStartSchema = z.object({
  contentBlockIndex: z.number().int().nonnegative(),
  start: z.object({ toolUse: z.object({ toolUseId: z.string(), name: z.string() }).optional() }).optional(),
});
const blockDeltaSchema = z.object({
  contentBlockIndex: z.number().int().nonnegative(),
  delta: z.object({
    text: z.string().optional(),
    toolUse: z.object({ input: z.string() }).optional(),
    reasoningContent: z
      .object({
        text: z.string().optional(),
        signature: z.string().optional(),
        redactedContent: z.string().optional(),
      })
      .optional(),
  }),
});
const blockStopSchema = z.object({ contentBlockIndex: z.number().int().nonnegative() });
const messageStopSchema = z.object({
  stopReason: z.string(),
  additionalModelResponseFields: z.record(z.string(), z.unknown()).nullish(),
});
const metadataSchema = z.object({ usage: tokenUsageSchema });
const exceptionSchema = z.object({ message: z.string().optional(), Message: z.string().optional() });

const decoder = new TextDecoder();

export class ConverseStreamMapper {
  private readonly blockIndexes = new Map<number, number>();
  private messageStarted = false;
  private messageStopped = false;
  private metadataSeen = false;
  private readonly responseId: string;
  private readonly modelId: string;
  private readonly malformed: MalformedEvents;
  private readonly estimateInputTokens: () => number;
  /** Characters of streamed text and tool input, for the estimate when `metadata` never comes. */
  private streamedCharacters = 0;
  /** Characters of reasoning text, for the reasoning count Bedrock does not report. */
  private reasoningCharacters = 0;
  private readonly answerTool: string | undefined;
  /** Upstream block indexes of the answer tool's calls: their input is text. */
  private readonly answerBlocks = new Set<number>();
  private toolCalls = 0;

  constructor(
    responseId: string,
    modelId: string,
    malformed: MalformedEvents = new MalformedEvents({}),
    estimateInputTokens: () => number = () => 0,
    answerTool?: string,
  ) {
    this.responseId = responseId;
    this.modelId = modelId;
    this.malformed = malformed;
    this.estimateInputTokens = estimateInputTokens;
    this.answerTool = answerTool;
  }

  /** Maps one decoded frame. Throws a classified GatewayError for exception and error frames. */
  map(message: Message): ChatStreamEvent[] {
    const messageType = stringHeader(message.headers, ':message-type');
    if (messageType === 'exception') throw this.exception(message);
    if (messageType === 'error') {
      const code = stringHeader(message.headers, ':error-code');
      const text = stringHeader(message.headers, ':error-message') ?? 'stream error';
      throw classifyBedrockError({ status: undefined, errorType: code, message: text });
    }
    if (messageType !== 'event') {
      throw badResponse(`bedrock: unexpected event stream message type ${messageType ?? '(none)'}`);
    }
    const eventType = stringHeader(message.headers, ':event-type');
    const payload = parsePayload(message.body);
    if (payload === malformedPayload) {
      this.malformed.skip('bedrock: event stream payload is not JSON');
      return [];
    }
    try {
      const events = this.event(eventType, payload);
      this.malformed.ok();
      return events;
    } catch (error) {
      if (!(error instanceof MalformedEvent)) throw error;
      this.malformed.skip(error.message);
      return [];
    }
  }

  private event(eventType: string | undefined, payload: unknown): ChatStreamEvent[] {
    // After messageStop only metadata belongs; a repeated start, stop or metadata is dropped.
    if (this.messageStopped && eventType !== 'metadata') return [];
    switch (eventType) {
      case 'messageStart':
        parse(messageStartSchema, payload, eventType);
        if (this.messageStarted) return [];
        this.messageStarted = true;
        return [{ type: 'message_start', id: this.responseId, model: this.modelId }];
      case 'contentBlockStart': {
        const { contentBlockIndex, start } = parse(blockStartSchema, payload, eventType);
        if (start?.toolUse === undefined) return [];
        const index = this.openBlock(contentBlockIndex);
        if (start.toolUse.name === this.answerTool) {
          this.answerBlocks.add(contentBlockIndex);
          return [];
        }
        this.toolCalls += 1;
        return [{ type: 'tool_call_start', index, id: start.toolUse.toolUseId, name: start.toolUse.name }];
      }
      case 'contentBlockDelta': {
        const { contentBlockIndex, delta } = parse(blockDeltaSchema, payload, eventType);
        this.streamedCharacters += delta.text?.length ?? delta.toolUse?.input.length ?? 0;
        if (delta.text !== undefined) {
          // Text blocks have no contentBlockStart: they start with their first delta.
          return [{ type: 'text_delta', index: this.openBlock(contentBlockIndex), text: delta.text }];
        }
        if (delta.toolUse !== undefined) {
          const index = this.openBlock(contentBlockIndex);
          if (this.answerBlocks.has(contentBlockIndex))
            return delta.toolUse.input === ''
              ? []
              : [{ type: 'text_delta', index, text: delta.toolUse.input }];
          return [{ type: 'tool_call_delta', index, argumentsDelta: delta.toolUse.input }];
        }
        if (delta.reasoningContent !== undefined)
          return this.reasoningDelta(contentBlockIndex, delta.reasoningContent);
        return [];
      }
      case 'contentBlockStop': {
        const { contentBlockIndex } = parse(blockStopSchema, payload, eventType);
        const index = this.blockIndexes.get(contentBlockIndex);
        return index === undefined ? [] : [{ type: 'content_block_stop', index }];
      }
      case 'messageStop': {
        const { stopReason, additionalModelResponseFields } = parse(messageStopSchema, payload, eventType);
        this.messageStopped = true;
        const stopSequence = stopSequenceOf(additionalModelResponseFields ?? undefined);
        const reason = answeredStop(toStopReason(stopReason), this.answerBlocks.size > 0, this.toolCalls);
        return [
          {
            type: 'message_stop',
            stopReason: reason,
            ...(stopSequence === undefined ? {} : { stopSequence }),
          },
        ];
      }
      case 'metadata': {
        const { usage } = parse(metadataSchema, payload, eventType);
        if (this.metadataSeen) return [];
        this.metadataSeen = true;
        return [{ type: 'usage', usage: withReasoning(toUsage(usage), this.reasoningCharacters) }];
      }
      case undefined:
      default:
        // Future event types are skipped, as the SDK skips unknown union members.
        return [];
    }
  }

  /**
   * Call when the body has ended cleanly: the final events still owed (estimated usage when
   * `messageStop` came without `metadata`). Throws streamInterrupted without `messageStop`.
   */
  finish(): ChatStreamEvent[] {
    if (this.messageStopped && !this.metadataSeen) {
      this.metadataSeen = true;
      const usage = {
        inputTokens: this.estimateInputTokens(),
        outputTokens: Math.ceil(this.streamedCharacters / 4),
        estimated: true,
      };
      return [{ type: 'usage', usage }];
    }
    if (!this.messageStopped || !this.metadataSeen) {
      const missing = [
        this.messageStopped ? undefined : 'messageStop',
        this.metadataSeen ? undefined : 'metadata',
      ]
        .filter((name) => name !== undefined)
        .join(' and ');
      throw streamInterrupted(`bedrock: stream ended without ${missing}`);
    }
    return [];
  }

  private reasoningDelta(
    upstreamIndex: number,
    delta: {
      text?: string | undefined;
      signature?: string | undefined;
      redactedContent?: string | undefined;
    },
  ): ChatStreamEvent[] {
    const index = this.openBlock(upstreamIndex);
    if (delta.text !== undefined && delta.text !== '') {
      this.reasoningCharacters += delta.text.length;
      this.streamedCharacters += delta.text.length;
      return [{ type: 'reasoning_delta', index, text: delta.text }];
    }
    if (delta.signature !== undefined && delta.signature !== '')
      return [{ type: 'reasoning_signature', index, signature: delta.signature }];
    if (delta.redactedContent !== undefined)
      return [{ type: 'redacted_reasoning', index, data: delta.redactedContent }];
    return [];
  }

  private openBlock(upstreamIndex: number): number {
    let index = this.blockIndexes.get(upstreamIndex);
    if (index === undefined) {
      index = this.blockIndexes.size;
      this.blockIndexes.set(upstreamIndex, index);
    }
    return index;
  }

  private exception(message: Message): GatewayError {
    const exceptionType = stringHeader(message.headers, ':exception-type');
    const body = exceptionSchema.safeParse(safePayload(message.body));
    const text = body.success ? (body.data.message ?? body.data.Message) : undefined;
    return classifyBedrockError({
      status: undefined,
      errorType: exceptionType,
      message: text ?? 'in-stream exception',
    });
  }
}

function stringHeader(headers: MessageHeaders, name: string): string | undefined {
  const header = headers[name];
  return header?.type === 'string' ? header.value : undefined;
}

/** An event payload or frame the mapper skips (thrown inside, caught in `map`). */
class MalformedEvent extends Error {}

const malformedPayload: unique symbol = Symbol('malformed payload');

function parsePayload(body: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(body)) as unknown;
  } catch {
    return malformedPayload;
  }
}

function safePayload(body: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(body)) as unknown;
  } catch {
    return undefined;
  }
}

function parse<T>(schema: z.ZodType<T>, payload: unknown, eventType: string): T {
  const result = schema.safeParse(payload);
  if (!result.success) {
    throw new MalformedEvent(`bedrock: unexpected ${eventType} event: ${z.prettifyError(result.error)}`);
  }
  return result.data;
}
