import { describe, expect, it } from 'vitest';
import { PromptCache } from './prompt-cache.ts';
import type { SimChatRequest } from './sim-chat.ts';
import { countInputTokens, generateChatResult } from './text-generator.ts';

const longSystem = 'You answer questions about rivers. '.repeat(150); // ~1300 tokens

const request = (question: string, overrides: Partial<SimChatRequest> = {}): SimChatRequest => ({
  system: longSystem,
  messages: [{ role: 'user', content: [{ type: 'text', text: question }] }],
  tools: [],
  toolChoice: { type: 'auto' },
  maxTokens: undefined,
  stopSequences: [],
  cache: { mode: 'explicit', points: [{ system: true }] },
  ...overrides,
});

function usage(cache: PromptCache, simRequest: SimChatRequest): [number, number, number] {
  const result = cache.apply(simRequest, 'm', generateChatResult(simRequest, 1, 'm'));
  return [result.inputTokens, result.cacheReadTokens ?? 0, result.cacheWriteTokens ?? 0];
}

describe('PromptCache', () => {
  it('writes a breakpoint prefix on first sight and reads it on a repeated prefix', () => {
    let now = 0;
    const cache = new PromptCache(() => now);
    const first = request('Which river is longest?');
    const total = countInputTokens(first);
    const [input, read, write] = usage(cache, first);
    expect(read).toBe(0);
    expect(write).toBeGreaterThan(1024);
    expect(input + write).toBe(total);
    // Another question after the same system prompt: the prefix is read, nothing new written.
    const second = usage(cache, request('And the widest?'));
    expect(second[1]).toBe(write);
    expect(second[2]).toBe(0);
    // Past the five-minute TTL the prefix is written again.
    now += 5 * 60_000 + 1;
    expect(usage(cache, request('Which river is longest?'))[1]).toBe(0);
  });

  it('caches nothing below the minimum, without breakpoints, or for another model', () => {
    const cache = new PromptCache(() => 0);
    expect(usage(cache, request('q', { system: 'short' }))).toEqual([expect.any(Number), 0, 0]);
    const plain = request('q', { cache: undefined });
    const result = cache.apply(plain, 'm', generateChatResult(plain, 1, 'm'));
    expect(result.cacheReadTokens).toBeUndefined();
    usage(cache, request('q'));
    const other = request('q');
    const elsewhere = cache.apply(other, 'other-model', generateChatResult(other, 1, 'other-model'));
    expect(elsewhere.cacheReadTokens).toBe(0);
  });

  it('automatic caching (OpenAI) reads the prefix before the last turn and reports no writes', () => {
    const cache = new PromptCache(() => 0);
    const turns = (last: string): SimChatRequest =>
      request('', {
        cache: { mode: 'automatic' },
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'first question' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'first answer' }] },
          { role: 'user', content: [{ type: 'text', text: last }] },
        ],
      });
    expect(usage(cache, turns('one'))).toEqual([expect.any(Number), 0, 0]);
    const [, read, write] = usage(cache, turns('two'));
    expect(read).toBeGreaterThan(1024);
    expect(write).toBe(0);
  });
});

describe('generateChatResult: structured output and reasoning', () => {
  it('answers JSON valid for the schema, whole', () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, population: { type: 'integer' } },
      required: ['city', 'population'],
    };
    const result = generateChatResult(
      request('q', { responseFormat: { type: 'json_schema', schema }, maxTokens: 2 }),
      1,
      'm',
    );
    const block = result.blocks[0];
    const value = JSON.parse(block?.type === 'text' ? block.text : '') as Record<string, unknown>;
    expect(typeof value.city).toBe('string');
    expect(Number.isInteger(value.population)).toBe(true);
    expect(result.stopReason).toBe('end_turn');
  });

  it('reasons first when asked, within the budget, counting the reasoning as output', () => {
    const plain = generateChatResult(request('Why is the sky blue?'), 1, 'm');
    const thinking = generateChatResult(
      request('Why is the sky blue?', { thinking: { budgetTokens: 1024 } }),
      1,
      'm',
    );
    expect(plain.reasoning).toBeUndefined();
    expect(thinking.reasoning?.text).toContain('Why is the sky blue?');
    expect(thinking.reasoning?.signature).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(thinking.outputTokens).toBe(plain.outputTokens + (thinking.reasoningTokens ?? 0));
    const tight = generateChatResult(request('Why?', { thinking: { budgetTokens: 5 } }), 1, 'm');
    expect(tight.reasoningTokens).toBeLessThanOrEqual(5);
  });
});
