import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { junk, mutatedBody, mutatedBodyText } from '../../../test/support/chat-body-arbitraries.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import { toAnthropicRequest } from '../../providers/anthropic/anthropic-request.ts';
import { toConverseRequest } from '../../providers/bedrock/to-converse-request.ts';
import { toOpenAIRequest } from '../../providers/openai/openai-request.ts';
import { parseJsonBody } from '../../server/read-json-body.ts';
import plainInvoke from '../bedrock-invoke/__fixtures__/invoke-request-plain.json' with { type: 'json' };
import toolsInvoke from '../bedrock-invoke/__fixtures__/invoke-request-tools.json' with { type: 'json' };
import { parseBedrockInvoke } from '../bedrock-invoke/bedrock-invoke-request.ts';
import plainConverse from './__fixtures__/converse-request-plain.json' with { type: 'json' };
import toolsConverse from './__fixtures__/converse-request-tools.json' with { type: 'json' };
import { parseBedrockCountTokens } from './bedrock-count-tokens.ts';
import { parseConverse } from './bedrock-converse-request.ts';
import { renderBedrockError } from './bedrock-error.ts';

// The Bedrock dialects' parsers under the same property as the other dialects'
// (chat-request-properties.test.ts): any JSON body, generated or a recorded body mutated, is a
// canonical request every provider translation takes (or refuses with a 400), or a 400 rendered as
// a Bedrock ValidationException; never a TypeError or a 500. Fixed seed, a few seconds.

const settings = { seed: 20261206, numRuns: 300 } as const;
const route = { model: 'group-x', stream: false };

function parseOr400(parse: () => ChatRequest): ChatRequest | GatewayError {
  try {
    return parse();
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    const refused = error as GatewayError;
    expect(refused.status).toBe(400);
    const rendered = renderBedrockError(refused);
    expect(rendered.headers['x-amzn-errortype']).toBe('ValidationException');
    expect(JSON.parse(rendered.body)).toEqual({ message: expect.stringMatching(/./) });
    return refused;
  }
}

function translateAll(request: ChatRequest): void {
  const translations = [
    () => toConverseRequest(request),
    () => toOpenAIRequest(request, { modelId: 'm', stream: request.stream, maxTokensField: 'max_tokens' }),
    () => toAnthropicRequest(request, { modelId: 'm', stream: request.stream, version: '2023-06-01' }),
  ];
  for (const translate of translations) {
    try {
      expect(typeof JSON.stringify(translate())).toBe('string');
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).status).toBe(400);
    }
  }
}

const converseBodies = fc.constantFrom(plainConverse, toolsConverse);
const invokeBodies = fc.constantFrom(plainInvoke, toolsInvoke);
const cases = [
  { name: 'converse', bodies: converseBodies, parse: (body: unknown) => parseConverse(body, route) },
  { name: 'invoke', bodies: invokeBodies, parse: (body: unknown) => parseBedrockInvoke(body, route) },
  {
    name: 'count-tokens',
    bodies: converseBodies.map((converse) => ({ input: { converse } })),
    parse: (body: unknown) => parseBedrockCountTokens(body, route),
  },
] as const;

describe('the Bedrock parsers, for any body', () => {
  it.each(cases)(
    '$name: a canonical request every provider takes, or a 400 ValidationException',
    (testCase) => {
      let parsed = 0;
      fc.assert(
        fc.property(fc.oneof(junk, testCase.bodies, mutatedBody(testCase.bodies)), (body) => {
          const result = parseOr400(() => testCase.parse(body));
          if (result instanceof GatewayError) return;
          parsed += 1;
          translateAll(result);
        }),
        settings,
      );
      expect(parsed).toBeGreaterThan(settings.numRuns / 10);
    },
  );

  it.each(cases)('$name: from the JSON text on, values nested thousands deep included', (testCase) => {
    fc.assert(
      fc.property(mutatedBodyText(testCase.bodies), (text) => {
        const result = parseOr400(() => testCase.parse(parseJsonBody(Buffer.from(text))));
        if (!(result instanceof GatewayError)) translateAll(result);
      }),
      { ...settings, numRuns: 100 },
    );
  });
});
