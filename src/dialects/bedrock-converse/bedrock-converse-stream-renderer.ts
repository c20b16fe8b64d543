import type { ChatStreamEvent } from '../../core/stream-event.ts';
import type { GatewayError } from '../../errors/gateway-error.ts';
import { streamInterrupted } from '../../errors/upstream-errors.ts';
import type { StreamChunk, StreamRenderer } from '../stream-renderer.ts';
import { bedrockStreamExceptionJson, bedrockStreamExceptionMember } from './bedrock-error.ts';
import { bedrockEventFrame, bedrockExceptionFrame, concatFrames } from './bedrock-event-stream.ts';
import { converseStopReason, converseUsage, redactedBlob } from './bedrock-converse-response.ts';

const empty = new Uint8Array(0);
const messageStart = '{"role":"assistant"}';

/**
 * ConverseStream as binary event-stream frames: messageStart, contentBlockStart (tool use only,
 * text blocks start with their first delta), contentBlockDelta, contentBlockStop, messageStop,
 * then metadata with the usage. In-band failures are modeled exception frames
 * (`throttlingException`, `modelStreamErrorException`, ...), which the SDK throws as its classes.
 */
export class ConverseStreamRenderer implements StreamRenderer {
  private started = false;
  private readonly openBlocks = new Set<number>();
  private stopped = false;
  private finished = false;

  private startIfNeeded(frames: Uint8Array[]): void {
    if (this.started) return;
    this.started = true;
    frames.push(bedrockEventFrame('messageStart', messageStart));
  }

  event(event: ChatStreamEvent): StreamChunk {
    const frames: Uint8Array[] = [];
    switch (event.type) {
      case 'message_start':
        this.startIfNeeded(frames);
        break;
      case 'text_delta':
        this.startIfNeeded(frames);
        this.openBlocks.add(event.index);
        frames.push(
          bedrockEventFrame(
            'contentBlockDelta',
            `{"contentBlockIndex":${event.index},"delta":{"text":${JSON.stringify(event.text)}}}`,
          ),
        );
        break;
      case 'reasoning_delta':
        this.startIfNeeded(frames);
        this.openBlocks.add(event.index);
        frames.push(reasoningDelta(event.index, `{"text":${JSON.stringify(event.text)}}`));
        break;
      case 'reasoning_signature':
        this.startIfNeeded(frames);
        this.openBlocks.add(event.index);
        frames.push(reasoningDelta(event.index, `{"signature":${JSON.stringify(event.signature)}}`));
        break;
      case 'redacted_reasoning':
        this.startIfNeeded(frames);
        this.openBlocks.add(event.index);
        frames.push(reasoningDelta(event.index, `{"redactedContent":"${redactedBlob(event.data)}"}`));
        break;
      case 'tool_call_start': {
        this.startIfNeeded(frames);
        this.openBlocks.add(event.index);
        const start = { toolUse: { toolUseId: event.id, name: event.name } };
        frames.push(
          bedrockEventFrame(
            'contentBlockStart',
            `{"contentBlockIndex":${event.index},"start":${JSON.stringify(start)}}`,
          ),
        );
        break;
      }
      case 'tool_call_delta':
        frames.push(
          bedrockEventFrame(
            'contentBlockDelta',
            `{"contentBlockIndex":${event.index},"delta":{"toolUse":{"input":${JSON.stringify(event.argumentsDelta)}}}}`,
          ),
        );
        break;
      case 'content_block_stop':
        if (this.openBlocks.delete(event.index)) frames.push(blockStop(event.index));
        break;
      case 'message_stop':
        this.startIfNeeded(frames);
        for (const index of this.openBlocks) frames.push(blockStop(index));
        this.openBlocks.clear();
        this.stopped = true;
        frames.push(
          bedrockEventFrame('messageStop', `{"stopReason":"${converseStopReason(event.stopReason)}"}`),
        );
        break;
      case 'usage':
        if (this.finished) break;
        this.finished = true;
        frames.push(
          bedrockEventFrame(
            'metadata',
            `{"usage":${JSON.stringify(converseUsage(event.usage))},"metrics":{"latencyMs":0}}`,
          ),
        );
        break;
    }
    return frames.length === 0 ? empty : concatFrames(frames);
  }

  end(): StreamChunk {
    if (!this.stopped) throw streamInterrupted('upstream stream ended before it finished');
    return empty;
  }

  error(error: GatewayError): StreamChunk {
    return bedrockExceptionFrame(bedrockStreamExceptionMember(error), bedrockStreamExceptionJson(error));
  }
}

function reasoningDelta(index: number, json: string): Uint8Array {
  return bedrockEventFrame(
    'contentBlockDelta',
    `{"contentBlockIndex":${index},"delta":{"reasoningContent":${json}}}`,
  );
}

function blockStop(index: number): Uint8Array {
  return bedrockEventFrame('contentBlockStop', `{"contentBlockIndex":${index}}`);
}
