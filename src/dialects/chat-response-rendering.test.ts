import { describe, expect, it } from 'vitest';
import type { ChatResponse, StopReason } from '../core/chat-response.ts';
import {
  anthropicStopReason,
  renderAnthropicMessage,
  toolInput,
} from './anthropic-messages/anthropic-messages-response.ts';
import { openaiFinishReason, renderOpenaiChatResponse } from './openai-chat/openai-chat-response.ts';

const response: ChatResponse = {
  id: 'resp-1',
  model: 'upstream-model',
  content: [
    { type: 'text', text: 'Sure' },
    { type: 'tool_call', id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' },
  ],
  stopReason: 'tool_use',
  usage: { inputTokens: 5, outputTokens: 6, cacheReadInputTokens: 1, cacheWriteInputTokens: 2 },
};

describe('OpenAI chat.completion rendering', () => {
  it('renders text, tool calls, the finish reason and usage with cached tokens', () => {
    expect(JSON.parse(renderOpenaiChatResponse(response, 'group', 42))).toEqual({
      id: 'resp-1',
      object: 'chat.completion',
      created: 42,
      model: 'group',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Sure',
            refusal: null,
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 8,
        completion_tokens: 6,
        total_tokens: 14,
        prompt_tokens_details: { cached_tokens: 1 },
      },
    });
  });

  it('maps every stop reason', () => {
    const expected: Record<StopReason, string> = {
      end_turn: 'stop',
      max_tokens: 'length',
      tool_use: 'tool_calls',
      stop_sequence: 'stop',
      content_filter: 'content_filter',
      context_window_exceeded: 'length',
    };
    for (const [reason, finish] of Object.entries(expected))
      expect(openaiFinishReason(reason as StopReason)).toBe(finish);
  });
});

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
