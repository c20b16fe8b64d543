import { describe, expect, it } from 'vitest';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { GatewayError, isGatewayError } from '../../errors/gateway-error.ts';
import { parseOpenaiResponses } from './openai-responses-request.ts';
import { echoOf } from './openai-responses-response.ts';
import { OpenaiResponsesStreamRenderer } from './openai-responses-stream-renderer.ts';

const toolStream: ChatStreamEvent[] = [
  { type: 'message_start', id: 'up-1', model: 'upstream' },
  { type: 'text_delta', index: 0, text: 'Let me ' },
  { type: 'text_delta', index: 0, text: 'check.' },
  { type: 'content_block_stop', index: 0 },
  { type: 'tool_call_start', index: 1, id: 'call_a', name: 'weather' },
  { type: 'tool_call_delta', index: 1, argumentsDelta: '{"city":' },
  { type: 'tool_call_delta', index: 1, argumentsDelta: '"Oslo"}' },
  { type: 'content_block_stop', index: 1 },
  { type: 'message_stop', stopReason: 'tool_use' },
  { type: 'usage', usage: { inputTokens: 7, outputTokens: 3, cacheReadInputTokens: 4 } },
];

interface Frame {
  readonly event: string;
  readonly data: Record<string, unknown> & { type: string; sequence_number: number };
}

function frames(text: string): Frame[] {
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((frame) => {
      const [event, data] = frame.split('\n');
      expect(event?.startsWith('event: ')).toBe(true);
      expect(data?.startsWith('data: ')).toBe(true);
      return { event: event?.slice(7) ?? '', data: JSON.parse(data?.slice(6) ?? '') as Frame['data'] };
    });
}

function renderer(): OpenaiResponsesStreamRenderer {
  const parsed = parseOpenaiResponses({ model: 'group', input: 'hi', metadata: { k: 'v' }, stream: true });
  return new OpenaiResponsesStreamRenderer({
    model: 'group',
    created: 1700,
    echo: echoOf(parsed),
    fallbackId: 'resp_x',
  });
}

describe('OpenaiResponsesStreamRenderer', () => {
  it('emits the Responses event sequence, numbered, each frame named by its type', () => {
    const out = renderer();
    const all = frames(toolStream.map((event) => out.event(event)).join('') + out.end());
    expect(all.map((frame) => frame.data.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    all.forEach((frame, index) => {
      expect(frame.event).toBe(frame.data.type);
      expect(frame.data.sequence_number).toBe(index);
    });
    expect(all[0]?.data.response).toMatchObject({
      id: 'up-1',
      status: 'in_progress',
      output: [],
      usage: null,
    });
    expect(all[6]?.data).toMatchObject({ item_id: 'msg_0_up-1', output_index: 0, text: 'Let me check.' });
    expect(all[9]?.data).toMatchObject({
      output_index: 1,
      item: { type: 'function_call', id: 'fc_1_up-1', call_id: 'call_a', name: 'weather', arguments: '' },
    });
    expect(all[12]?.data).toMatchObject({ item_id: 'fc_1_up-1', arguments: '{"city":"Oslo"}' });
    expect(all[14]?.data.response).toMatchObject({
      id: 'up-1',
      status: 'completed',
      model: 'group',
      metadata: { k: 'v' },
      output: [
        { type: 'message', content: [{ type: 'output_text', text: 'Let me check.' }] },
        { type: 'function_call', arguments: '{"city":"Oslo"}', status: 'completed' },
      ],
      usage: {
        input_tokens: 11,
        input_tokens_details: { cached_tokens: 4 },
        output_tokens: 3,
        total_tokens: 14,
      },
    });
  });

  it('renders reasoning blocks as reasoning items with a summary part, and a redacted one without', () => {
    const out = renderer();
    const events: ChatStreamEvent[] = [
      { type: 'message_start', id: 'up-4', model: 'm' },
      { type: 'reasoning_delta', index: 0, text: 'Think' },
      { type: 'reasoning_delta', index: 0, text: 'ing' },
      { type: 'reasoning_signature', index: 0, signature: 'sig' },
      { type: 'content_block_stop', index: 0 },
      { type: 'redacted_reasoning', index: 1, data: 'opaque' },
      { type: 'content_block_stop', index: 1 },
      { type: 'text_delta', index: 2, text: 'Done.' },
      { type: 'content_block_stop', index: 2 },
      { type: 'message_stop', stopReason: 'end_turn' },
      { type: 'usage', usage: { inputTokens: 1, outputTokens: 9, reasoningTokens: 5 } },
    ];
    const all = frames(events.map((event) => out.event(event)).join('') + out.end());
    expect(all.map((frame) => frame.data.type).slice(2, 11)).toEqual([
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.output_item.done',
    ]);
    expect(all.at(-1)?.data.response).toMatchObject({
      output: [
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Thinking' }] },
        { type: 'reasoning', summary: [] },
        { type: 'message', content: [{ text: 'Done.' }] },
      ],
      usage: { output_tokens: 9, output_tokens_details: { reasoning_tokens: 5 } },
    });
  });

  it('ends with response.incomplete when the output cap was hit', () => {
    const out = renderer();
    const events: ChatStreamEvent[] = [
      { type: 'message_start', id: 'up-2', model: 'm' },
      { type: 'text_delta', index: 0, text: 'Once' },
      { type: 'message_stop', stopReason: 'max_tokens' },
      { type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } },
    ];
    const all = frames(events.map((event) => out.event(event)).join('') + out.end());
    const last = all.at(-1)?.data;
    expect(last?.type).toBe('response.incomplete');
    expect(last?.response).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      output: [{ type: 'message', status: 'incomplete' }],
    });
  });

  it('throws at the end of a stream cut before its stop, and frames an in-band error', () => {
    const out = renderer();
    out.event({ type: 'message_start', id: 'up-3', model: 'm' });
    let thrown: unknown;
    try {
      out.end();
    } catch (error) {
      thrown = error;
    }
    expect(isGatewayError(thrown)).toBe(true);
    const [frame] = frames(out.error(new GatewayError('gone', { code: 'upstream_stream_interrupted' })));
    expect(frame?.event).toBe('error');
    expect(frame?.data).toMatchObject({
      type: 'error',
      sequence_number: 2,
      code: 'upstream_stream_interrupted',
      error: { type: 'server_error', code: 'upstream_stream_interrupted' },
    });
  });
});
