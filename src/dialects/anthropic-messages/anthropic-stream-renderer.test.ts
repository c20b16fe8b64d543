import { describe, expect, it } from 'vitest';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import { AnthropicStreamRenderer } from './anthropic-stream-renderer.ts';

function parse(text: string): { event: string; data: Record<string, unknown> }[] {
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((frame) => {
      const [eventLine, dataLine, ...rest] = frame.split('\n');
      expect(rest).toEqual([]);
      expect(eventLine).toMatch(/^event: /);
      expect(dataLine).toMatch(/^data: /);
      const data = JSON.parse(dataLine!.slice('data: '.length));
      expect(data.type).toBe(eventLine!.slice('event: '.length));
      return { event: eventLine!.slice('event: '.length), data };
    });
}

const events: ChatStreamEvent[] = [
  { type: 'message_start', id: 'msg_up', model: 'upstream', usage: { inputTokens: 12, outputTokens: 0 } },
  { type: 'text_delta', index: 0, text: 'Checking' },
  { type: 'content_block_stop', index: 0 },
  { type: 'tool_call_start', index: 1, id: 'toolu_1', name: 'weather' },
  { type: 'tool_call_delta', index: 1, argumentsDelta: '{"city":' },
  { type: 'tool_call_delta', index: 1, argumentsDelta: '"Oslo"}' },
  { type: 'content_block_stop', index: 1 },
  { type: 'message_stop', stopReason: 'tool_use' },
  { type: 'usage', usage: { inputTokens: 12, outputTokens: 9, cacheReadInputTokens: 3 } },
];

describe('AnthropicStreamRenderer', () => {
  it('emits the Messages event sequence with ping, block events and cumulative usage', () => {
    const renderer = new AnthropicStreamRenderer({ model: 'group', fallbackId: 'msg_x' });
    const frames = parse(events.map((event) => renderer.event(event)).join('') + renderer.end());
    expect(frames.map((frame) => frame.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(frames[0]!.data.message).toMatchObject({
      id: 'msg_up',
      model: 'group',
      content: [],
      stop_reason: null,
      usage: { input_tokens: 12, output_tokens: 0 },
    });
    expect(frames[2]!.data).toEqual({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    });
    expect(frames[3]!.data.delta).toEqual({ type: 'text_delta', text: 'Checking' });
    expect(frames[5]!.data.content_block).toEqual({
      type: 'tool_use',
      id: 'toolu_1',
      name: 'weather',
      input: {},
    });
    expect(frames[6]!.data.delta).toEqual({ type: 'input_json_delta', partial_json: '{"city":' });
    expect(frames[9]!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: {
        input_tokens: 12,
        output_tokens: 9,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 3,
      },
    });
  });

  it('closes blocks the upstream left open and handles usage before message_stop', () => {
    const renderer = new AnthropicStreamRenderer({ model: 'g', fallbackId: 'msg_x' });
    const text = [
      renderer.event({ type: 'text_delta', index: 0, text: 'hi' }),
      renderer.event({ type: 'usage', usage: { inputTokens: 1, outputTokens: 2 } }),
      renderer.event({ type: 'message_stop', stopReason: 'stop_sequence', stopSequence: 'END' }),
      renderer.end(),
    ].join('');
    const frames = parse(text);
    expect(frames.map((frame) => frame.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(frames[0]!.data.message).toMatchObject({ id: 'msg_x' });
    expect(frames[5]!.data.delta).toEqual({ stop_reason: 'stop_sequence', stop_sequence: 'END' });
  });

  it('refuses to end an unfinished stream and frames in-band errors', () => {
    const renderer = new AnthropicStreamRenderer({ model: 'g', fallbackId: 'msg_x' });
    renderer.event({ type: 'message_start', id: 'm', model: 'u' });
    expect(() => renderer.end()).toThrow(/ended before it finished/);
    const overloaded = new GatewayError('Overloaded', { code: 'upstream_overloaded' });
    expect(renderer.error(overloaded)).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"the upstream is overloaded"}}\n\n',
    );
    const broken = new GatewayError('cut', { code: 'upstream_stream_interrupted' });
    expect(parse(renderer.error(broken))[0]!.data.error).toEqual({
      type: 'api_error',
      message: 'the upstream stream broke off',
    });
  });
});
