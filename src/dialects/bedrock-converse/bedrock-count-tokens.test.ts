import { describe, expect, it } from 'vitest';
import { isGatewayError, type GatewayError } from '../../errors/gateway-error.ts';
import { bedrockCountTokens } from './bedrock-count-tokens.ts';

const route = { model: 'fast' };
const messages = [{ role: 'user', content: [{ text: 'hi' }] }];
const blob = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');

function refusal(body: unknown): GatewayError {
  try {
    bedrockCountTokens.parse(body, route);
  } catch (error) {
    if (isGatewayError(error)) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('Bedrock CountTokens bodies', () => {
  it('counts a Converse input or an Anthropic InvokeModel body, for the group in the path', () => {
    const converse = bedrockCountTokens.parse({ input: { converse: { messages } } }, route);
    expect(converse).toMatchObject({ model: 'fast', stream: false });
    const native = {
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    };
    const invoked = bedrockCountTokens.parse({ input: { invokeModel: { body: blob(native) } } }, route);
    expect(invoked.messages).toEqual(converse.messages);
    expect(bedrockCountTokens.render(42)).toBe('{"inputTokens":42}');
  });

  it.each([
    [{ input: {} }, 'input'],
    [{ input: { converse: { messages }, invokeModel: { body: blob({}) } } }, 'input'],
    [
      { input: { invokeModel: { body: Buffer.from('not json').toString('base64') } } },
      'input.invokeModel.body',
    ],
    [
      { input: { invokeModel: { body: blob({ max_tokens: 5, messages }) } } },
      'input.invokeModel.body.anthropic_version',
    ],
    [
      { input: { converse: { messages: [{ role: 'user', content: [{ text: 5 }] }] } } },
      'input.converse.messages[0].content[0].text',
    ],
    [{ input: { converse: { messages }, other: 1 } }, 'input'],
  ])('refuses %j naming %s', (body, param) => {
    const error = refusal(body);
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    expect(error.message.startsWith(`${param}: `)).toBe(true);
  });
});
