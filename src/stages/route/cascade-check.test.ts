import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat-request.ts';
import type { ChatResponse } from '../../core/chat-response.ts';
import { failedCheck } from './cascade-check.ts';

const request: ChatRequest = {
  model: 'auto',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
  stream: false,
};
const answer = (text: string, stopReason: ChatResponse['stopReason'] = 'end_turn'): ChatResponse => ({
  id: 'r',
  model: 'm',
  content: [{ type: 'text', text }],
  stopReason,
  usage: { inputTokens: 1, outputTokens: 1 },
});
const all = ['max_tokens', 'refusal', 'invalid_json'] as const;

describe('cascade checks', () => {
  it('passes a finished text answer, fails a max_tokens stop and a content filter', () => {
    expect(failedCheck(answer('Paris.'), request, all)).toBeUndefined();
    expect(failedCheck(answer('Par', 'max_tokens'), request, all)).toBe('max_tokens');
    expect(failedCheck(answer('', 'content_filter'), request, all)).toBe('refusal');
    // Only the declared checks count.
    expect(failedCheck(answer('Par', 'max_tokens'), request, ['refusal'])).toBeUndefined();
  });

  it('fails JSON that does not parse or lacks the schema required properties', () => {
    const asked: ChatRequest = {
      ...request,
      responseFormat: {
        type: 'json_schema',
        name: 'city',
        schema: { type: 'object', required: ['city'], properties: { city: { type: 'string' } } },
      },
    };
    expect(failedCheck(answer('{"city":"Paris"}'), asked, all)).toBeUndefined();
    expect(failedCheck(answer('Paris is the capital.'), asked, all)).toBe('invalid_json');
    expect(failedCheck(answer('{"town":"Paris"}'), asked, all)).toBe('invalid_json');
    expect(failedCheck(answer('["Paris"]'), asked, all)).toBe('invalid_json');
    const object: ChatRequest = { ...request, responseFormat: { type: 'json_object' } };
    expect(failedCheck(answer('{"a":1}'), object, all)).toBeUndefined();
    expect(failedCheck(answer('{"a":'), object, all)).toBe('invalid_json');
    // Prose is fine when no JSON was asked for.
    expect(failedCheck(answer('{"a":'), request, all)).toBeUndefined();
  });
});
