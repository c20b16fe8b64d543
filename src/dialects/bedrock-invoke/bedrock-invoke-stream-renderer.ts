import type { ChatStreamEvent } from '../../core/stream-event.ts';
import type { GatewayError } from '../../errors/gateway-error.ts';
import { AnthropicStreamRenderer } from '../anthropic-messages/anthropic-stream-renderer.ts';
import {
  bedrockStreamExceptionJson,
  bedrockStreamExceptionMember,
} from '../bedrock-converse/bedrock-error.ts';
import {
  bedrockEventFrame,
  bedrockExceptionFrame,
  concatFrames,
} from '../bedrock-converse/bedrock-event-stream.ts';
import type { StreamChunk, StreamRenderer } from '../stream-renderer.ts';

const empty = new Uint8Array(0);
const dataPrefix = 'data: ';
const pingType = '{"type":"ping"';
const stopType = '{"type":"message_stop"';

/**
 * InvokeModelWithResponseStream for Anthropic models: each Anthropic Messages stream event, as the
 * Anthropic dialect renders it, becomes one `chunk` frame whose `bytes` are the event's JSON
 * (base64 on the wire), as Bedrock sends them. Bedrock sends no pings; its last event
 * (message_stop) carries `amazon-bedrock-invocationMetrics` with the token counts.
 */
export class InvokeStreamRenderer implements StreamRenderer {
  private readonly anthropic: AnthropicStreamRenderer;
  private inputTokens = 0;
  private outputTokens = 0;

  constructor(options: { model: string; fallbackId: string }) {
    this.anthropic = new AnthropicStreamRenderer(options);
  }

  event(event: ChatStreamEvent): StreamChunk {
    if (event.type === 'usage') {
      this.inputTokens =
        event.usage.inputTokens +
        (event.usage.cacheReadInputTokens ?? 0) +
        (event.usage.cacheWriteInputTokens ?? 0);
      this.outputTokens = event.usage.outputTokens;
    }
    return this.reframe(this.anthropic.event(event));
  }

  end(): StreamChunk {
    return this.reframe(this.anthropic.end());
  }

  error(error: GatewayError): StreamChunk {
    return bedrockExceptionFrame(bedrockStreamExceptionMember(error), bedrockStreamExceptionJson(error));
  }

  /** The SSE frames' data lines (one JSON event each, never spanning lines) as chunk frames. */
  private reframe(sse: string): Uint8Array {
    if (sse === '') return empty;
    const frames: Uint8Array[] = [];
    for (const line of sse.split('\n')) {
      if (!line.startsWith(dataPrefix) || line.startsWith(pingType, dataPrefix.length)) continue;
      let json = line.slice(dataPrefix.length);
      if (json.startsWith(stopType)) {
        const metrics = { inputTokenCount: this.inputTokens, outputTokenCount: this.outputTokens };
        json = `${json.slice(0, -1)},"amazon-bedrock-invocationMetrics":${JSON.stringify(metrics)}}`;
      }
      const bytes = Buffer.from(json, 'utf8').toString('base64');
      frames.push(bedrockEventFrame('chunk', `{"bytes":"${bytes}"}`));
    }
    return frames.length === 0 ? empty : concatFrames(frames);
  }
}
