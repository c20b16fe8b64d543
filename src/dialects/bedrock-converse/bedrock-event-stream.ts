import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

/**
 * Frames of `application/vnd.amazon.eventstream` (prelude CRC and message CRC, as the AWS SDKs
 * check them): one event or modeled exception per frame, its payload JSON.
 */
const codec = new EventStreamCodec(toUtf8, fromUtf8);

function frame(kind: 'event' | 'exception', type: string, json: string): Uint8Array {
  const typeHeader = kind === 'event' ? ':event-type' : ':exception-type';
  return codec.encode({
    headers: {
      [typeHeader]: { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: kind },
    },
    body: fromUtf8(json),
  });
}

/** An event frame: `eventType` is the stream union's member name (`contentBlockDelta`, `chunk`). */
export function bedrockEventFrame(eventType: string, json: string): Uint8Array {
  return frame('event', eventType, json);
}

/**
 * A modeled exception frame; `member` is the lowerCamel union member name (`throttlingException`),
 * which is what the SDK maps to its exception class.
 */
export function bedrockExceptionFrame(member: string, json: string): Uint8Array {
  return frame('exception', member, json);
}

/** Several frames as one write. */
export function concatFrames(frames: readonly Uint8Array[]): Uint8Array {
  if (frames.length === 1) return frames[0] as Uint8Array;
  return Buffer.concat(frames);
}
