import { describe, expect, it } from 'vitest';
import { toolCallAnswer } from '../__fixtures__/canonical-answers.ts';
import { parseOpenaiResponses } from './openai-responses-request.ts';
import { renderOpenaiResponse } from './openai-responses-response.ts';

describe('Responses API response rendering', () => {
  it('renders output items, the echo of the request and usage with cached and cache-write tokens', () => {
    const parsed = parseOpenaiResponses({
      model: 'group',
      input: 'hi',
      instructions: 'Be brief.',
      metadata: { team: 'a' },
      tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object' } }],
    });
    expect(JSON.parse(renderOpenaiResponse(toolCallAnswer, 'group', 42, parsed))).toMatchObject({
      id: 'resp-1',
      object: 'response',
      created_at: 42,
      status: 'completed',
      error: null,
      incomplete_details: null,
      instructions: 'Be brief.',
      metadata: { team: 'a' },
      model: 'group',
      store: false,
      tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object' } }],
      output: [
        {
          id: 'msg_0_resp-1',
          type: 'message',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Sure', annotations: [] }],
        },
        {
          id: 'fc_1_resp-1',
          type: 'function_call',
          status: 'completed',
          call_id: 'call_1',
          name: 'lookup',
          arguments: '{"q":"x"}',
        },
      ],
      usage: {
        input_tokens: 8,
        input_tokens_details: { cached_tokens: 1, cache_write_tokens: 2 },
        output_tokens: 6,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 14,
      },
    });
  });

  it('is incomplete with its reason when the output cap or a content filter cut it short', () => {
    const cut = { ...toolCallAnswer, content: [{ type: 'text' as const, text: 'Once upon' }] };
    const long = JSON.parse(renderOpenaiResponse({ ...cut, stopReason: 'max_tokens' }, 'g', 1)) as {
      status: string;
      incomplete_details: unknown;
      output: { status: string }[];
    };
    expect(long.status).toBe('incomplete');
    expect(long.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(long.output[0]?.status).toBe('incomplete');
    const filtered = JSON.parse(renderOpenaiResponse({ ...cut, stopReason: 'content_filter' }, 'g', 1)) as {
      incomplete_details: unknown;
    };
    expect(filtered.incomplete_details).toEqual({ reason: 'content_filter' });
  });
});
