import { describe, expect, it } from 'vitest';
import { isGatewayError, type GatewayError } from '../../errors/gateway-error.ts';
import { parseBedrockInvoke } from './bedrock-invoke-request.ts';

const route = {
  model: 'arn:aws:bedrock:us-east-1:1:inference-profile/us.anthropic.claude-x-v1:0',
  stream: true,
};
const valid = {
  anthropic_version: 'bedrock-2023-05-31',
  max_tokens: 50,
  messages: [{ role: 'user', content: 'hi' }],
};

function refusal(body: unknown): GatewayError {
  try {
    parseBedrockInvoke(body, route);
  } catch (error) {
    if (isGatewayError(error)) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('parseBedrockInvoke', () => {
  it('parses an Anthropic-on-Bedrock body with the group from the path and streaming from the route', () => {
    const request = parseBedrockInvoke(valid, route);
    expect(request).toMatchObject({ model: 'us.anthropic.claude-x-v1:0', stream: true, maxTokens: 50 });
    expect(request.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
    expect(parseBedrockInvoke(valid, { model: 'fast', stream: false }).stream).toBe(false);
  });

  it.each([
    [{ ...valid, anthropic_version: undefined }, 'anthropic_version'],
    [{ ...valid, anthropic_version: '2023-06-01' }, 'anthropic_version'],
    [{ ...valid, anthropic_beta: ['computer-use-2024-10-22'] }, 'anthropic_beta'],
    [{ ...valid, model: 'claude' }, 'model'],
    [{ ...valid, stream: true }, 'stream'],
    [{ ...valid, max_tokens: 'many' }, 'max_tokens'],
    [{ ...valid, messages: [{ role: 'user', content: 5 }] }, 'messages[0].content'],
  ])('refuses %j naming %s', (body, param) => {
    const error = refusal(body);
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
  });

  it('refuses a body that is not an object in the Anthropic dialect’s words', () => {
    expect(refusal([1, 2]).status).toBe(400);
  });
});
