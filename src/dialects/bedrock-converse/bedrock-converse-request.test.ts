import { describe, expect, it } from 'vitest';
import { isGatewayError, type GatewayError } from '../../errors/gateway-error.ts';
import toolsBody from './__fixtures__/converse-request-tools.json' with { type: 'json' };
import type { ChatRouteParams } from '../dialect.ts';
import { parseConverse } from './bedrock-converse-request.ts';

const route = { model: 'fast', stream: false };
const ask = [{ role: 'user', content: [{ text: 'hi' }] }];

function refusal(body: unknown, params: ChatRouteParams = route): GatewayError {
  try {
    parseConverse(body, params);
  } catch (error) {
    if (isGatewayError(error)) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('parseConverse', () => {
  it('carries system, turns, images, tool calls and results, inference and tool config', () => {
    const request = parseConverse(toolsBody, { model: 'fast', stream: true });
    expect(request).toMatchObject({
      model: 'fast',
      stream: true,
      system: 'You answer briefly.',
      maxTokens: 200,
      temperature: 0.2,
      topP: 0.9,
      stop: ['\n\n'],
      toolChoice: { type: 'tool', name: 'get_weather' },
      tools: [{ name: 'get_weather', description: 'Weather for a city' }],
      reasoning: { budgetTokens: 1024 },
    });
    expect(request.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this picture, and the weather in Oslo?' },
          {
            type: 'image',
            mediaType: 'image/png',
            data: 'iVBORw0KGgo=',
            cacheControl: { type: 'ephemeral', ttl: '5m' },
          },
        ],
      },
      {
        role: 'assistant',
        content: [
          {
            type: 'reasoning',
            text: 'Two questions: the image, then the weather.',
            signature: 'c2lnbmF0dXJl',
          },
          { type: 'text', text: 'Let me look.' },
          { type: 'tool_call', id: 'tooluse_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', toolCallId: 'tooluse_1', content: 'rain, 4 C{"celsius":4}', isError: false },
          { type: 'text', text: 'Thanks. In one line?' },
        ],
      },
    ]);
  });

  it('takes the group from the path: a plain id as it is, an ARN by its resource id', () => {
    expect(parseConverse({ messages: ask }, route).model).toBe('fast');
    const arn = 'arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-x-v1:0';
    expect(parseConverse({ messages: ask }, { model: arn }).model).toBe('eu.anthropic.claude-x-v1:0');
    expect(refusal({ messages: ask }, { model: 'arn:aws:bedrock:x' }).param).toBe('modelId');
    expect(refusal({ messages: ask }, {}).param).toBe('modelId');
  });

  it.each([
    [{ messages: ask, guardrailConfig: { guardrailIdentifier: 'g' } }, 'guardrailConfig'],
    [{ messages: ask, additionalModelRequestFields: { top_p: 0.5 } }, 'additionalModelRequestFields.top_p'],
    [{ messages: ask, guardContent: { text: { text: 'x' } } }, 'guardContent'],
    [
      { messages: [{ role: 'user', content: [{ document: { name: 'd', format: 'txt' } }] }] },
      'messages[0].content[0].document',
    ],
    [
      { messages: [{ role: 'user', content: [{ image: { format: 'png', source: { s3Location: {} } } }] }] },
      'messages[0].content[0].image.source.s3Location',
    ],
    [{ messages: ask, inferenceConfig: { maxTokens: 10, topK: 5 } }, 'inferenceConfig.topK'],
  ])('refuses what it cannot carry, naming the field (%j)', (body, param) => {
    const error = refusal(body);
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    expect(error.message).toBe(`${param}: not supported by the gateway's Bedrock endpoint`);
  });

  it('puts each cachePoint on the part, system prompt or tool before it', () => {
    const request = parseConverse(toolsBody, route);
    expect(request.systemCacheControl).toEqual({ type: 'ephemeral' });
    expect(request.messages[0]?.content.at(-1)).toMatchObject({
      type: 'image',
      cacheControl: { type: 'ephemeral', ttl: '5m' },
    });
    expect(request.tools?.at(-1)).toMatchObject({ name: 'get_weather', cacheControl: { type: 'ephemeral' } });
    expect(request.tools).toHaveLength(1);
  });

  it.each([
    [
      { messages: [{ role: 'user', content: [{ cachePoint: { type: 'default' } }, { text: 'x' }] }] },
      'messages[0].content[0].cachePoint',
    ],
    [{ messages: ask, system: [{ cachePoint: { type: 'default' } }] }, 'system[0].cachePoint'],
    [
      { messages: ask, toolConfig: { tools: [{ cachePoint: { type: 'default' } }] } },
      'toolConfig.tools[0].cachePoint',
    ],
  ])('refuses a cachePoint with nothing before it to cache (%j)', (body, param) => {
    expect(refusal(body).param).toBe(param);
  });

  it('carries reasoning sent back in an assistant turn, signed or redacted', () => {
    const request = parseConverse(toolsBody, route);
    expect(request.messages[1]?.content[0]).toEqual({
      type: 'reasoning',
      text: 'Two questions: the image, then the weather.',
      signature: 'c2lnbmF0dXJl',
    });
    const redacted = parseConverse(
      {
        messages: [
          ...ask,
          { role: 'assistant', content: [{ reasoningContent: { redactedContent: 'AAEC' } }, { text: 'ok' }] },
          ...ask,
        ],
      },
      route,
    );
    expect(redacted.messages[1]?.content[0]).toEqual({ type: 'redacted_reasoning', data: 'AAEC' });
  });

  it.each([
    [{ thinking: { type: 'enabled', budget_tokens: 2048 } }, { budgetTokens: 2048 }],
    [{ thinking: { type: 'disabled' } }, { effort: 'none' }],
    [{ reasoningConfig: { type: 'enabled', maxReasoningEffort: 'high' } }, { effort: 'high' }],
    [{ reasoningConfig: { type: 'disabled' } }, { effort: 'none' }],
    [{ reasoning_effort: 'low' }, { effort: 'low' }],
  ])('reads reasoning from additionalModelRequestFields %j', (fields, reasoning) => {
    expect(parseConverse({ messages: ask, additionalModelRequestFields: fields }, route).reasoning).toEqual(
      reasoning,
    );
  });

  it("carries Claude's top_k from additionalModelRequestFields", () => {
    expect(parseConverse({ messages: ask, additionalModelRequestFields: { top_k: 20 } }, route).topK).toBe(
      20,
    );
  });

  it('refuses two ways of asking for reasoning at once', () => {
    const fields = { thinking: { type: 'disabled' }, reasoning_effort: 'low' };
    expect(refusal({ messages: ask, additionalModelRequestFields: fields }).param).toBe(
      'additionalModelRequestFields.reasoning_effort',
    );
  });

  it('refuses a content block with no member or two', () => {
    expect(refusal({ messages: [{ role: 'user', content: [{}] }] }).param).toBe('messages[0].content[0]');
    const two = {
      messages: [
        { role: 'user', content: [{ text: 'a', image: { format: 'png', source: { bytes: 'x' } } }] },
      ],
    };
    expect(refusal(two).message).toMatch(/exactly one member \(got 2\)/);
  });

  it('marks a tool result with status error as an error; a route without stream does not stream', () => {
    const body = {
      messages: [
        {
          role: 'user',
          content: [{ toolResult: { toolUseId: 't', content: [{ text: 'boom' }], status: 'error' } }],
        },
      ],
    };
    const request = parseConverse(body, route);
    expect(request.stream).toBe(false);
    expect(request.messages[0]?.content[0]).toEqual({
      type: 'tool_result',
      toolCallId: 't',
      content: 'boom',
      isError: true,
    });
  });
});
