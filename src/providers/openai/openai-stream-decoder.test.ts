import { describe, expect, it } from 'vitest';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { OpenAIStreamDecoder } from './openai-stream-decoder.ts';

function decodeAll(payloads: readonly string[]): ChatStreamEvent[] {
  const decoder = new OpenAIStreamDecoder('configured-model', 'up');
  const events = payloads.flatMap((payload) => decoder.decode(payload));
  decoder.finish();
  return events;
}

describe('OpenAIStreamDecoder', () => {
  it('handles an Azure-style first chunk with empty id and model, and keeps the last usage', () => {
    const events = decodeAll([
      '{"id":"","model":"","choices":[],"prompt_filter_results":[{"prompt_index":0}]}',
      '{"id":"c1","model":"gpt","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":{"prompt_tokens":3,"completion_tokens":1}}',
      '{"id":"c1","model":"gpt","choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":2}}',
      '[DONE]',
    ]);
    expect(events[0]).toMatchObject({ type: 'message_start', model: 'configured-model' });
    expect((events[0] as { id: string }).id).toMatch(/^chatcmpl-/);
    expect(events.slice(1)).toEqual([
      { type: 'text_delta', index: 0, text: 'Hi' },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_stop', stopReason: 'max_tokens' },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 2 } },
    ]);
  });

  it('streams a refusal as text with a content_filter stop', () => {
    const events = decodeAll([
      '{"id":"c","model":"m","choices":[{"index":0,"delta":{"refusal":"I can\'t help with that."},"finish_reason":null}]}',
      '{"id":"c","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
      '{"id":"c","model":"m","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":6}}',
      '[DONE]',
    ]);
    expect(events).toContainEqual({ type: 'text_delta', index: 0, text: "I can't help with that." });
    expect(events).toContainEqual({ type: 'message_stop', stopReason: 'content_filter' });
  });

  it('a stream with no chunks at all is interrupted', () => {
    expect(() => {
      new OpenAIStreamDecoder('m', 'up').finish();
    }).toThrow(expect.objectContaining({ code: 'upstream_stream_interrupted' }));
  });
});
