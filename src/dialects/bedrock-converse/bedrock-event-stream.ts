import { crc32 } from 'node:zlib';

/**
 * Frames of `application/vnd.amazon.eventstream` (docs/protocols.md 1.4), encoded by hand: one
 * event or modeled exception per frame, its payload JSON. Big-endian total length, headers length,
 * the prelude's CRC32, the headers, the payload, then the CRC32 of everything before it; the AWS
 * SDKs check both CRCs. zlib's native crc32 and headers encoded once per event type make a frame
 * about three times cheaper than @smithy/eventstream-codec's encoder (5.7 → 1.8 µs per text delta
 * measured; the tests check both encode the same bytes).
 */

/** Header value type 7: a string (u16 length, UTF-8). */
const stringType = 7;

function stringHeader(name: string, value: string): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const valueBytes = Buffer.from(value, 'utf8');
  const out = Buffer.allocUnsafe(1 + nameBytes.length + 1 + 2 + valueBytes.length);
  out.writeUInt8(nameBytes.length, 0);
  nameBytes.copy(out, 1);
  out.writeUInt8(stringType, 1 + nameBytes.length);
  out.writeUInt16BE(valueBytes.length, 2 + nameBytes.length);
  valueBytes.copy(out, 4 + nameBytes.length);
  return out;
}

/** The encoded headers of each (kind, type) seen: a handful of union member names. */
const headerCache = new Map<string, Buffer>();

function headersFor(kind: 'event' | 'exception', type: string): Buffer {
  const key = `${kind}:${type}`;
  let headers = headerCache.get(key);
  if (headers === undefined) {
    headers = Buffer.concat([
      stringHeader(kind === 'event' ? ':event-type' : ':exception-type', type),
      stringHeader(':content-type', 'application/json'),
      stringHeader(':message-type', kind),
    ]);
    headerCache.set(key, headers);
  }
  return headers;
}

function frame(kind: 'event' | 'exception', type: string, json: string): Uint8Array {
  const headers = headersFor(kind, type);
  const total = 16 + headers.length + Buffer.byteLength(json, 'utf8');
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32BE(total, 0);
  out.writeUInt32BE(headers.length, 4);
  out.writeUInt32BE(crc32(out.subarray(0, 8)), 8);
  headers.copy(out, 12);
  out.write(json, 12 + headers.length, 'utf8');
  out.writeUInt32BE(crc32(out.subarray(0, total - 4)), total - 4);
  return out;
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
