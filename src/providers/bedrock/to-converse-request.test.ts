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

  it('asks for a JSON schema with a forced answer tool, and for JSON mode with a system instruction', () => {
    const schema = { type: 'object' };
    const body = toConverseRequest({
      ...base,
      system: 'Be brief.',
      responseFormat: { type: 'json_schema', name: 'my answer', schema },
    });
    expect(body.system).toEqual([{ text: 'Be brief.' }]);
    expect(body.toolConfig).toEqual({
      tools: [{ toolSpec: { name: 'my_answer', inputSchema: { json: schema } } }],
      toolChoice: { tool: { name: 'my_answer' } },
    });
    // beside the client's tools, some tool must be called
    const tools = [{ name: 't', parameters: {} }];
    expect(
      toConverseRequest({ ...base, tools, responseFormat: { type: 'json_schema', name: 'a', schema } })
        .toolConfig?.toolChoice,
    ).toEqual({ any: {} });
    // Claude cannot be forced while it thinks: offered, and asked for in the system prompt
    const thinking = toConverseRequest(
      { ...base, reasoning: { effort: 'low' }, responseFormat: { type: 'json_schema', name: 'a', schema } },
      'anthropic.claude-sonnet-4-5-20250929-v1:0',
    );
    expect(thinking.toolConfig?.toolChoice).toEqual({ auto: {} });
    expect(thinking.system).toEqual([{ text: 'Give your final answer by calling the a tool.' }]);
    expect(toConverseRequest({ ...base, responseFormat: { type: 'json_object' } }).system).toEqual([
      { text: expect.stringMatching(/JSON/) },
    ]);
  });

  it('asks each model family for reasoning its own way, and refuses it where there is none', () => {
    const claude = toConverseRequest(
      { ...base, reasoning: { effort: 'low' } },
      'us.anthropic.claude-haiku-4-5',
    );
    expect(claude.additionalModelRequestFields).toEqual({
      thinking: { type: 'enabled', budget_tokens: 2048 },
    });
    expect(claude.inferenceConfig?.maxTokens).toBe(4096);
    const given = toConverseRequest(
      { ...base, maxTokens: 100, reasoning: { budgetTokens: 1500 } },
      'anthropic.claude-sonnet-4-5',
    );
    expect([given.additionalModelRequestFields, given.inferenceConfig?.maxTokens]).toEqual([
      { thinking: { type: 'enabled', budget_tokens: 1500 } },
      100,
    ]);
    expect(
      toConverseRequest({ ...base, reasoning: { budgetTokens: 20_000 } }, 'amazon.nova-pro-v1:0')
        .additionalModelRequestFields,
    ).toEqual({ reasoningConfig: { type: 'enabled', maxReasoningEffort: 'high' } });
    expect(
      toConverseRequest({ ...base, reasoning: { effort: 'none' } }, 'amazon.nova-pro-v1:0'),
    ).not.toHaveProperty('additionalModelRequestFields');
    expect(() => toConverseRequest({ ...base, reasoning: { effort: 'high' } }, 'meta.llama3-70b')).toThrow(
      expect.objectContaining({ code: 'unsupported', param: 'reasoning' }),
    );
  });

  it('sends top_k the way each family takes it, and refuses it where there is none', () => {
    expect(
      toConverseRequest({ ...base, topK: 40, reasoning: { effort: 'low' } }, 'anthropic.claude-sonnet-4-5')
        .additionalModelRequestFields,
    ).toEqual({ thinking: { type: 'enabled', budget_tokens: 2048 }, top_k: 40 });
    expect(
      toConverseRequest({ ...base, topK: 5 }, 'amazon.nova-lite-v1:0').additionalModelRequestFields,
    ).toEqual({
      inferenceConfig: { topK: 5 },
    });
    expect(() => toConverseRequest({ ...base, topK: 5 }, 'meta.llama3-70b')).toThrow(
      expect.objectContaining({ code: 'unsupported', param: 'top_k' }),
    );
  });

  it('turns cache breakpoints into cachePoint blocks and sends only signed reasoning back', () => {
    const ephemeral = { type: 'ephemeral' } as const;
    const point = { cachePoint: { type: 'default' } };
    const body = toConverseRequest({
      ...base,
      system: 'rules',
      systemCacheControl: ephemeral,
      tools: [{ name: 't', parameters: {}, cacheControl: ephemeral }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'doc', cacheControl: ephemeral }] },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'signed', signature: 'sig' },
            { type: 'reasoning', text: 'unsigned' },
            { type: 'redacted_reasoning', data: 'b64' },
            { type: 'text', text: 'ok' },
          ],
        },
      ],
    });
    expect(body.system).toEqual([{ text: 'rules' }, point]);
    expect(body.toolConfig?.tools).toEqual([{ toolSpec: { name: 't', inputSchema: { json: {} } } }, point]);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ text: 'doc' }, point] },
      {
        role: 'assistant',
        content: [
          { reasoningContent: { reasoningText: { text: 'signed', signature: 'sig' } } },
          { reasoningContent: { redactedContent: 'b64' } },
          { text: 'ok' },
        ],
      },
    ]);
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
