import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../../errors/gateway-error.ts';
import { parseAnthropicMessages } from './anthropic-messages-request.ts';

function parseError(body: unknown): { message: string; param: string | undefined } {
  try {
    parseAnthropicMessages(body);
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    return { message: error.message, param: error.param };
  }
  throw new Error('expected a parse error');
}

describe('parseAnthropicMessages', () => {
  it('maps system blocks, images, tool use and tool results', () => {
    const request = parseAnthropicMessages({
      model: 'group',
      max_tokens: 100,
      system: [
        { type: 'text', text: 'be ', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'brief' },
      ],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'see' },
            { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'calling' },
            { type: 'tool_use', id: 't1', name: 'f', input: { city: 'Oslo' } },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 't1',
              content: [{ type: 'text', text: 'cold' }],
              is_error: false,
            },
            { type: 'tool_result', tool_use_id: 't2', content: 'bad', is_error: true },
          ],
        },
      ],
      tools: [{ name: 'f', description: 'weather', input_schema: { type: 'object' } }],
      tool_choice: { type: 'tool', name: 'f' },
      stop_sequences: ['STOP'],
      temperature: 0.2,
      top_p: 0.8,
      metadata: { user_id: 'u-9' },
      stream: true,
    });
    expect(request).toEqual({
      model: 'group',
      system: 'be brief',
      // the breakpoint on a system block marks the end of the (joined) system prompt
      systemCacheControl: { type: 'ephemeral' },
      maxTokens: 100,
      temperature: 0.2,
      topP: 0.8,
      stop: ['STOP'],
      tools: [{ name: 'f', description: 'weather', parameters: { type: 'object' } }],
      toolChoice: { type: 'tool', name: 'f' },
      stream: true,
      user: 'u-9',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'see' },
            { type: 'image', mediaType: 'image/jpeg', data: '/9j/' },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'calling' },
            { type: 'tool_call', id: 't1', name: 'f', arguments: '{"city":"Oslo"}' },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', toolCallId: 't1', content: 'cold', isError: false },
            { type: 'tool_result', toolCallId: 't2', content: 'bad', isError: true },
          ],
        },
      ],
    });
  });

  it('maps tool_choice any/auto/none', () => {
    const base = { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] };
    expect(parseAnthropicMessages({ ...base, tool_choice: { type: 'any' } }).toolChoice).toEqual({
      type: 'required',
    });
    expect(parseAnthropicMessages({ ...base, tool_choice: { type: 'auto' } }).toolChoice).toEqual({
      type: 'auto',
    });
    expect(parseAnthropicMessages({ ...base, tool_choice: { type: 'none' } }).toolChoice).toEqual({
      type: 'none',
    });
    expect(parseAnthropicMessages(base).stream).toBe(false);
  });

  it('requires max_tokens and names bad parameters', () => {
    expect(parseError({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).toMatchObject({
      param: 'max_tokens',
      message: 'max_tokens: missing required parameter (expected number)',
    });
    expect(
      parseError({
        model: 'm',
        max_tokens: 1,
        messages: [{ role: 'assistant', content: [{ type: 'image' }] }],
      }).param,
    ).toBe('messages[0].content[0].type');
    expect(
      parseError({
        model: 'm',
        max_tokens: 1,
        messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://x' } }] }],
      }).message,
    ).toBe('messages[0].content[0].source.type: only base64 image sources are supported');
  });

  it('maps thinking, output_config, cache breakpoints and thinking blocks sent back', () => {
    const base = { model: 'm', max_tokens: 5000, messages: [{ role: 'user', content: 'x' }] };
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const request = parseAnthropicMessages({
      ...base,
      thinking: { type: 'enabled', budget_tokens: 2000 },
      output_config: { format: { type: 'json_schema', schema } },
      tools: [
        { name: 'f', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral', ttl: '1h' } },
      ],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'doc', cache_control: { type: 'ephemeral' } }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'redacted_thinking', data: 'opaque' },
            { type: 'text', text: 'ok' },
          ],
        },
        { role: 'user', content: 'go on' },
      ],
    });
    expect(request.reasoning).toEqual({ budgetTokens: 2000 });
    expect(request.responseFormat).toEqual({ type: 'json_schema', name: 'response', schema, strict: true });
    expect(request.tools?.[0]?.cacheControl).toEqual({ type: 'ephemeral', ttl: '1h' });
    expect(request.messages[0]?.content).toEqual([
      { type: 'text', text: 'doc', cacheControl: { type: 'ephemeral' } },
    ]);
    expect(request.messages[1]?.content).toEqual([
      { type: 'reasoning', text: 'hmm', signature: 'sig' },
      { type: 'redacted_reasoning', data: 'opaque' },
      { type: 'text', text: 'ok' },
    ]);
    expect(parseAnthropicMessages({ ...base, top_k: 40 }).topK).toBe(40);
    expect(parseAnthropicMessages({ ...base, thinking: { type: 'disabled' } }).reasoning).toEqual({
      effort: 'none',
    });
    expect(
      parseAnthropicMessages({ ...base, thinking: { type: 'adaptive' }, output_config: { effort: 'max' } })
        .reasoning,
    ).toEqual({
      effort: 'xhigh',
    });
  });

  it('puts a top-level cache_control on the last block of the last turn', () => {
    const request = parseAnthropicMessages({
      model: 'm',
      max_tokens: 10,
      cache_control: { type: 'ephemeral' },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
      ],
    });
    expect(request.messages[0]?.content).toEqual([
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b', cacheControl: { type: 'ephemeral' } },
    ]);
  });

  it('refuses what it cannot honour by name instead of dropping it', () => {
    const base = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] };
    expect(parseError({ ...base, output_format: { type: 'json_schema', schema: {} } }).param).toBe(
      'output_format',
    );
    expect(parseError({ ...base, mcp_servers: [{ url: 'x' }] }).param).toBe('mcp_servers');
    expect(parseError({ ...base, thinking: { type: 'enabled', budget_tokens: 0 } }).param).toBe(
      'thinking.budget_tokens',
    );
    expect(
      parseError({ ...base, system: [{ type: 'text', text: 's', cache_control: { type: 'forever' } }] })
        .param,
    ).toBe('system[0].cache_control.type');
    expect(
      parseError({ ...base, tools: [{ type: 'web_search_20250305', name: 'web_search', input_schema: {} }] })
        .param,
    ).toBe('tools[0].type');
  });
});
