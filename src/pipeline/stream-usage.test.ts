import { describe, expect, it } from 'vitest';
import { StreamUsageCounter } from './stream-usage.ts';

describe('StreamUsageCounter', () => {
  it("uses the upstream's usage report when it arrived", () => {
    const counter = new StreamUsageCounter();
    counter.observe({ type: 'text_delta', index: 0, text: 'a long answer' });
    counter.observe({ type: 'usage', usage: { inputTokens: 7, outputTokens: 3 } });
    expect(counter.usage(100)).toEqual({ inputTokens: 7, outputTokens: 3 });
  });

  it('estimates a cut stream: the prompt estimate in, the delivered text and tool calls out', () => {
    const counter = new StreamUsageCounter();
    counter.observe({ type: 'message_start', id: 'm', model: 'x' });
    counter.observe({ type: 'text_delta', index: 0, text: '12345678' });
    counter.observe({ type: 'tool_call_start', index: 1, id: 't', name: 'look' });
    counter.observe({ type: 'tool_call_delta', index: 1, argumentsDelta: '{"q":1}' });
    expect(counter.usage(42)).toMatchObject({ inputTokens: 42, outputTokens: 5, estimated: true });
  });

  it("prefers the input the upstream reported at the start (Anthropic's message_start)", () => {
    const counter = new StreamUsageCounter();
    counter.observe({
      type: 'message_start',
      id: 'm',
      model: 'x',
      usage: { inputTokens: 30, outputTokens: 1, cacheReadInputTokens: 5 },
    });
    counter.observe({ type: 'text_delta', index: 0, text: 'abcdefghijkl' });
    expect(counter.usage(42)).toMatchObject({
      inputTokens: 30,
      outputTokens: 3,
      cacheReadInputTokens: 5,
      estimated: true,
    });
  });
});
