import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const padding = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

type Headers = Parameters<EventStreamCodec['encode']>[0]['headers'];

function stringHeader(value: string): Headers[string] {
  return { type: 'string', value };
}

/**
 * The service pads streamed payloads with a random-length `p` field so sizes leak nothing
 * (protocols.md 1.3); clients ignore it. Its length here follows the payload, deterministically.
 */
function padded(payload: Record<string, unknown>): Record<string, unknown> {
  const length = 1 + (JSON.stringify(payload).length % padding.length);
  return { ...payload, p: padding.slice(0, length) };
}

/** An event frame: `:event-type` is the union member name, the payload its JSON. */
export function eventFrame(eventType: string, payload: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': stringHeader(eventType),
      ':content-type': stringHeader('application/json'),
      ':message-type': stringHeader('event'),
    },
    body: fromUtf8(JSON.stringify(padded(payload))),
  });
}

/** A modeled exception frame; `exceptionType` is the lowerCamel union member name. */
export function exceptionFrame(exceptionType: string, payload: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': stringHeader(exceptionType),
      ':content-type': stringHeader('application/json'),
      ':message-type': stringHeader('exception'),
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

/** An unmodeled error frame (`:message-type` error). */
export function errorFrame(code: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ':error-code': stringHeader(code),
      ':error-message': stringHeader(message),
      ':message-type': stringHeader('error'),
    },
    body: new Uint8Array(0),
  });
}

/** A frame whose message CRC is wrong: the SDK reports a checksum mismatch. */
export function corruptFrame(): Uint8Array {
  const frame = eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'corrupt' } });
  const copy = new Uint8Array(frame);
  const last = copy.length - 1;
  copy[last] = (copy[last] ?? 0) ^ 0xff;
  return copy;
}
