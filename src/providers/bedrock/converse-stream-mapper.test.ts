import { describe, expect, it } from 'vitest';
import { eventFrame } from '../../../test/support/providers/bedrock-fixture-server.ts';
import { ConverseStreamMapper } from './converse-stream-mapper.ts';
import { decodeFrame, encodeFrame } from './event-stream-framer.ts';

const frame = (eventType: string, payload: Record<string, unknown>) =>
  decodeFrame(eventFrame(eventType, payload));

describe('ConverseStreamMapper', () => {
  it('skips reasoning blocks and numbers the remaining blocks without gaps', () => {
    const mapper = new ConverseStreamMapper('id', 'm');
    const events = [
      frame('messageStart', { role: 'assistant' }),
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'thinking' } } }),
      frame('contentBlockStop', { contentBlockIndex: 0 }),
      frame('contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'Answer' } }),
      frame('contentBlockStop', { contentBlockIndex: 1 }),
      frame('messageStop', {
        stopReason: 'stop_sequence',
        additionalModelResponseFields: { stop_sequence: 'END' },
      }),
      frame('metadata', {
        usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4, cacheReadInputTokens: 9 },
      }),
    ].flatMap((message) => mapper.map(message));
    expect(events).toEqual([
      { type: 'message_start', id: 'id', model: 'm' },
      { type: 'text_delta', index: 0, text: 'Answer' },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_stop', stopReason: 'stop_sequence', stopSequence: 'END' },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 1, cacheReadInputTokens: 9 } },
    ]);
    expect(() => {
      mapper.finish();
    }).not.toThrow();
  });

  it('maps guardrail and context window stop reasons', () => {
    expect(
      new ConverseStreamMapper('id', 'm').map(frame('messageStop', { stopReason: 'guardrail_intervened' })),
    ).toEqual([{ type: 'message_stop', stopReason: 'content_filter' }]);
    const mapper = new ConverseStreamMapper('id', 'm');
    expect(mapper.map(frame('messageStop', { stopReason: 'model_context_window_exceeded' }))).toEqual([
      { type: 'message_stop', stopReason: 'context_window_exceeded' },
    ]);
  });

  it('estimates the usage when the body ended after messageStop without metadata', () => {
    const mapper = new ConverseStreamMapper('id', 'm', undefined, () => 7);
    mapper.map(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'abcdefgh' } }));
    mapper.map(frame('messageStop', { stopReason: 'end_turn' }));
    expect(mapper.finish()).toEqual([
      { type: 'usage', usage: { inputTokens: 7, outputTokens: 2, estimated: true } },
    ]);
  });

  it('drops a repeated messageStart, messageStop and metadata', () => {
    const mapper = new ConverseStreamMapper('id', 'm');
    const usage = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };
    const frames = [
      frame('messageStart', { role: 'assistant' }),
      frame('messageStart', { role: 'assistant' }),
      frame('messageStop', { stopReason: 'end_turn' }),
      frame('messageStop', { stopReason: 'end_turn' }),
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'late' } }),
      frame('metadata', { usage }),
      frame('metadata', { usage }),
    ];
    expect(frames.flatMap((message) => mapper.map(message)).map((event) => event.type)).toEqual([
      'message_start',
      'message_stop',
      'usage',
    ]);
    expect(mapper.finish()).toEqual([]);
  });

  it('classifies an unmodeled error frame by its error code', () => {
    const message = decodeFrame(
      encodeFrame({
        headers: {
          ':message-type': { type: 'string', value: 'error' },
          ':error-code': { type: 'string', value: 'InternalFailure' },
          ':error-message': { type: 'string', value: 'boom' },
        },
        body: new Uint8Array(0),
      }),
    );
    expect(() => new ConverseStreamMapper('id', 'm').map(message)).toThrow(
      expect.objectContaining({
        code: 'upstream_server_error',
        retryable: true,
        upstreamCode: 'InternalFailure',
      }),
    );
  });

  it('skips an event whose payload lacks required fields; three in a row are a bad response', () => {
    const mapper = new ConverseStreamMapper('id', 'm');
    const bad = frame('contentBlockDelta', { delta: { text: 'x' } });
    expect(mapper.map(bad)).toEqual([]);
    expect(mapper.map(bad)).toEqual([]);
    expect(() => mapper.map(bad)).toThrow(expect.objectContaining({ code: 'upstream_bad_response' }));
  });
});
