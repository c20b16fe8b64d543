import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../../errors/gateway-error.ts';
import { requestBounds } from '../request-bounds.ts';
import { parseOpenaiResponses } from './openai-responses-request.ts';
import { reasoningItem } from './openai-responses-response.ts';

function refusal(body: unknown): {
  message: string;
  param: string | undefined;
  code: string;
  status: number;
} {
  try {
    parseOpenaiResponses(body);
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    return { message: error.message, param: error.param, code: error.code, status: error.status };
  }
  throw new Error('expected a 400');
}

const base = { model: 'group', input: 'hi' };

describe('parseOpenaiResponses', () => {
  it('maps string input, instructions, sampling, user and the output cap', () => {
    const { request, echo } = parseOpenaiResponses({
      ...base,
      instructions: 'Be brief.',
      max_output_tokens: 64,
      temperature: 0.2,
      top_p: 0.9,
      user: 'u-1',
      metadata: { team: 'a' },
      store: true,
      stream: true,
    });
    expect(request).toEqual({
      model: 'group',
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      maxTokens: 64,
      temperature: 0.2,
      topP: 0.9,
      tools: undefined,
      toolChoice: undefined,
      responseFormat: undefined,
      stream: true,
      user: 'u-1',
    });
    expect(echo).toMatchObject({ instructions: 'Be brief.', metadata: { team: 'a' }, max_output_tokens: 64 });
  });

  it('maps message items, images, function calls and their outputs onto canonical turns', () => {
    const { request } = parseOpenaiResponses({
      model: 'group',
      instructions: 'rule one',
      input: [
        { role: 'developer', content: 'rule two' },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'look' },
            { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' },
          ],
        },
        {
          type: 'message',
          role: 'assistant',
          id: 'msg_1',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Checking.', annotations: [] }],
        },
        {
          type: 'function_call',
          call_id: 'call_a',
          name: 'weather',
          arguments: '{"city":"Oslo"}',
          id: 'fc_1',
        },
        { type: 'function_call', call_id: 'call_b', name: 'time', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_a', output: '{"t":3}' },
        { type: 'function_call_output', call_id: 'call_b', output: [{ type: 'input_text', text: 'noon' }] },
        { role: 'user', content: 'and?' },
      ],
    });
    expect(request.system).toBe('rule one\n\nrule two');
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
          { type: 'text', text: 'Checking.' },
          { type: 'tool_call', id: 'call_a', name: 'weather', arguments: '{"city":"Oslo"}' },
          { type: 'tool_call', id: 'call_b', name: 'time', arguments: '{}' },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', toolCallId: 'call_a', content: '{"t":3}' },
          { type: 'tool_result', toolCallId: 'call_b', content: 'noon' },
          { type: 'text', text: 'and?' },
        ],
      },
    ]);
  });

  it('maps function tools, tool_choice and text.format onto the canonical tools and ResponseFormat', () => {
    const { request } = parseOpenaiResponses({
      ...base,
      tools: [
        { type: 'function', name: 'f', description: 'does f', parameters: { type: 'object' }, strict: true },
        { type: 'function', name: 'g', parameters: null, strict: false },
      ],
      tool_choice: { type: 'function', name: 'f' },
      text: { format: { type: 'json_schema', name: 's', schema: { type: 'object' }, strict: true } },
    });
    expect(request.tools).toEqual([
      { name: 'f', description: 'does f', parameters: { type: 'object' } },
      { name: 'g', description: undefined, parameters: { type: 'object', properties: {} } },
    ]);
    expect(request.toolChoice).toEqual({ type: 'tool', name: 'f' });
    expect(request.responseFormat).toEqual({
      type: 'json_schema',
      name: 's',
      schema: { type: 'object' },
      strict: true,
    });
    const plain = parseOpenaiResponses({
      ...base,
      tool_choice: 'required',
      text: { format: { type: 'json_object' } },
    });
    expect(plain.request.toolChoice).toEqual({ type: 'required' });
    expect(plain.request.responseFormat).toEqual({ type: 'json_object' });
    // LangChain sends an empty `text` object.
    expect(parseOpenaiResponses({ ...base, text: {} }).request.responseFormat).toBeUndefined();
  });

  it('maps reasoning effort, and a reasoning item sent back (signed, redacted) onto canonical parts', () => {
    const rendered = reasoningItem('rs_1', 'completed', { type: 'reasoning', text: 'hmm', signature: 'sig' });
    const redacted = reasoningItem('rs_2', 'completed', { type: 'redacted_reasoning', data: 'opaque' });
    const { request } = parseOpenaiResponses({
      ...base,
      reasoning: { effort: 'low', summary: 'auto' },
      text: { format: { type: 'json_schema', name: 's', description: 'a city', schema: {} } },
      input: [
        { role: 'user', content: 'q' },
        rendered,
        redacted,
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'theirs' }], encrypted_content: 'gAAA' },
        { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
      ],
    });
    expect(request.reasoning).toEqual({ effort: 'low' });
    expect(request.responseFormat).toMatchObject({ description: 'a city' });
    expect(request.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'reasoning', text: 'hmm', signature: 'sig' },
        { type: 'redacted_reasoning', data: 'opaque' },
        { type: 'reasoning', text: 'theirs', signature: undefined },
        { type: 'tool_call', id: 'c', name: 'f', arguments: '{}' },
      ],
    });
  });

  it('maps prompt_cache_breakpoint onto canonical cache breakpoints (system, parts, tool results)', () => {
    const breakpoint = { mode: 'explicit' };
    const { request } = parseOpenaiResponses({
      ...base,
      instructions: 'rules',
      input: [
        {
          role: 'developer',
          content: [{ type: 'input_text', text: 'long', prompt_cache_breakpoint: breakpoint }],
        },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'a', prompt_cache_breakpoint: breakpoint },
            { type: 'input_text', text: 'b' },
          ],
        },
        { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
        {
          type: 'function_call_output',
          call_id: 'c',
          output: [{ type: 'input_text', text: 'r', prompt_cache_breakpoint: breakpoint }],
        },
      ],
    });
    expect(request.system).toBe('rules\n\nlong');
    expect(request.systemCacheControl).toEqual({ type: 'ephemeral' });
    expect(request.messages[0]?.content).toEqual([
      { type: 'text', text: 'a', cacheControl: { type: 'ephemeral' } },
      { type: 'text', text: 'b' },
    ]);
    expect(request.messages[2]?.content).toEqual([
      { type: 'tool_result', toolCallId: 'c', content: 'r', cacheControl: { type: 'ephemeral' } },
    ]);
    expect(parseOpenaiResponses(base).request.systemCacheControl).toBeUndefined();
  });

  it('refuses built-in tools and tool choices, naming the field', () => {
    expect(refusal({ ...base, tools: [{ type: 'web_search' }] })).toMatchObject({
      status: 400,
      code: 'unsupported',
      param: 'tools[0].type',
      message: expect.stringContaining('built-in tool web_search') as string,
    });
    expect(refusal({ ...base, tool_choice: { type: 'file_search' } }).param).toBe('tool_choice.type');
    expect(refusal({ ...base, input: [{ type: 'web_search_call', id: 'ws_1' }] }).param).toBe(
      'input[0].type',
    );
  });

  it('refuses stored state with a 400 that says so, but accepts store: true (decision 0011)', () => {
    const stored = refusal({ ...base, previous_response_id: 'resp_1' });
    expect(stored).toMatchObject({ status: 400, param: 'previous_response_id' });
    expect(stored.message).toContain('does not store responses');
    expect(refusal({ ...base, input: [{ type: 'item_reference', id: 'msg_1' }] }).param).toBe('input[0]');
    expect(refusal({ ...base, conversation: 'conv_1' }).param).toBe('conversation');
    expect(parseOpenaiResponses({ ...base, store: true }).request.model).toBe('group');
  });

  it('refuses what it cannot honour instead of dropping it', () => {
    const user = (part: unknown): unknown => ({ ...base, input: [{ role: 'user', content: [part] }] });
    expect(refusal(user({ type: 'input_image', image_url: 'https://x/y.png' })).param).toBe(
      'input[0].content[0].image_url',
    );
    expect(refusal(user({ type: 'input_file', file_id: 'f' })).param).toBe('input[0].content[0].type');
    expect(refusal({ ...base, truncation: 'auto' }).param).toBe('truncation');
    expect(refusal({ ...base, background: true }).param).toBe('background');
    expect(refusal({ ...base, include: ['message.output_text.logprobs'] }).param).toBe('include[0]');
    expect(refusal({ ...base, text: { verbosity: 'low' } }).param).toBe('text.verbosity');
    expect(refusal({ ...base, input: [] }).param).toBe('input');
  });

  it('bounds the counts before validating, as the chat dialects do', () => {
    const many = Array.from({ length: requestBounds.maxMessages + 1 }, () => ({
      role: 'user',
      content: 'x',
    }));
    expect(refusal({ ...base, input: many })).toMatchObject({ status: 400, param: 'input' });
    expect(parseOpenaiResponses({ ...base, input: many.slice(1) }).request.messages).toHaveLength(1);
    const parts = Array.from({ length: requestBounds.maxContentParts + 1 }, () => ({
      type: 'input_text',
      text: 'x',
    }));
    expect(refusal({ ...base, input: [{ role: 'user', content: parts }] }).param).toBe('input[0].content');
    const tools = Array.from({ length: requestBounds.maxTools + 1 }, () => ({ type: 'function', name: 'f' }));
    expect(refusal({ ...base, tools }).param).toBe('tools');
  });

  it('names the parameter of a malformed body', () => {
    expect(refusal({ model: 'group' })).toMatchObject({ param: 'input', status: 400 });
    expect(refusal({ ...base, input: [{ role: 'robot', content: 'x' }] }).param).toBe('input[0].role');
    expect(refusal({ ...base, input: [{ type: 'function_call', call_id: 'c', name: 'f' }] }).param).toBe(
      'input[0].arguments',
    );
    expect(refusal({ ...base, max_output_tokens: 0 }).param).toBe('max_output_tokens');
    expect(refusal({ ...base, metadata: { a: 1 } }).param).toBe('metadata.a');
  });
});
