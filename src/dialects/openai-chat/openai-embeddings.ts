import { z } from 'zod';
import type { EmbeddingResponse } from '../../core/embedding.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { EmbeddingsCodec, ParsedEmbeddings } from '../dialect.ts';
import { checkArrayBound, requestBounds } from '../request-bounds.ts';
import { validationError } from '../validation-error.ts';

const embeddingsBody = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.unknown()).min(1)]),
  dimensions: z.number().int().positive().nullish(),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  user: z.string().nullish(),
});

/** Parses an OpenAI embeddings body; token-id inputs are refused (the gateway routes text). */
export function parseOpenaiEmbeddings(body: unknown): ParsedEmbeddings {
  if (typeof body === 'object' && body !== null && 'input' in body) {
    checkArrayBound(body.input, requestBounds.maxEmbeddingInputs, 'input', 'inputs');
  }
  const parsed = embeddingsBody.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error);
  const { model, input, dimensions, encoding_format: encodingFormat, user } = parsed.data;
  let texts: string[];
  if (typeof input === 'string') {
    texts = [input];
  } else {
    texts = [];
    for (const [index, item] of input.entries()) {
      if (typeof item !== 'string') {
        const param = `input[${index}]`;
        throw new GatewayError(`${param}: only text input is supported, not token arrays`, {
          code: 'unsupported',
          param,
        });
      }
      texts.push(item);
    }
  }
  return {
    request: { model, input: texts, dimensions: dimensions ?? undefined, user: user ?? undefined },
    encodingFormat: encodingFormat ?? 'float',
  };
}

/** A vector as base64 of its little-endian float32 bytes. */
export function encodeFloat32Base64(vector: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let index = 0; index < vector.length; index++) bytes.writeFloatLE(vector[index] ?? 0, index * 4);
  return bytes.toString('base64');
}

/** The embeddings `list` JSON text; `model` is the requested group. */
export function renderOpenaiEmbeddings(
  response: EmbeddingResponse,
  model: string,
  encodingFormat: 'float' | 'base64',
): string {
  return JSON.stringify({
    object: 'list',
    data: response.embeddings.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: encodingFormat === 'base64' ? encodeFloat32Base64(vector) : vector,
    })),
    model,
    usage: { prompt_tokens: response.inputTokens, total_tokens: response.inputTokens },
  });
}

/** POST /v1/embeddings (base64 is the openai SDK's default encoding). */
export const openaiEmbeddings: EmbeddingsCodec = {
  parse: parseOpenaiEmbeddings,
  render: (response, parsed) => renderOpenaiEmbeddings(response, parsed.request.model, parsed.encodingFormat),
};
