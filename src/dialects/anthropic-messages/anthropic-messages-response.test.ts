import { describe, expect, it } from 'vitest';
import { toolCallAnswer as response } from '../__fixtures__/canonical-answers.ts';
import { anthropicStopReason, renderAnthropicMessage, toolInput } from './anthropic-messages-response.ts';

describe('Anthropic message rendering', () => {
  it('renders text and tool_use blocks with parsed input, stop reason and usage', () => {
    expect(JSON.parse(renderAnthropicMessage({ ...response, stopSequence: undefined }, 'group'))).toEqual({
      id: 'resp-1',
      type: 'message',
      role: 'assistant',
      model: 'group',
      content: [
        { type: 'text', text: 'Sure' },
        { type: 'tool_use', id: 'call_1', name: 'lookup', input: { q: 'x' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 5,
        output_tokens: 6,
        cache_creation_input_tokens: 2,
        cache_read_input_tokens: 1,
      },
    });
  });

  it('maps stop reasons and coerces tool input to an object', () => {
    expect(anthropicStopReason('content_filter')).toBe('refusal');
    expect(anthropicStopReason('context_window_exceeded')).toBe('model_context_window_exceeded');
    expect(anthropicStopReason('stop_sequence')).toBe('stop_sequence');
    expect(toolInput('')).toEqual({});
    expect(toolInput('not json')).toEqual({});
    expect(toolInput('[1]')).toEqual({});
    expect(toolInput('{"a":[1]}')).toEqual({ a: [1] });
  });
});
