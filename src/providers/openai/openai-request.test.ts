import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat-request.ts';
import { toOpenAIRequest } from './openai-request.ts';

const conversation: ChatRequest = {
  model: 'group',
  system: 'You are a weather bot.',
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Weather here and in Tokyo?' },
        { type: 'image', mediaType: 'image/png', data: 'iVBORw0KGgo=' },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'tool_call', id: 'call_2', name: 'get_weather', arguments: '{"city":"Tokyo"}' },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', toolCallId: 'call_1', content: '18C' },
        { type: 'tool_result', toolCallId: 'call_2', content: 'timeout', isError: true },
        { type: 'text', text: 'Thanks' },
      ],
    },
  ],
  maxTokens: 300,
  temperature: 0.5,
  topP: 0.9,
  stop: ['END'],
  tools: [
    {
      name: 'get_weather',
      description: 'Weather by city',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    },
    { name: 'no_description', parameters: { type: 'object' } },
  ],
  toolChoice: { type: 'tool', name: 'get_weather' },
  responseFormat: { type: 'json_schema', name: 'weather', schema: { type: 'object' }, strict: true },
  user: 'end-user-7',
  stream: false,
};

describe('toOpenAIRequest', () => {
  it('translates every canonical field', () => {
    expect(
      toOpenAIRequest(conversation, { modelId: 'gpt-4o', stream: false, maxTokensField: 'max_tokens' }),
    ).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are a weather bot.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather here and in Tokyo?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
            {
              id: 'call_2',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Tokyo"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '18C' },
        { role: 'tool', tool_call_id: 'call_2', content: 'timeout' },
        { role: 'user', content: 'Thanks' },
      ],
      max_tokens: 300,
      temperature: 0.5,
      top_p: 0.9,
      stop: ['END'],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Weather by city',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
        { type: 'function', function: { name: 'no_description', parameters: { type: 'object' } } },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'weather', schema: { type: 'object' }, strict: true },
      },
      user: 'end-user-7',
      stream: false,
    });
  });

  it('streams with usage requested and can use max_completion_tokens', () => {
    const wire = toOpenAIRequest(conversation, {
      modelId: 'o3',
      stream: true,
      maxTokensField: 'max_completion_tokens',
    });
    expect(wire.stream).toBe(true);
    expect(wire.stream_options).toEqual({ include_usage: true });
    expect(wire.max_completion_tokens).toBe(300);
    expect(wire.max_tokens).toBeUndefined();
  });

  it('maps the simple tool choices and json_object, and sends an assistant turn of only tool calls with null content', () => {
    const base: ChatRequest = {
      model: 'g',
      messages: [
        { role: 'assistant', content: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '{}' }] },
      ],
      stream: false,
    };
    for (const type of ['auto', 'none', 'required'] as const) {
      expect(
        toOpenAIRequest(
          { ...base, toolChoice: { type } },
          { modelId: 'm', stream: false, maxTokensField: 'max_tokens' },
        ).tool_choice,
      ).toBe(type);
    }
    const wire = toOpenAIRequest(
      { ...base, responseFormat: { type: 'json_object' } },
      { modelId: 'm', stream: false, maxTokensField: 'max_tokens' },
    );
    expect(wire.response_format).toEqual({ type: 'json_object' });
    expect(wire.messages[0]).toMatchObject({ role: 'assistant', content: null });
  });

  it('sends reasoning as reasoning_effort (a budget as the nearest effort) and no cache breakpoints', () => {
    const base: ChatRequest = {
      model: 'g',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'hi', cacheControl: { type: 'ephemeral' } }] },
      ],
      stream: false,
    };
    const options = { modelId: 'o', stream: false, maxTokensField: 'max_completion_tokens' } as const;
    expect(toOpenAIRequest({ ...base, reasoning: { effort: 'minimal' } }, options).reasoning_effort).toBe(
      'minimal',
    );
    expect(toOpenAIRequest({ ...base, reasoning: { budgetTokens: 20_000 } }, options).reasoning_effort).toBe(
      'high',
    );
    const plain = toOpenAIRequest(base, options);
    expect(plain.reasoning_effort).toBeUndefined();
    expect(plain.messages).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('refuses top_k by name: Chat Completions has none', () => {
    const request: ChatRequest = {
      model: 'g',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      topK: 3,
      stream: false,
    };
    expect(() =>
      toOpenAIRequest(request, { modelId: 'o', stream: false, maxTokensField: 'max_tokens' }),
    ).toThrow(expect.objectContaining({ code: 'unsupported', param: 'top_k' }));
  });
});
