import { z } from 'zod';
import type { EmbeddingRequest, EmbeddingResponse } from '../../core/embedding.ts';
import { badResponse } from '../../errors/upstream-errors.ts';

/** The `/embeddings` request body; floats are asked for so no decoding is needed on the hot path. */
export function toOpenAIEmbeddingRequest(
  request: EmbeddingRequest,
  modelId: string,
): Record<string, unknown> {
  const wire: Record<string, unknown> = { model: modelId, input: request.input, encoding_format: 'float' };
  if (request.dimensions !== undefined) wire['dimensions'] = request.dimensions;
  if (request.user !== undefined) wire['user'] = request.user;
  return wire;
}

export const openAIEmbeddingResponseSchema = z.object({
  data: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  model: z.string().nullish(),
  usage: z.object({ prompt_tokens: z.number() }).nullish(),
});

/** Decodes a base64 embedding: little-endian float32s (what the OpenAI API sends for `encoding_format: base64`). */
export function decodeBase64Embedding(encoded: string): number[] {
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length % 4 !== 0) throw badResponse('base64 embedding is not a whole number of float32 values');
  const vector = new Array<number>(bytes.length / 4);
  for (let offset = 0; offset < bytes.length; offset += 4) vector[offset / 4] = bytes.readFloatLE(offset);
  return vector;
}

/** The `/embeddings` response → canonical, vectors in input order (the wire `index` says which). */
export function fromOpenAIEmbeddingResponse(
  response: z.infer<typeof openAIEmbeddingResponseSchema>,
  request: EmbeddingRequest,
  modelId: string,
): EmbeddingResponse {
  const embeddings = new Array<number[]>(request.input.length);
  for (const item of response.data) {
    if (item.index >= embeddings.length) throw badResponse(`embedding index ${item.index} is out of range`);
    embeddings[item.index] =
      typeof item.embedding === 'string' ? decodeBase64Embedding(item.embedding) : item.embedding;
  }
  for (let index = 0; index < embeddings.length; index += 1) {
    if (embeddings[index] === undefined) throw badResponse(`embedding ${index} is missing from the response`);
  }
  return {
    model: response.model ?? modelId,
    embeddings,
    inputTokens: response.usage?.prompt_tokens ?? 0,
  };
}
