import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import { bedrockEventFrame, bedrockExceptionFrame } from './bedrock-event-stream.ts';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

describe('event-stream frames', () => {
  it('encode the golden vector of docs/protocols.md 1.4 byte for byte', () => {
    const frame = bedrockEventFrame('messageStop', '{"stopReason":"end_turn"}');
    expect(Buffer.from(frame).toString('hex')).toBe(
      '0000007a00000051ca2c46650b3a6576656e742d7479706507000b6d65737361676553746f700d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b2273746f70526561736f6e223a22656e645f7475726e227d5fbf09fc',
    );
  });

  it('are what @smithy/eventstream-codec encodes, for events and exceptions, with multi-byte text', () => {
    const payload = '{"contentBlockIndex":0,"delta":{"text":"héllo wörld ✓"}}';
    expect(Buffer.from(bedrockEventFrame('contentBlockDelta', payload))).toEqual(
      Buffer.from(
        codec.encode({
          headers: {
            ':event-type': { type: 'string', value: 'contentBlockDelta' },
            ':content-type': { type: 'string', value: 'application/json' },
            ':message-type': { type: 'string', value: 'event' },
          },
          body: fromUtf8(payload),
        }),
      ),
    );
    const decoded = codec.decode(bedrockExceptionFrame('throttlingException', '{"message":"slow down"}'));
    expect(decoded.headers[':exception-type']?.value).toBe('throttlingException');
    expect(decoded.headers[':message-type']?.value).toBe('exception');
    expect(toUtf8(decoded.body)).toBe('{"message":"slow down"}');
  });
});
