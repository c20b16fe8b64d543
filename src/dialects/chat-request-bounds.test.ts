import { describe, expect, it } from 'vitest';
import { workGrowth } from '../../test/support/array-work.ts';
import type { ChatRequest } from '../core/chat-request.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { estimatePromptTokens } from '../limits/estimate-tokens.ts';
import { toAnthropicRequest } from '../providers/anthropic/anthropic-request.ts';
import { toConverseRequest } from '../providers/bedrock/to-converse-request.ts';
import { toOpenAIRequest } from '../providers/openai/openai-request.ts';
import { parseAnthropicMessages } from './anthropic-messages/anthropic-messages-request.ts';
import { parseOpenaiChat } from './openai-chat/openai-chat-request.ts';
import { requestBounds } from './request-bounds.ts';

// Issue 12 item 1: every parse and translation step is linear, and counts are bounded with a 400
// naming the field. Linearity is asserted by counting array work (test/support/array-work.ts),
// never by timing: 4× the messages must cost about 4× the work (quadratic would be 16×).

const linear = 6;

function parseError(parse: () => unknown): GatewayError {
  try {
    parse();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
}

const repeat = <T>(n: number, make: (index: number) => T): T[] =>
  Array.from({ length: n }, (_, index) => make(index));

function translateAll(request: ChatRequest): void {
  toConverseRequest(request);
  toOpenAIRequest(request, { modelId: 'm', stream: false, maxTokensField: 'max_tokens' });
  toAnthropicRequest(request, { modelId: 'm', stream: false, version: '2023-06-01' });
  estimatePromptTokens(request);
}

describe('OpenAI chat parsing is linear in the number of messages', () => {
  it('a run of one-character user messages (the issue repro, merged into one turn)', () => {
    const run = (n: number): void => {
      const parsed = parseOpenaiChat({
        model: 'm',
        messages: repeat(n, () => ({ role: 'user', content: 'x' })),
      });
      expect(parsed.request.messages).toHaveLength(1);
    };
    expect(workGrowth(run, 1000)).toBeLessThan(linear);
  });

  it('a run of tool results and assistant turns, through the schema path and every translator', () => {
    const run = (n: number): void => {
      const messages = [
        { role: 'user', content: [{ type: 'text', text: 'go' }] },
        ...repeat(n, (index) => ({
          role: 'assistant',
          content: 'a',
          tool_calls: [{ id: `c${index}`, type: 'function', function: { name: 'f', arguments: '{}' } }],
        })),
        ...repeat(n, (index) => ({ role: 'tool', tool_call_id: `c${index}`, content: 'r' })),
      ];
      const parsed = parseOpenaiChat({
        model: 'm',
        messages,
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      });
      expect(parsed.request.messages).toHaveLength(3);
      translateAll(parsed.request);
    };
    expect(workGrowth(run, 500)).toBeLessThan(linear);
  });
});

describe('Anthropic Messages parsing and translation are linear', () => {
  it('n user turns of one text block each', () => {
    const run = (n: number): void => {
      const request = parseAnthropicMessages({
        model: 'm',
        max_tokens: 10,
        messages: repeat(n, () => ({ role: 'user', content: [{ type: 'text', text: 'x' }] })),
      });
      translateAll(request);
    };
    expect(workGrowth(run, 1000)).toBeLessThan(linear);
  });
});

describe('count bounds answer 400 naming the field', () => {
  const user = { role: 'user', content: 'x' };

  it(`accepts ${requestBounds.maxMessages} messages and refuses one more, in both dialects`, () => {
    const atLimit = repeat(requestBounds.maxMessages, () => user);
    expect(parseOpenaiChat({ model: 'm', messages: atLimit }).request.messages).toHaveLength(1);
    const over = [...atLimit, user];
    const openai = parseError(() => parseOpenaiChat({ model: 'm', messages: over }));
    expect(openai).toMatchObject({ status: 400, code: 'invalid_request', param: 'messages' });
    expect(openai.message).toBe('messages: at most 10000 messages are accepted (got 10001)');
    const anthropic = parseError(() => parseAnthropicMessages({ model: 'm', max_tokens: 5, messages: over }));
    expect(anthropic).toMatchObject({ status: 400, param: 'messages' });
  });

  it('refuses too many content parts, tool calls and tools', () => {
    const parts = repeat(requestBounds.maxContentParts + 1, () => ({ type: 'text', text: 'x' }));
    expect(
      parseError(() => parseOpenaiChat({ model: 'm', messages: [user, { role: 'user', content: parts }] }))
        .param,
    ).toBe('messages[1].content');
    const calls = repeat(requestBounds.maxContentParts + 1, (index) => ({
      id: `c${index}`,
      function: { name: 'f', arguments: '{}' },
    }));
    expect(
      parseError(() =>
        parseOpenaiChat({
          model: 'm',
          messages: [user, { role: 'assistant', content: null, tool_calls: calls }],
        }),
      ).param,
    ).toBe('messages[1].tool_calls');
    const tools = repeat(requestBounds.maxTools + 1, () => ({ type: 'function', function: { name: 'f' } }));
    expect(parseError(() => parseOpenaiChat({ model: 'm', messages: [user], tools })).param).toBe('tools');
    expect(
      parseError(() =>
        parseAnthropicMessages({
          model: 'm',
          max_tokens: 5,
          messages: [user],
          tools: repeat(requestBounds.maxTools + 1, () => ({ name: 'f', input_schema: {} })),
        }),
      ).param,
    ).toBe('tools');
  });

  it('refuses too many Anthropic system blocks and tool_result blocks', () => {
    const blocks = repeat(requestBounds.maxContentParts + 1, () => ({ type: 'text', text: 'x' }));
    expect(
      parseError(() =>
        parseAnthropicMessages({ model: 'm', max_tokens: 5, system: blocks, messages: [user] }),
      ).param,
    ).toBe('system');
    const result = { type: 'tool_result', tool_use_id: 't', content: blocks };
    expect(
      parseError(() =>
        parseAnthropicMessages({
          model: 'm',
          max_tokens: 5,
          messages: [{ role: 'user', content: [result] }],
        }),
      ).param,
    ).toBe('messages[0].content[0].content');
  });
});
