import { describe, expect, it } from 'vitest';
import { eventFrame } from '../../../test/support/providers/bedrock-fixture-server.ts';
import { ConverseStreamMapper } from './converse-stream-mapper.ts';
import { decodeFrame, encodeFrame } from './event-stream-framer.ts';

const frame = (eventType: string, payload: Record<string, unknown>) =>
  decodeFrame(eventFrame(eventType, payload));

describe('ConverseStreamMapper', () => {
  it('maps reasoning (text, signature, redacted), estimates its tokens and numbers blocks without gaps', () => {
    const mapper = new ConverseStreamMapper('id', 'm');
    const events = [
      frame('messageStart', { role: 'assistant' }),
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'thinking' } } }),
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'sig' } } }),
      frame('contentBlockStop', { contentBlockIndex: 0 }),
      frame('contentBlockDelta', {
        contentBlockIndex: 2,
        delta: { reasoningContent: { redactedContent: 'AAE=' } },
      }),
      frame('contentBlockStop', { contentBlockIndex: 2 }),
      frame('contentBlockStart', { contentBlockIndex: 3, start: {} }),
      frame('contentBlockStop', { contentBlockIndex: 3 }),
      frame('contentBlockDelta', { contentBlockIndex: 4, delta: { text: 'Answer' } }),
      frame('contentBlockStop', { contentBlockIndex: 4 }),
      frame('messageStop', {
        stopReason: 'stop_sequence',
        additionalModelResponseFields: { stop_sequence: 'END' },
      }),
      frame('metadata', {
        usage: { inputTokens: 3, outputTokens: 10, totalTokens: 13, cacheReadInputTokens: 9 },
      }),
    ].flatMap((message) => mapper.map(message));
    expect(events).toEqual([
      { type: 'message_start', id: 'id', model: 'm' },
      { type: 'reasoning_delta', index: 0, text: 'thinking' },
      { type: 'reasoning_signature', index: 0, signature: 'sig' },
      { type: 'content_block_stop', index: 0 },
      { type: 'redacted_reasoning', index: 1, data: 'AAE=' },
      { type: 'content_block_stop', index: 1 },
      { type: 'text_delta', index: 2, text: 'Answer' },
      { type: 'content_block_stop', index: 2 },
      { type: 'message_stop', stopReason: 'stop_sequence', stopSequence: 'END' },
      {
        type: 'usage',
        usage: { inputTokens: 3, outputTokens: 10, cacheReadInputTokens: 9, reasoningTokens: 2 },
      },
    ]);
    expect(() => {
      mapper.finish();
    }).not.toThrow();
  });

  it('streams the answer tool of a structured answer as text, ending the turn', () => {
    const mapper = new ConverseStreamMapper('id', 'm', undefined, undefined, 'answer');
    const events = [
      frame('messageStart', { role: 'assistant' }),
      frame('contentBlockStart', {
        contentBlockIndex: 0,
        start: { toolUse: { toolUseId: 't', name: 'answer' } },
      }),
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '{"a":' } } }),
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '1}' } } }),
      frame('contentBlockStop', { contentBlockIndex: 0 }),
      frame('messageStop', { stopReason: 'tool_use' }),
    ].flatMap((message) => mapper.map(message));
    expect(events).toEqual([
      { type: 'message_start', id: 'id', model: 'm' },
      { type: 'text_delta', index: 0, text: '{"a":' },
      { type: 'text_delta', index: 0, text: '1}' },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_stop', stopReason: 'end_turn' },
    ]);
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
