import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromOpenAIResponse, isOpenAIChatResponse, openAIChatResponseSchema } from './openai-response.ts';

const plain = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-test',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
};

const withTools = {
  id: 'chatcmpl-2',
  model: 'gpt-test',
  choices: [
    {
      message: {
        content: null,
        refusal: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
      },
      finish_reason: 'tool_calls',
    },
  ],
  usage: {
    prompt_tokens: 30,
    completion_tokens: 5,
    prompt_tokens_details: { cached_tokens: 10 },
    completion_tokens_details: { reasoning_tokens: 3 },
  },
};

const replacements: unknown[] = [undefined, null, 0, -1, 1.5, '', 'x', true, [], [{}], {}, { a: 1 }];

/** Every value reached by replacing one node of `value` (at any depth) with each replacement. */
function mutations(value: unknown): unknown[] {
  const out: unknown[] = [];
  for (const replacement of replacements) out.push(replacement);
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      for (const mutated of mutations(item)) {
        const copy: unknown[] = [...value];
        copy[index] = mutated;
        out.push(copy);
      }
    });
    out.push([]);
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      for (const mutated of mutations(record[key])) {
        const copy: Record<string, unknown> = Object.fromEntries(
          Object.entries(record).filter(([name]) => name !== key),
        );
        if (mutated !== undefined) copy[key] = mutated;
        out.push(copy);
      }
    }
  }
  return out;
}

describe('isOpenAIChatResponse', () => {
  it('vouches for the usual answers', () => {
    expect(isOpenAIChatResponse(plain)).toBe(true);
    expect(isOpenAIChatResponse(withTools)).toBe(true);
    for (const name of ['chat-text', 'chat-tool-calls', 'chat-length', 'chat-content-filter']) {
      const fixture: unknown = JSON.parse(
        readFileSync(new URL(`__fixtures__/${name}.json`, import.meta.url), 'utf8'),
      );
      expect(isOpenAIChatResponse(fixture), name).toBe(true);
    }
  });

  it('accepts only what the schema accepts, and reads the same as the schema output', () => {
    let vouched = 0;
    let deferred = 0;
    for (const base of [plain, withTools]) {
      for (const value of mutations(base)) {
        const parsed = openAIChatResponseSchema.safeParse(value);
        if (!isOpenAIChatResponse(value)) {
          deferred += 1;
          continue;
        }
        vouched += 1;
        expect(parsed.success, JSON.stringify(value)).toBe(true);
        if (!parsed.success) continue;
        const fast = fromOpenAIResponse(value as typeof parsed.data, 'model-id');
        const slow = fromOpenAIResponse(parsed.data, 'model-id');
        // Without an upstream id a fresh one is made each time.
        expect({ ...fast, id: '' }).toEqual({ ...slow, id: '' });
      }
    }
    expect(vouched).toBeGreaterThan(20);
    expect(deferred).toBeGreaterThan(20);
  });

  it('defers every shape error to the schema', () => {
    for (const value of [null, [], 'x', { choices: [] }, { choices: [{}] }, { choices: [{ message: 1 }] }]) {
      expect(isOpenAIChatResponse(value)).toBe(false);
      expect(openAIChatResponseSchema.safeParse(value).success).toBe(false);
    }
  });
});

describe('fromOpenAIResponse usage', () => {
  it('splits cached tokens out of the prompt and keeps reasoning tokens within the output', () => {
    expect(fromOpenAIResponse(openAIChatResponseSchema.parse(withTools), 'm').usage).toEqual({
      inputTokens: 20,
      outputTokens: 5,
      cacheReadInputTokens: 10,
      reasoningTokens: 3,
    });
  });
});
