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
    expect(wire.stream).toBe(true);
    expect(wire.tool_choice).toEqual({ type: 'tool', name: 'f' });
    expect(
      toAnthropicRequest(
        { ...base, toolChoice: { type: 'none' } },
        { modelId: 'c', stream: true, version: '2023-06-01' },
      ).tool_choice,
    ).toEqual({ type: 'none' });
  });

  it('emulates JSON mode with a system instruction carrying the schema', () => {
    const wire = toAnthropicRequest(
      {
        ...conversation,
        responseFormat: { type: 'json_schema', name: 'weather', schema: { type: 'object', required: ['c'] } },
      },
      { modelId: 'c', stream: false, version: '2023-06-01' },
    );
    expect(wire.system).toMatch(/^You are a weather bot\.\n\nRespond with a single valid JSON object/);
    expect(wire.system).toContain('{"type":"object","required":["c"]}');
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
