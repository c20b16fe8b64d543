import { describe, expect, it } from 'vitest';
import type { StopReason } from '../../core/chat-response.ts';
import { toolCallAnswer as response } from '../__fixtures__/canonical-answers.ts';
import { openaiFinishReason, renderOpenaiChatResponse } from './openai-chat-response.ts';

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
        completion_tokens_details: { reasoning_tokens: 0 },
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
