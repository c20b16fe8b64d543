import { describe, expect, it } from 'vitest';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import { OpenaiStreamRenderer } from './openai-stream-renderer.ts';

const toolStream: ChatStreamEvent[] = [
  { type: 'message_start', id: 'up-1', model: 'upstream' },
  { type: 'text_delta', index: 0, text: 'Let me check.' },
  { type: 'content_block_stop', index: 0 },
  { type: 'tool_call_start', index: 1, id: 'call_a', name: 'weather' },
  { type: 'tool_call_delta', index: 1, argumentsDelta: '{"city":' },
  { type: 'tool_call_start', index: 2, id: 'call_b', name: 'time' },
  { type: 'tool_call_delta', index: 1, argumentsDelta: '"Oslo"}' },
  { type: 'tool_call_delta', index: 2, argumentsDelta: '{}' },
  { type: 'content_block_stop', index: 1 },
  { type: 'content_block_stop', index: 2 },
  { type: 'message_stop', stopReason: 'tool_use' },
  { type: 'usage', usage: { inputTokens: 7, outputTokens: 3, cacheReadInputTokens: 4 } },
];

interface Chunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: { index: number; delta: { tool_calls?: unknown[] }; finish_reason?: string | null }[];
  usage?: unknown;
}

function render(renderer: OpenaiStreamRenderer, events: ChatStreamEvent[]): string {
  return events.map((event) => renderer.event(event)).join('') + renderer.end();
}

function frames(text: string): string[] {
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((frame) => {
      expect(frame.startsWith('data: ')).toBe(true);
      return frame.slice('data: '.length);
    });
}

describe('OpenaiStreamRenderer', () => {
  it('frames role, content, tool_calls with their own indexes, finish, usage and [DONE]', () => {
    const renderer = new OpenaiStreamRenderer({
      model: 'group',
      created: 1700,
      includeUsage: true,
      fallbackId: 'x',
    });
    const all = frames(render(renderer, toolStream));
    expect(all.at(-1)).toBe('[DONE]');
    const chunks = all.slice(0, -1).map((frame) => JSON.parse(frame) as Chunk);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({
        id: 'up-1',
        object: 'chat.completion.chunk',
        created: 1700,
        model: 'group',
      });
    }
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks[0]!.usage).toBeNull();
    expect(chunks[1]!.choices[0]!.delta).toEqual({ content: 'Let me check.' });
    expect(chunks[2]!.choices[0]!.delta.tool_calls).toEqual([
      { index: 0, id: 'call_a', type: 'function', function: { name: 'weather', arguments: '' } },
    ]);
    expect(chunks[3]!.choices[0]!.delta.tool_calls).toEqual([
      { index: 0, function: { arguments: '{"city":' } },
    ]);
    expect(chunks[4]!.choices[0]!.delta.tool_calls?.[0]).toMatchObject({ index: 1, id: 'call_b' });
    expect(chunks[5]!.choices[0]!.delta.tool_calls).toEqual([
      { index: 0, function: { arguments: '"Oslo"}' } },
    ]);
    expect(chunks[6]!.choices[0]!.delta.tool_calls).toEqual([{ index: 1, function: { arguments: '{}' } }]);
    expect(chunks[7]!.choices[0]!).toEqual({ index: 0, delta: {}, finish_reason: 'tool_calls' });
    expect(chunks[8]).toMatchObject({
      choices: [],
      usage: {
        prompt_tokens: 11,
        completion_tokens: 3,
        total_tokens: 14,
        prompt_tokens_details: { cached_tokens: 4 },
      },
    });
    expect(chunks).toHaveLength(9);
  });

  it('sends no usage chunk (and no usage field) without include_usage', () => {
    const renderer = new OpenaiStreamRenderer({
      model: 'g',
      created: 1,
      includeUsage: false,
      fallbackId: 'x',
    });
    const all = frames(render(renderer, toolStream));
    expect(all.at(-1)).toBe('[DONE]');
    const chunks = all.slice(0, -1).map((frame) => JSON.parse(frame) as Chunk);
    expect(chunks.every((chunk) => chunk.choices.length === 1 && !('usage' in chunk))).toBe(true);
  });

  it('refuses to end a stream that never finished, and frames in-band errors', () => {
    const renderer = new OpenaiStreamRenderer({
      model: 'g',
      created: 1,
      includeUsage: false,
      fallbackId: 'x',
    });
    renderer.event({ type: 'message_start', id: 'a', model: 'm' });
    renderer.event({ type: 'text_delta', index: 0, text: 'hi' });
    expect(() => renderer.end()).toThrow(/ended before it finished/);
    const error = new GatewayError('upstream went away', {
      code: 'upstream_stream_interrupted',
    });
    expect(renderer.error(error)).toBe(
      'data: {"error":{"message":"the upstream stream broke off","type":"server_error","param":null,"code":"upstream_stream_interrupted"}}\n\n',
    );
  });
});
