import { describe, expect, it } from 'vitest';
import { encodeFloat32Base64, parseOpenaiEmbeddings, renderOpenaiEmbeddings } from './openai-embeddings.ts';

describe('OpenAI embeddings', () => {
  it('parses string and string-array input, dimensions and the encoding format', () => {
    expect(parseOpenaiEmbeddings({ model: 'e', input: 'one' })).toEqual({
      request: { model: 'e', input: ['one'], dimensions: undefined, user: undefined },
      encodingFormat: 'float',
    });
    expect(
      parseOpenaiEmbeddings({
        model: 'e',
        input: ['a', 'b'],
        dimensions: 256,
        encoding_format: 'base64',
        user: 'u',
      }),
    ).toEqual({
      request: { model: 'e', input: ['a', 'b'], dimensions: 256, user: 'u' },
      encodingFormat: 'base64',
    });
  });

  it('refuses more than 2048 inputs with a 400 naming input (each Titan input is one upstream call)', () => {
    const texts = (n: number): string[] => Array.from({ length: n }, () => 'x');
    expect(parseOpenaiEmbeddings({ model: 'e', input: texts(2048) }).request.input).toHaveLength(2048);
    expect(() => parseOpenaiEmbeddings({ model: 'e', input: texts(2049) })).toThrow(
      expect.objectContaining({
        status: 400,
        param: 'input',
        message: 'input: at most 2048 inputs are accepted (got 2049)',
      }),
    );
  });

  it('refuses token arrays and bad formats', () => {
    expect(() => parseOpenaiEmbeddings({ model: 'e', input: [1, 2] })).toThrow(/input\[0\]: only text input/);
    expect(() => parseOpenaiEmbeddings({ model: 'e', input: 'x', encoding_format: 'int8' })).toThrow(
      /encoding_format/,
    );
    expect(() => parseOpenaiEmbeddings({ model: 'e', input: [] })).toThrow(/input/);
  });

  it('encodes base64 as little-endian float32, as the openai SDK decodes it', () => {
    const vector = [1.5, -2, 0.25];
    const bytes = Buffer.from(encodeFloat32Base64(vector), 'base64');
    expect(bytes).toHaveLength(12);
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4), bytes.readFloatLE(8)]).toEqual(vector);
    const rendered = JSON.parse(
      renderOpenaiEmbeddings({ model: 'up', embeddings: [vector], inputTokens: 4 }, 'group', 'base64'),
    );
    expect(rendered).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: encodeFloat32Base64(vector) }],
      model: 'group',
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
  });
});
