import { describe, expect, it } from 'vitest';
import { maxLineLength, SseParser, type SseMessage } from './sse-parser.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function parseInPieces(text: string, size: number): SseMessage[] {
  const parser = new SseParser();
  const all = bytes(text);
  const out: SseMessage[] = [];
  for (let offset = 0; offset < all.length; offset += size)
    out.push(...parser.push(all.subarray(offset, offset + size)));
  out.push(...parser.end());
  return out;
}

describe('SseParser', () => {
  const stream =
    ': comment\n' +
    'event: message_start\ndata: {"a":1}\n\n' +
    'data: first\ndata: second\n\n' +
    'id: 7\nretry: 100\ndata:no-space\n\n' +
    'event: ping\n\n' +
    'data: héllo ✓\n\n' +
    'data: [DONE]\n\n';
  const expected: SseMessage[] = [
    { event: 'message_start', data: '{"a":1}' },
    { event: '', data: 'first\nsecond' },
    { event: '', data: 'no-space' },
    { event: '', data: 'héllo ✓' },
    { event: '', data: '[DONE]' },
  ];

  it('parses a whole stream and skips comments, ids and data-less events', () => {
    expect(parseInPieces(stream, 10_000)).toEqual(expected);
  });

  it('gives the same result for every split, multi-byte characters included', () => {
    for (const size of [1, 2, 3, 5, 7, 13]) expect(parseInPieces(stream, size)).toEqual(expected);
  });

  it('accepts CRLF and CR line ends, split between chunks', () => {
    const crlf = stream.replaceAll('\n', '\r\n');
    const cr = stream.replaceAll('\n', '\r');
    for (const size of [1, 4, 10_000]) {
      expect(parseInPieces(crlf, size)).toEqual(expected);
      expect(parseInPieces(cr, size)).toEqual(expected);
    }
  });

  it('at the end, keeps a message lacking only its blank line but drops a partial line', () => {
    expect(parseInPieces('data: [DONE]\n', 100)).toEqual([{ event: '', data: '[DONE]' }]);
    expect(parseInPieces('data: {"a":1}\n\ndata: {"trunc', 100)).toEqual([{ event: '', data: '{"a":1}' }]);
    const parser = new SseParser();
    parser.push(bytes('data: x'));
    expect(parser.hasPartialMessage).toBe(true);
  });
});

describe('SseParser on a line without end', () => {
  it('fails as a bad response once the line passes the limit, instead of buffering on', () => {
    const parser = new SseParser();
    const chunk = new TextEncoder().encode('x'.repeat(1024 * 1024));
    parser.push(new TextEncoder().encode('data: '));
    let thrown: unknown;
    try {
      for (let index = 0; index <= maxLineLength / chunk.length; index += 1) parser.push(chunk);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'upstream_bad_response', fallbackEligible: true });
  });

  it('still completes a long line once its end arrives', () => {
    const parser = new SseParser();
    const encoder = new TextEncoder();
    parser.push(encoder.encode('data: '));
    for (let index = 0; index < 8; index += 1) parser.push(encoder.encode('y'.repeat(1000)));
    const messages = parser.push(encoder.encode('z\n\n'));
    expect(messages).toEqual([{ event: '', data: `${'y'.repeat(8000)}z` }]);
  });
});
