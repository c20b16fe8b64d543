import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { StreamChunk } from '../stream-renderer.ts';
import { ConverseStreamRenderer } from './bedrock-converse-stream-renderer.ts';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** Splits written chunks into frames and decodes each (checking both CRCs). */
function decode(chunks: readonly StreamChunk[]): { type: string; kind: string; payload: unknown }[] {
  const bytes = Buffer.concat(
    chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk)),
  );
  const frames: { type: string; kind: string; payload: unknown }[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const message = codec.decode(bytes.subarray(offset, offset + length));
    const kind = String(message.headers[':message-type']?.value);
    const type = String((message.headers[':event-type'] ?? message.headers[':exception-type'])?.value);
    frames.push({ type, kind, payload: JSON.parse(toUtf8(message.body)) });
    offset += length;
  }
  return frames;
}

describe('ConverseStreamRenderer', () => {
  it('frames a text and tool answer as ConverseStream events, closing open blocks before messageStop', () => {
    const renderer = new ConverseStreamRenderer();
    const chunks = [
      renderer.event({ type: 'message_start', id: 'm', model: 'u' }),
      renderer.event({ type: 'text_delta', index: 0, text: 'Hi' }),
      renderer.event({ type: 'tool_call_start', index: 1, id: 't1', name: 'get_weather' }),
      renderer.event({ type: 'tool_call_delta', index: 1, argumentsDelta: '{"city":' }),
      renderer.event({ type: 'message_stop', stopReason: 'tool_use' }),
      renderer.event({ type: 'usage', usage: { inputTokens: 5, outputTokens: 7, cacheReadInputTokens: 2 } }),
      renderer.end(),
    ];
    expect(decode(chunks)).toEqual([
      { kind: 'event', type: 'messageStart', payload: { role: 'assistant' } },
      { kind: 'event', type: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'Hi' } } },
      {
        kind: 'event',
        type: 'contentBlockStart',
        payload: { contentBlockIndex: 1, start: { toolUse: { toolUseId: 't1', name: 'get_weather' } } },
      },
      {
        kind: 'event',
        type: 'contentBlockDelta',
        payload: { contentBlockIndex: 1, delta: { toolUse: { input: '{"city":' } } },
      },
      { kind: 'event', type: 'contentBlockStop', payload: { contentBlockIndex: 0 } },
      { kind: 'event', type: 'contentBlockStop', payload: { contentBlockIndex: 1 } },
      { kind: 'event', type: 'messageStop', payload: { stopReason: 'tool_use' } },
      {
        kind: 'event',
        type: 'metadata',
        payload: {
          usage: {
            inputTokens: 5,
            outputTokens: 7,
            totalTokens: 14,
            cacheReadInputTokens: 2,
            cacheWriteInputTokens: 0,
          },
          metrics: { latencyMs: 0 },
        },
      },
    ]);
  });

  it('fails a stream that ended before messageStop instead of ending it quietly', () => {
    const renderer = new ConverseStreamRenderer();
    renderer.event({ type: 'text_delta', index: 0, text: 'partial' });
    expect(() => renderer.end()).toThrow(/ended before it finished/);
  });

  it.each([
    ['rate_limited', 'throttlingException'],
    ['upstream_overloaded', 'serviceUnavailableException'],
    ['upstream_stream_interrupted', 'modelStreamErrorException'],
    ['internal_error', 'internalServerException'],
    ['invalid_request', 'validationException'],
  ] as const)('ends a failed stream (%s) with the modeled %s frame', (code, member) => {
    const frames = decode([new ConverseStreamRenderer().error(new GatewayError('failed', { code }))]);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({
      kind: 'exception',
      type: member,
      payload: { message: expect.any(String) },
    });
  });
});
