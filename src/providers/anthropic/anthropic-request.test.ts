import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat-request.ts';
import { toAnthropicRequest } from './anthropic-request.ts';

const conversation: ChatRequest = {
  model: 'group',
  system: 'You are a weather bot.',
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Weather here?' },
        { type: 'image', mediaType: 'image/jpeg', data: '/9j/4AAQSkZJRg==' },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_call', id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'tool_call', id: 'toolu_2', name: 'get_time', arguments: '' },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Here you go' },
        { type: 'tool_result', toolCallId: 'toolu_1', content: '18C' },
        { type: 'tool_result', toolCallId: 'toolu_2', content: 'clock broken', isError: true },
      ],
    },
  ],
  maxTokens: 300,
  temperature: 0.5,
  topP: 0.9,
  stop: ['END'],
  tools: [
    { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object' } },
    { name: 'get_time', parameters: { type: 'object' } },
  ],
  toolChoice: { type: 'required' },
  user: 'end-user-7',
  stream: false,
};

describe('toAnthropicRequest', () => {
  it('translates every canonical field; tool results first in their turn', () => {
    expect(
      toAnthropicRequest(conversation, { modelId: 'claude', stream: false, version: '2023-06-01' }),
    ).toEqual({
      model: 'claude',
      max_tokens: 300,
      system: 'You are a weather bot.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather here?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQSkZJRg==' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '18C' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: 'clock broken', is_error: true },
            { type: 'text', text: 'Here you go' },
          ],
        },
      ],
      temperature: 0.5,
      top_p: 0.9,
      stop_sequences: ['END'],
      tools: [
        { name: 'get_weather', description: 'Weather by city', input_schema: { type: 'object' } },
        { name: 'get_time', input_schema: { type: 'object' } },
      ],
      tool_choice: { type: 'any' },
      metadata: { user_id: 'end-user-7' },
      stream: false,
    });
  });

  it('defaults max_tokens, maps tool choices and drops sampling parameters from version 2026-10-21 on', () => {
    const base: ChatRequest = {
      model: 'g',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      temperature: 1,
      stream: true,
    };
    const wire = toAnthropicRequest(
      { ...base, toolChoice: { type: 'tool', name: 'f' } },
      { modelId: 'c', stream: true, version: '2026-10-21' },
    );
    expect(wire.max_tokens).toBe(4096);
    expect(wire.temperature).toBeUndefined();
    expect(
      toAnthropicRequest({ ...base, topK: 7 }, { modelId: 'c', stream: true, version: '2023-06-01' }).top_k,
    ).toBe(7);
    expect(wire.stream).toBe(true);
    expect(wire.tool_choice).toEqual({ type: 'tool', name: 'f' });
    expect(
      toAnthropicRequest(
        { ...base, toolChoice: { type: 'none' } },
        { modelId: 'c', stream: true, version: '2023-06-01' },
      ).tool_choice,
    ).toEqual({ type: 'none' });
  });

  it('asks for a JSON schema natively (output_config) and for JSON mode with a system instruction', () => {
    const schema = { type: 'object', required: ['c'] };
    const wire = toAnthropicRequest(
      { ...conversation, responseFormat: { type: 'json_schema', name: 'weather', schema } },
      { modelId: 'c', stream: false, version: '2023-06-01' },
    );
    expect(wire.output_config).toEqual({ format: { type: 'json_schema', schema } });
    expect(wire.system).toBe('You are a weather bot.');
    const json = toAnthropicRequest(
      { ...conversation, responseFormat: { type: 'json_object' } },
      { modelId: 'c', stream: false, version: '2023-06-01' },
    );
    expect(json.output_config).toBeUndefined();
    expect(json.system).toMatch(/^You are a weather bot\.\n\nRespond with a single valid JSON object/);
  });

  it("sends thinking with the budget given, or the effort's budget with room left for the answer", () => {
    const base: ChatRequest = {
      model: 'g',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      maxTokens: 1000,
      stream: false,
    };
    const options = { modelId: 'c', stream: false, version: '2023-06-01' };
    const given = toAnthropicRequest(
      { ...base, maxTokens: 4000, reasoning: { budgetTokens: 2000 } },
      options,
    );
    expect([given.thinking, given.max_tokens]).toEqual([{ type: 'enabled', budget_tokens: 2000 }, 4000]);
    const effort = toAnthropicRequest({ ...base, reasoning: { effort: 'low' } }, options);
    expect([effort.thinking, effort.max_tokens]).toEqual([{ type: 'enabled', budget_tokens: 2048 }, 3048]);
    expect(toAnthropicRequest({ ...base, reasoning: { effort: 'none' } }, options).thinking).toEqual({
      type: 'disabled',
    });
    expect(toAnthropicRequest(base, options).thinking).toBeUndefined();
  });

  it('forwards cache breakpoints on system, tools and blocks, and signed thinking back in assistant turns', () => {
    const ephemeral = { type: 'ephemeral' } as const;
    const wire = toAnthropicRequest(
      {
        model: 'g',
        system: 'long rules',
        systemCacheControl: ephemeral,
        tools: [
          { name: 'f', parameters: { type: 'object' }, cacheControl: { type: 'ephemeral', ttl: '1h' } },
        ],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'doc', cacheControl: ephemeral }] },
          {
            role: 'assistant',
            content: [
              { type: 'reasoning', text: 'signed', signature: 'sig' },
              { type: 'reasoning', text: 'from elsewhere' },
              { type: 'redacted_reasoning', data: 'opaque' },
              { type: 'tool_call', id: 't1', name: 'f', arguments: '{}' },
            ],
          },
        ],
        stream: false,
      },
      { modelId: 'c', stream: false, version: '2023-06-01' },
    );
    expect(wire.system).toEqual([{ type: 'text', text: 'long rules', cache_control: ephemeral }]);
    expect(wire.tools?.[0]?.cache_control).toEqual({ type: 'ephemeral', ttl: '1h' });
    expect(wire.messages[0]?.content).toEqual([{ type: 'text', text: 'doc', cache_control: ephemeral }]);
    expect(wire.messages[1]?.content).toEqual([
      { type: 'thinking', thinking: 'signed', signature: 'sig' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'tool_use', id: 't1', name: 'f', input: {} },
    ]);
  });

  it('rejects tool call arguments that are not JSON as a client error', () => {
    const bad: ChatRequest = {
      model: 'g',
      messages: [
        { role: 'assistant', content: [{ type: 'tool_call', id: 't', name: 'f', arguments: '{oops' }] },
      ],
      stream: false,
    };
    expect(() => toAnthropicRequest(bad, { modelId: 'c', stream: false, version: '2023-06-01' })).toThrow(
      expect.objectContaining({ code: 'invalid_request', retryable: false }),
    );
  });
});
