import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat-request.ts';
import { toConverseRequest } from './to-converse-request.ts';

const base: ChatRequest = { model: 'group', stream: false, messages: [] };

describe('toConverseRequest', () => {
  it('maps system, turns, images, tool calls and results, and inference settings', () => {
    const body = toConverseRequest({
      ...base,
      system: 'Be brief.',
      maxTokens: 256,
      temperature: 0.5,
      topP: 0.9,
      stop: ['END'],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather in Paris?' },
            { type: 'image', mediaType: 'image/png', data: 'iVBORw0KGgo=' },
          ],
        },
        {
          role: 'assistant',
          content: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
        },
        { role: 'user', content: [{ type: 'tool_result', toolCallId: 'call_1', content: '21C' }] },
        { role: 'user', content: [{ type: 'text', text: 'And tomorrow?' }] },
      ],
      tools: [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object' } }],
      toolChoice: { type: 'required' },
    });
    expect(body).toEqual({
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 256, temperature: 0.5, topP: 0.9, stopSequences: ['END'] },
      messages: [
        {
          role: 'user',
          content: [
            { text: 'Weather in Paris?' },
            { image: { format: 'png', source: { bytes: 'iVBORw0KGgo=' } } },
          ],
        },
        {
          role: 'assistant',
          content: [{ toolUse: { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } } }],
        },
        {
          // Two consecutive user turns merge: Converse needs alternating roles.
          role: 'user',
          content: [
            { toolResult: { toolUseId: 'call_1', content: [{ text: '21C' }] } },
            { text: 'And tomorrow?' },
          ],
        },
      ],
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: 'get_weather',
              description: 'Weather',
              inputSchema: { json: { type: 'object' } },
            },
          },
        ],
        toolChoice: { any: {} },
      },
    });
  });

  it('maps tool choice auto and a named tool; none leaves the tools out', () => {
    const tools = [{ name: 't', parameters: { type: 'object' } }];
    const messages: ChatRequest['messages'] = [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }];
    expect(toConverseRequest({ ...base, messages, tools, toolChoice: { type: 'auto' } }).toolConfig).toEqual({
      tools: [{ toolSpec: { name: 't', inputSchema: { json: { type: 'object' } } } }],
      toolChoice: { auto: {} },
    });
    expect(
      toConverseRequest({ ...base, messages, tools, toolChoice: { type: 'tool', name: 't' } }).toolConfig
        ?.toolChoice,
    ).toEqual({ tool: { name: 't' } });
    expect(toConverseRequest({ ...base, messages, tools, toolChoice: { type: 'none' } })).not.toHaveProperty(
      'toolConfig',
    );
  });

  it('marks failed tool results and omits empty settings', () => {
    const body = toConverseRequest({
      ...base,
      messages: [
        { role: 'user', content: [{ type: 'tool_result', toolCallId: 'c', content: 'boom', isError: true }] },
      ],
    });
    expect(body).toEqual({
      messages: [
        {
          role: 'user',
          content: [{ toolResult: { toolUseId: 'c', content: [{ text: 'boom' }], status: 'error' } }],
        },
      ],
    });
  });

  it('emulates JSON mode with a system instruction', () => {
    const body = toConverseRequest({
      ...base,
      system: 'Be brief.',
      responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' } },
    });
    expect(body.system?.[0]).toEqual({ text: 'Be brief.' });
    expect(body.system?.[1]?.text).toContain('{"type":"object"}');
    expect(toConverseRequest({ ...base, responseFormat: { type: 'json_object' } }).system?.[0]?.text).toMatch(
      /JSON/,
    );
  });

  it('rejects what Bedrock cannot express as invalid requests', () => {
    expect(() =>
      toConverseRequest({
        ...base,
        messages: [{ role: 'user', content: [{ type: 'image', mediaType: 'image/tiff', data: 'AA==' }] }],
      }),
    ).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(() =>
      toConverseRequest({
        ...base,
        messages: [
          { role: 'assistant', content: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '{' }] },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});
