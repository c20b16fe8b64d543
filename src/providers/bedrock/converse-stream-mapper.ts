import type { Message, MessageHeaders } from '@smithy/eventstream-codec';
import { z } from 'zod';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { badResponse, streamInterrupted } from '../../errors/upstream-errors.ts';
import type { GatewayError } from '../../errors/gateway-error.ts';
import { classifyBedrockError } from './classify-bedrock-error.ts';
import { stopSequenceOf, tokenUsageSchema, toStopReason, toUsage } from './from-converse-response.ts';

/**
 * ConverseStream frames → canonical stream events (protocols.md 1.3). Stateful: it renumbers content
 * blocks (blocks with no canonical form, such as reasoning, are skipped and leave no gap) and knows
 * whether the terminal events (`messageStop`, `metadata`) have arrived. Unknown payload keys,
 * including the service's random `p` padding, are ignored.
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
  private messageStopped = false;
  private metadataSeen = false;
  private readonly responseId: string;
  private readonly modelId: string;

  constructor(responseId: string, modelId: string) {
    this.responseId = responseId;
    this.modelId = modelId;
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
    switch (eventType) {
      case 'messageStart':
        parse(messageStartSchema, payload, eventType);
        return [{ type: 'message_start', id: this.responseId, model: this.modelId }];
      case 'contentBlockStart': {
        const { contentBlockIndex, start } = parse(blockStartSchema, payload, eventType);
        if (start?.toolUse === undefined) return [];
        const index = this.openBlock(contentBlockIndex);
        return [{ type: 'tool_call_start', index, id: start.toolUse.toolUseId, name: start.toolUse.name }];
      }
      case 'contentBlockDelta': {
        const { contentBlockIndex, delta } = parse(blockDeltaSchema, payload, eventType);
        if (delta.text !== undefined) {
          // Text blocks have no contentBlockStart: they start with their first delta.
          return [{ type: 'text_delta', index: this.openBlock(contentBlockIndex), text: delta.text }];
        }
        if (delta.toolUse !== undefined) {
          const index = this.openBlock(contentBlockIndex);
          return [{ type: 'tool_call_delta', index, argumentsDelta: delta.toolUse.input }];
        }
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
        return [
          {
            type: 'message_stop',
            stopReason: toStopReason(stopReason),
            ...(stopSequence === undefined ? {} : { stopSequence }),
          },
        ];
      }
      case 'metadata': {
        const { usage } = parse(metadataSchema, payload, eventType);
        this.metadataSeen = true;
        return [{ type: 'usage', usage: toUsage(usage) }];
      }
      case undefined:
      default:
        // Future event types are skipped, as the SDK skips unknown union members.
        return [];
    }
  }

  /** Call when the body has ended cleanly: throws streamInterrupted unless both terminal events came. */
  finish(): void {
    if (!this.messageStopped || !this.metadataSeen) {
      const missing = [
        this.messageStopped ? undefined : 'messageStop',
        this.metadataSeen ? undefined : 'metadata',
      ]
        .filter((name) => name !== undefined)
        .join(' and ');
      throw streamInterrupted(`bedrock: stream ended without ${missing}`);
    }
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

function parsePayload(body: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(body)) as unknown;
  } catch (error) {
    throw badResponse('bedrock: event stream payload is not JSON', error);
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
    throw badResponse(`bedrock: unexpected ${eventType} event: ${z.prettifyError(result.error)}`);
  }
  return result.data;
}
