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
    const mapper = new ConverseStreamMapper('id', 'm');
    expect(mapper.map(frame('messageStop', { stopReason: 'guardrail_intervened' }))).toEqual([
      { type: 'message_stop', stopReason: 'content_filter' },
    ]);
    expect(mapper.map(frame('messageStop', { stopReason: 'model_context_window_exceeded' }))).toEqual([
      { type: 'message_stop', stopReason: 'context_window_exceeded' },
    ]);
  });

  it('requires metadata after messageStop', () => {
    const mapper = new ConverseStreamMapper('id', 'm');
    mapper.map(frame('messageStop', { stopReason: 'end_turn' }));
    expect(() => {
      mapper.finish();
    }).toThrow(
      expect.objectContaining({
        code: 'upstream_stream_interrupted',
        message: 'bedrock: stream ended without metadata',
      }),
    );
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

  it('rejects an event whose payload lacks required fields as a bad response', () => {
    expect(() =>
      new ConverseStreamMapper('id', 'm').map(frame('contentBlockDelta', { delta: { text: 'x' } })),
    ).toThrow(expect.objectContaining({ code: 'upstream_bad_response' }));
  });
});
