import { EventStreamCodec } from '@smithy/eventstream-codec';
import type { Message } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { badResponse, streamInterrupted } from '../../errors/upstream-errors.ts';
import type { MalformedEvents } from '../shared/malformed-events.ts';

/**
 * Incremental `application/vnd.amazon.eventstream` decoder (protocols.md 1.4). Body chunks arrive
 * at arbitrary boundaries: a frame may span chunks and a chunk may hold several frames. Frames are
 * cut by their length prefix and decoded (CRCs checked) by @smithy/eventstream-codec.
 */

const preludeLength = 12;
const minimumFrameLength = 16;
// The service caps one event message at 16 MiB; a larger prefix means we lost framing.
const maximumFrameLength = 16 * 1024 * 1024;

const codec = new EventStreamCodec(toUtf8, fromUtf8);

export class EventStreamFramer {
  private pending: Uint8Array = new Uint8Array(0);
  private readonly malformed: MalformedEvents | undefined;

  constructor(malformed?: MalformedEvents) {
    this.malformed = malformed;
  }

  /** Feeds one body chunk; returns the frames it completed, in order. Throws badResponse on a bad frame. */
  push(chunk: Uint8Array): Message[] {
    let data = this.pending.byteLength === 0 ? chunk : concat(this.pending, chunk);
    const messages: Message[] = [];
    while (data.byteLength >= preludeLength) {
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const totalLength = view.getUint32(0, false);
      if (totalLength < minimumFrameLength || totalLength > maximumFrameLength) {
        throw badResponse(`bedrock: event stream frame with impossible length ${totalLength}`);
      }
      if (data.byteLength < totalLength) break;
      const frame = data.subarray(0, totalLength);
      data = data.subarray(totalLength);
      if (this.malformed === undefined) messages.push(decodeFrame(frame));
      else {
        try {
          messages.push(codec.decode(frame));
        } catch (error) {
          this.malformed.skip('bedrock: bad event stream frame', error);
        }
      }
    }
    this.pending = data;
    return messages;
  }

  /** Call when the body ends: a partial frame left over means the stream was cut. */
  end(): void {
    if (this.pending.byteLength > 0) {
      throw streamInterrupted(
        `bedrock: event stream ended inside a frame (${this.pending.byteLength} bytes left over)`,
      );
    }
  }
}

/** Decodes one complete frame, checking both CRCs. */
export function decodeFrame(frame: Uint8Array): Message {
  try {
    return codec.decode(frame);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw badResponse(`bedrock: bad event stream frame: ${reason}`, error);
  }
}

/** Encodes one frame (used by tests and fixtures). */
export function encodeFrame(message: Message): Uint8Array {
  return codec.encode(message);
}

function concat(left: Uint8Array, right: Uint8Array): Uint8Array {
  const joined = new Uint8Array(left.byteLength + right.byteLength);
  joined.set(left, 0);
  joined.set(right, left.byteLength);
  return joined;
}
