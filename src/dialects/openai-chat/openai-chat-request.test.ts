import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../../errors/gateway-error.ts';
import { parseOpenaiChat } from './openai-chat-request.ts';

function parseError(body: unknown): {
  message: string;
  param: string | undefined;
  code: string;
  status: number;
} {
  try {
    parseOpenaiChat(body);
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    return { message: error.message, param: error.param, code: error.code, status: error.status };
  }
  throw new Error('expected a parse error');
}

describe('parseOpenaiChat', () => {
  it('maps every role, tool calls and tool results onto canonical turns', () => {
    const { request, includeUsage } = parseOpenaiChat({
      model: 'group',
      messages: [
        { role: 'system', content: 'rule one' },
        { role: 'developer', content: [{ type: 'text', text: 'rule two' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
            { id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'a', content: 'one' },
        { role: 'tool', tool_call_id: 'b', content: [{ type: 'text', text: 'two' }] },
        { role: 'user', content: 'and?' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      unknown_field: 'ignored',
    });
    expect(includeUsage).toBe(true);
    expect(request.system).toBe('rule one\n\nrule two');
    expect(request.stream).toBe(true);
    expect(request.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'look' },
          { type: 'image', mediaType: 'image/png', data: 'iVBORw0KGgo=' },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'tool_call', id: 'a', name: 'f', arguments: '{"x":1}' },
          { type: 'tool_call', id: 'b', name: 'g', arguments: '{}' },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', toolCallId: 'a', content: 'one' },
          { type: 'tool_result', toolCallId: 'b', content: 'two' },
          { type: 'text', text: 'and?' },
        ],
      },
    ]);
  });

  it('maps sampling, tools, tool_choice, response_format and stop', () => {
    const { request } = parseOpenaiChat({
      model: 'group',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 10,
      max_completion_tokens: 20,
      temperature: 0.5,
      top_p: 0.9,
      stop: 'END',
      user: 'u-1',
      tools: [{ type: 'function', function: { name: 'f', description: 'does f' } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: {
        type: 'json_schema',
        json_schema: { name: 's', schema: { type: 'object' }, strict: true },
      },
    });
    expect(request).toMatchObject({
      maxTokens: 20,
      temperature: 0.5,
      topP: 0.9,
      stop: ['END'],
      user: 'u-1',
      tools: [{ name: 'f', description: 'does f', parameters: { type: 'object', properties: {} } }],
      toolChoice: { type: 'tool', name: 'f' },
      responseFormat: { type: 'json_schema', name: 's', schema: { type: 'object' }, strict: true },
      stream: false,
    });
    expect(
      parseOpenaiChat({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 7 }).request
        .maxTokens,
    ).toBe(7);
    const plain = parseOpenaiChat({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      tool_choice: 'required',
      response_format: { type: 'json_object' },
      stop: ['a', 'b'],
    }).request;
    expect(plain.toolChoice).toEqual({ type: 'required' });
    expect(plain.responseFormat).toEqual({ type: 'json_object' });
    expect(plain.stop).toEqual(['a', 'b']);
  });

  it('names the parameter at fault', () => {
    expect(parseError({ model: 'm', messages: [{ role: 'user', content: 5 }] })).toMatchObject({
      status: 400,
      param: 'messages[0].content',
      message: 'messages[0].content: expected string or array',
    });
    expect(parseError({ model: 'm' })).toMatchObject({
      param: 'messages',
      message: 'messages: missing required parameter (expected array)',
    });
    expect(parseError({ model: 'm', messages: [{ role: 'robot', content: 'x' }] }).param).toBe(
      'messages[0].role',
    );
    expect(
      parseError({ model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' }).param,
    ).toBe('temperature');
    expect(
      parseError({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text' }] }] }),
    ).toMatchObject({
      param: 'messages[0].content[0].text',
    });
    expect(parseError([])).toMatchObject({ status: 400, param: undefined });
  });

  it('refuses n > 1 and image URLs that are not data URLs', () => {
    expect(parseError({ model: 'm', messages: [{ role: 'user', content: 'x' }], n: 2 })).toMatchObject({
      code: 'unsupported',
      param: 'n',
    });
    expect(
      parseOpenaiChat({ model: 'm', messages: [{ role: 'user', content: 'x' }], n: 1 }).request.model,
    ).toBe('m');
    const error = parseError({
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x/y.png' } }] }],
    });
    expect(error.param).toBe('messages[0].content[0].image_url.url');
    expect(error.message).toContain('only data URLs are supported');
  });

  it('maps reasoning_effort and refuses options it cannot honour by name', () => {
    const base = { model: 'g', messages: [{ role: 'user', content: 'hi' }] };
    expect(parseOpenaiChat({ ...base, reasoning_effort: 'high' }).request.reasoning).toEqual({
      effort: 'high',
    });
    expect(parseOpenaiChat(base).request.reasoning).toBeUndefined();
    expect(parseError({ ...base, reasoning_effort: 'extreme' }).param).toBe('reasoning_effort');
    for (const [field, value] of [
      ['logprobs', true],
      ['audio', { voice: 'alloy', format: 'mp3' }],
      ['modalities', ['text', 'audio']],
      ['prediction', { type: 'content', content: 'x' }],
    ] as const) {
      expect(parseError({ ...base, [field]: value })).toMatchObject({
        param: field,
        status: 400,
        code: 'unsupported',
      });
    }
    // asking for nothing is fine
    expect(parseOpenaiChat({ ...base, logprobs: false, modalities: ['text'] }).request.model).toBe('g');
  });
});
