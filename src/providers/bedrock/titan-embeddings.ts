import { z } from 'zod';
import type { CallContext } from '../../core/chat-model.ts';
import type { EmbeddingRequest, EmbeddingResponse } from '../../core/embedding.ts';
import { GatewayError, invalidRequest } from '../../errors/gateway-error.ts';
import { badResponse } from '../../errors/upstream-errors.ts';
import { classifyTransportError } from '../shared/transport-errors.ts';
import type { BedrockTransport } from './bedrock-transport.ts';

/**
 * Embeddings through InvokeModel for Amazon Titan text embeddings (one call per input: the model
 * takes a single `inputText`). Other model families are reported as `unsupported`.
 */

const titanResponseSchema = z.object({
  embedding: z.array(z.number()),
  inputTextTokenCount: z.number().int().nonnegative(),
});

/** True for the Titan text embedding models (v1, v2), also behind a profile prefix or an ARN. */
export function isTitanTextEmbeddingModel(modelId: string): boolean {
  return modelId.includes('amazon.titan-embed-text-');
}

/** Embeds every input (calls run concurrently; the first failure cancels the rest). */
export async function embedWithTitan(
  transport: BedrockTransport,
  modelId: string,
  request: EmbeddingRequest,
  context: CallContext,
): Promise<EmbeddingResponse> {
  if (!isTitanTextEmbeddingModel(modelId)) {
    throw new GatewayError(`bedrock: embeddings are not supported for model ${modelId}`, {
      code: 'unsupported',
      // Another deployment of the group may be an embedding model.
    });
  }
  const supportsDimensions = !modelId.includes('amazon.titan-embed-text-v1');
  if (request.dimensions !== undefined && !supportsDimensions) {
    throw invalidRequest(`model ${modelId} does not accept dimensions`, 'dimensions');
  }
  const group = new AbortController();
  const signal = AbortSignal.any([context.signal, group.signal]);
  try {
    const results = await Promise.all(
      request.input.map((inputText) => embedOne(transport, modelId, inputText, request.dimensions, signal)),
    );
    return {
      model: modelId,
      embeddings: results.map((result) => result.embedding),
      inputTokens: results.reduce((sum, result) => sum + result.inputTextTokenCount, 0),
    };
  } catch (error) {
    group.abort(error);
    throw error;
  }
}

async function embedOne(
  transport: BedrockTransport,
  modelId: string,
  inputText: string,
  dimensions: number | undefined,
  signal: AbortSignal,
): Promise<z.infer<typeof titanResponseSchema>> {
  const body = JSON.stringify(dimensions === undefined ? { inputText } : { inputText, dimensions });
  const response = await transport.post(modelId, 'invoke', body, signal, 'application/json');
  let json: unknown;
  try {
    json = await response.body.json();
  } catch (error) {
    if (error instanceof SyntaxError) throw badResponse('bedrock: InvokeModel response is not JSON', error);
    throw classifyTransportError(error, signal, 'body', 'bedrock');
  }
  const parsed = titanResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw badResponse(`bedrock: unexpected Titan embedding response: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
