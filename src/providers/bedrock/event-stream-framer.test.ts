import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../errors/gateway-error.ts';
import { eventFrame } from '../../../test/support/providers/bedrock-fixture-server.ts';
import { EventStreamFramer, encodeFrame } from './event-stream-framer.ts';

// protocols.md 1.4: messageStop {"stopReason":"end_turn"}, 122 bytes, CRCs ca2c4665 / 5fbf09fc.
const goldenVector = Buffer.from(
  '0000007a00000051ca2c46650b3a6576656e742d7479706507000b6d65737361676553746f700d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b2273746f70526561736f6e223a22656e645f7475726e227d5fbf09fc',
  'hex',
);

const bodyText = (body: Uint8Array): string => new TextDecoder().decode(body);

describe('EventStreamFramer', () => {
  it('decodes the golden vector', () => {
    const [message, ...rest] = new EventStreamFramer().push(goldenVector);
    expect(rest).toHaveLength(0);
    expect(message?.headers[':event-type']).toEqual({ type: 'string', value: 'messageStop' });
    expect(message?.headers[':message-type']).toEqual({ type: 'string', value: 'event' });
    expect(bodyText(message!.body)).toBe('{"stopReason":"end_turn"}');
  });

  it('encodes the golden vector byte for byte', () => {
    const encoded = encodeFrame({
      headers: {
        ':event-type': { type: 'string', value: 'messageStop' },
        ':content-type': { type: 'string', value: 'application/json' },
        ':message-type': { type: 'string', value: 'event' },
      },
      body: new TextEncoder().encode('{"stopReason":"end_turn"}'),
    });
    expect(Buffer.from(encoded).toString('hex')).toBe(goldenVector.toString('hex'));
  });

  it('reassembles frames fed one byte at a time', () => {
    const all = Buffer.concat([eventFrame('messageStart', { role: 'assistant' }), goldenVector]);
    const framer = new EventStreamFramer();
    const messages = [];
    for (let i = 0; i < all.byteLength; i++) messages.push(...framer.push(all.subarray(i, i + 1)));
    framer.end();
    expect(messages.map((m) => m.headers[':event-type']?.value)).toEqual(['messageStart', 'messageStop']);
  });

  it('splits a chunk holding several frames and a partial one', () => {
    const first = eventFrame('messageStart', { role: 'assistant' });
    const all = Buffer.concat([first, goldenVector, goldenVector]);
    const framer = new EventStreamFramer();
    const cut = first.byteLength + goldenVector.byteLength + 5;
    expect(framer.push(all.subarray(0, cut))).toHaveLength(2);
    expect(framer.push(all.subarray(cut))).toHaveLength(1);
    expect(() => {
      framer.end();
    }).not.toThrow();
  });

  it('rejects a frame whose message CRC does not match as a bad response', () => {
    const corrupt = Buffer.from(goldenVector);
    corrupt[100] = (corrupt[100] ?? 0) ^ 0xff;
    const error = captureError(() => new EventStreamFramer().push(corrupt));
    expect(error.code).toBe('upstream_bad_response');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/checksum/);
  });

  it('rejects an impossible length prefix', () => {
    const error = captureError(() => new EventStreamFramer().push(new Uint8Array(16)));
    expect(error.code).toBe('upstream_bad_response');
  });

  it('reports a stream cut inside a frame as interrupted', () => {
    const framer = new EventStreamFramer();
    expect(framer.push(goldenVector.subarray(0, 50))).toHaveLength(0);
    const error = captureError(() => {
      framer.end();
    });
    expect(error.code).toBe('upstream_stream_interrupted');
  });
});

function captureError(action: () => unknown): GatewayError {
  try {
    action();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
}
