import { describe, expect, it } from 'vitest';
import type { SimChatRequest } from './sim-chat.ts';
import { chunkText, generateChatResult, generateEmbedding } from './text-generator.ts';

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
  });
});
