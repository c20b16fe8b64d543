import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { workGrowth } from '../../test/support/array-work.ts';
import {
  anthropicMessagesBody,
  junk,
  mutatedBody,
  mutatedBodyText,
  openaiChatBody,
} from '../../test/support/chat-body-arbitraries.ts';
import type { ChatRequest } from '../core/chat-request.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { estimatePromptTokens } from '../limits/estimate-tokens.ts';
import { toAnthropicRequest } from '../providers/anthropic/anthropic-request.ts';
import { toConverseRequest } from '../providers/bedrock/to-converse-request.ts';
import { toOpenAIRequest } from '../providers/openai/openai-request.ts';
import { anthropicMessagesDialect } from './anthropic-messages/anthropic-messages-dialect.ts';
import { parseAnthropicMessages } from './anthropic-messages/anthropic-messages-request.ts';
import { openaiChatDialect } from './openai-chat/openai-chat-dialect.ts';
import { parseOpenaiChat } from './openai-chat/openai-chat-request.ts';
import { parseJsonBody } from '../server/read-json-body.ts';

// Issue 12 item 11: property tests over the request parsers and translators. Any JSON value as a
// body is either a canonical request or a 400 GatewayError rendered in the client's dialect (never a
// TypeError, a RangeError or a 500); every parsed request translates to each provider's wire body
// or is refused with a 400; and parsing + translating is linear in the number of messages (counted
// array work, not time). Fixed seeds and run counts: the same cases on every run, a few seconds.

const settings = { seed: 20261206, numRuns: 300 } as const;

type Dialect = 'openai' | 'anthropic';
const dialects = { openai: openaiChatDialect, anthropic: anthropicMessagesDialect } as const;

/** Runs `parse`; returns the request, or the GatewayError after checking it is a 400 in `dialect`'s shape. */
function parseOr400(parse: () => ChatRequest, dialect: Dialect): ChatRequest | GatewayError {
  try {
    return parse();
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    const gatewayError = error as GatewayError;
    expect(gatewayError.status).toBe(400);
    expectDialectShape(gatewayError, dialect);
    return gatewayError;
  }
}

function expectDialectShape(error: GatewayError, dialect: Dialect): void {
  const rendered = dialects[dialect].renderError(error);
  const body: unknown = JSON.parse(rendered.body);
  if (dialect === 'openai') {
    expect(body).toEqual({
      error: {
        message: expect.stringMatching(/./),
        type: 'invalid_request_error',
        param: error.param ?? null,
        code: expect.any(String),
      },
    });
  } else {
    expect(body).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringMatching(/./) },
    });
  }
}

/** Every provider translation of `request`, serialized as sent; a refusal must be a 400 GatewayError. */
function translateAll(request: ChatRequest): void {
  const translations = [
    () => toConverseRequest(request),
    () => toOpenAIRequest(request, { modelId: 'm', stream: request.stream, maxTokensField: 'max_tokens' }),
    () => toOpenAIRequest(request, { modelId: 'm', stream: true, maxTokensField: 'max_completion_tokens' }),
    () => toAnthropicRequest(request, { modelId: 'm', stream: request.stream, version: '2023-06-01' }),
    () => toAnthropicRequest(request, { modelId: 'm', stream: false, version: '2026-10-21' }),
  ];
  for (const translate of translations) {
    try {
      expect(typeof JSON.stringify(translate())).toBe('string');
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).status).toBe(400);
    }
  }
  expect(Number.isSafeInteger(estimatePromptTokens(request))).toBe(true);
}

const parsers = [
  {
    dialect: 'openai',
    bodies: fc.oneof(junk, openaiChatBody, mutatedBody(openaiChatBody)),
    parse: (body: unknown) => parseOpenaiChat(body).request,
  },
  {
    dialect: 'anthropic',
    bodies: fc.oneof(junk, anthropicMessagesBody, mutatedBody(anthropicMessagesBody)),
    parse: parseAnthropicMessages,
  },
] as const;

describe('the chat parsers and the translators, for any body', () => {
  it.each(parsers)(
    '$dialect: a canonical request or a 400 in the dialect; translation never throws anything else',
    ({ dialect, bodies, parse }) => {
      let parsedCount = 0;
      fc.assert(
        fc.property(bodies, (body) => {
          const result = parseOr400(() => parse(body), dialect);
          if (result instanceof GatewayError) return;
          parsedCount += 1;
          translateAll(result);
        }),
        settings,
      );
      // The arbitraries are meant to reach the translators, not only the validation errors.
      expect(parsedCount).toBeGreaterThan(settings.numRuns / 10);
    },
  );
});

describe('from the bytes on: the edge, a parser and the translators', () => {
  // What a gateway does with a body: parse the JSON text at the edge (depth bound), then the
  // dialect, then a provider translation serialized with JSON.stringify. Bodies here include values
  // thousands of levels deep, which JSON.parse reads but JSON.stringify cannot write back.
  const cases = [
    {
      dialect: 'openai',
      texts: mutatedBodyText(openaiChatBody),
      parse: (body: unknown) => parseOpenaiChat(body).request,
    },
    { dialect: 'anthropic', texts: mutatedBodyText(anthropicMessagesBody), parse: parseAnthropicMessages },
  ] as const;

  it.each(cases)(
    '$dialect: any JSON text is a request every provider takes, or a 400 in the dialect',
    (testCase) => {
      fc.assert(
        fc.property(testCase.texts, (text) => {
          const result = parseOr400(() => testCase.parse(parseJsonBody(Buffer.from(text))), testCase.dialect);
          if (!(result instanceof GatewayError)) translateAll(result);
        }),
        { seed: settings.seed, numRuns: 200 },
      );
    },
  );
});

/** The body with its messages repeated `n` times (a valid body stays valid). */
function withMessagesRepeated(body: Record<string, unknown>, n: number): Record<string, unknown> {
  const messages = body.messages as unknown[];
  const repeated: unknown[] = [];
  for (let round = 0; round < n; round += 1) for (const message of messages) repeated.push(message);
  return { ...body, messages: repeated };
}

function parsesWithMessages(parse: (body: unknown) => unknown) {
  return (body: unknown): body is Record<string, unknown> => {
    if (
      typeof body !== 'object' ||
      body === null ||
      !Array.isArray((body as { messages?: unknown }).messages)
    )
      return false;
    try {
      parse(body);
      return true;
    } catch {
      return false;
    }
  };
}

describe('parse + translate work grows linearly with the number of messages', () => {
  const linear = 6;
  const runs = { seed: settings.seed, numRuns: 15 } as const;

  it('OpenAI bodies', () => {
    const valid = openaiChatBody.filter(parsesWithMessages((body) => parseOpenaiChat(body)));
    fc.assert(
      fc.property(valid, (body) => {
        const growth = workGrowth((n) => {
          const parsed = parseOpenaiChat(withMessagesRepeated(body, n));
          translateAll(parsed.request);
        }, 40);
        expect(growth).toBeLessThan(linear);
      }),
      runs,
    );
  });

  it('Anthropic bodies', () => {
    const valid = anthropicMessagesBody.filter(parsesWithMessages(parseAnthropicMessages));
    fc.assert(
      fc.property(valid, (body) => {
        const growth = workGrowth((n) => {
          translateAll(parseAnthropicMessages(withMessagesRepeated(body, n)));
        }, 40);
        expect(growth).toBeLessThan(linear);
      }),
      runs,
    );
  });
});
