import { describe, expect, it } from 'vitest';
import type { SimChatRequest } from './sim-chat.ts';
import { chunkText, generateChatResult, generateEmbedding } from './text-generator.ts';
import { generateWithPrefill } from './prefill.ts';

const request = (overrides: Partial<SimChatRequest> = {}): SimChatRequest => ({
  system: '',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
  tools: [],
  toolChoice: { type: 'auto' },
  maxTokens: undefined,
  stopSequences: [],
  ...overrides,
});

describe('generateChatResult', () => {
  it('is deterministic per seed and differs across seeds', () => {
    expect(generateChatResult(request(), 1, 'm')).toEqual(generateChatResult(request(), 1, 'm'));
    expect(generateChatResult(request(), 1, 'm')).not.toEqual(generateChatResult(request(), 2, 'm'));
  });

  it('counts one token per generated word and honours max tokens', () => {
    const result = generateChatResult(request({ maxTokens: 4 }), 1, 'm');
    expect(result.stopReason).toBe('max_tokens');
    expect(result.outputTokens).toBe(4);
    const block = result.blocks[0];
    expect(block?.type === 'text' ? block.text.split(' ') : []).toHaveLength(4);
  });

  it('keeps brief answers to one sentence and streams chunks that rebuild the text', () => {
    const result = generateChatResult(request({ system: 'Be brief.' }), 1, 'm');
    const text = result.blocks[0]?.type === 'text' ? result.blocks[0].text : '';
    expect(text.match(/\./g)).toHaveLength(1);
    const chunks = chunkText(text);
    expect(chunks.map((chunk) => chunk.text).join('')).toBe(text);
    expect(chunks.reduce((sum, chunk) => sum + chunk.tokens, 0)).toBe(result.outputTokens);
  });

  it('calls the chosen tool unless tool choice is none or the last turn is a tool result', () => {
    const tools = [
      { name: 'a', description: '', schema: { type: 'object', properties: { n: { type: 'integer' } } } },
      { name: 'b', description: '', schema: { type: 'object' } },
    ];
    expect(generateChatResult(request({ tools }), 1, 'm').blocks[0]).toMatchObject({
      type: 'tool_use',
      name: 'a',
    });
    expect(
      generateChatResult(request({ tools, toolChoice: { type: 'tool', name: 'b' } }), 1, 'm').blocks[0],
    ).toMatchObject({ name: 'b' });
    expect(generateChatResult(request({ tools, toolChoice: { type: 'none' } }), 1, 'm').stopReason).toBe(
      'end_turn',
    );
    const afterResult = request({
      tools,
      messages: [{ role: 'user', content: [{ type: 'tool_result', toolUseId: 't', text: 'ok' }] }],
    });
    expect(generateChatResult(afterResult, 1, 'm').stopReason).toBe('end_turn');
  });

  it('makes unit-length embeddings', () => {
    const vector = generateEmbedding('x', 64, 1);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    expect(generateEmbedding('x', 64, 1)).toEqual(vector);
    expect(Math.hypot(...generateEmbedding('?!', 64, 1))).toBeCloseTo(1, 5);
  });

  it('makes near-duplicate texts close and unrelated texts far (a hashed bag of words)', () => {
    const cosine = (a: string, b: string): number => {
      const [x, y] = [generateEmbedding(a, 1536, 7), generateEmbedding(b, 1536, 7)];
      return x.reduce((sum, value, index) => sum + value * (y[index] ?? 0), 0);
    };
    const question = 'What is the capital city of France and how many people live there today';
    expect(cosine(question, question.toUpperCase() + '?')).toBeCloseTo(1, 5);
    const oneWord = cosine(question, question.replace('today', 'now'));
    expect(oneWord).toBeGreaterThan(0.9);
    expect(oneWord).toBeLessThan(0.99);
    expect(Math.abs(cosine(question, 'Write a haiku about autumn leaves falling on a pond'))).toBeLessThan(
      0.3,
    );
  });
});

describe('generateWithPrefill (Anthropic and Bedrock prefill)', () => {
  const conversation = request();
  const whole = generateChatResult(conversation, 1, 'm');
  const answer = whole.blocks[0]?.type === 'text' ? whole.blocks[0].text : '';
  const withPrefill = (text: string, extra: Partial<SimChatRequest> = {}): SimChatRequest => ({
    ...conversation,
    ...extra,
    messages: [...conversation.messages, { role: 'assistant', content: [{ type: 'text', text }] }],
  });

  it('continues the answer from the end of its own prefill', () => {
    const prefill = answer.split(' ').slice(0, 4).join(' ');
    const result = generateWithPrefill(withPrefill(prefill), 1, 'm');
    const rest = result.blocks[0]?.type === 'text' ? result.blocks[0].text : '';
    expect(prefill + rest).toBe(answer);
    expect(result.stopReason).toBe('end_turn');
  });

  it('caps the continuation at max tokens', () => {
    const prefill = answer.split(' ').slice(0, 2).join(' ');
    const result = generateWithPrefill(withPrefill(prefill, { maxTokens: 3 }), 1, 'm');
    expect(result).toMatchObject({ stopReason: 'max_tokens', outputTokens: 3 });
  });

  it('answers as usual after a prefill it did not write, or without one', () => {
    expect(generateWithPrefill(conversation, 1, 'm')).toEqual(whole);
    expect(generateWithPrefill(withPrefill('Something else entirely'), 1, 'm').blocks[0]).not.toEqual(
      whole.blocks[0],
    );
  });
});
