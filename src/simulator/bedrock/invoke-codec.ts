import { z } from 'zod';
import {
  anthropicMessage,
  anthropicRequestSchema,
  anthropicStreamEvents,
  anthropicToSim,
} from '../anthropic/anthropic-codec.ts';
import type { SimChatRequest, SimChatResult } from '../sim-chat.ts';
import { chunkText } from '../text-generator.ts';
import {
  converseMessage,
  converseRequestSchema,
  converseStreamEvents,
  converseToSim,
  converseUsage,
} from './converse-codec.ts';

/** The native body format of a Bedrock model family on InvokeModel. */
export type InvokeFamily = 'anthropic' | 'meta' | 'nova';

/** The native format of a chat model id, or undefined if InvokeModel chat is not simulated for it. */
export function invokeFamily(modelId: string): InvokeFamily | undefined {
  if (modelId.startsWith('anthropic.')) return 'anthropic';
  if (modelId.startsWith('meta.')) return 'meta';
  if (modelId.startsWith('amazon.nova')) return 'nova';
  return undefined;
}

const llamaRequestSchema = z.looseObject({
  prompt: z.string(),
  max_gen_len: z.number().int().positive().optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
});

/** Parses a native body; a zod error (thrown) becomes a ValidationException. */
export function invokeToSim(family: InvokeFamily, body: unknown): SimChatRequest {
  switch (family) {
    case 'anthropic':
      return anthropicToSim(anthropicRequestSchema.parse(body));
    case 'nova':
      return converseToSim(converseRequestSchema.parse(body));
    case 'meta': {
      const llama = llamaRequestSchema.parse(body);
      return {
        system: '',
        messages: [{ role: 'user', content: [{ type: 'text', text: llama.prompt }] }],
        tools: [],
        toolChoice: { type: 'none' },
        maxTokens: llama.max_gen_len ?? 512,
        stopSequences: [],
      };
    }
  }
}

/** The native response body of a result. */
export function invokeResponse(
  family: InvokeFamily,
  result: SimChatResult,
  requestId: string,
  modelId: string,
): Record<string, unknown> {
  switch (family) {
    case 'anthropic':
      return anthropicMessage(result, `msg_bdrk_${requestId.replaceAll('-', '').slice(0, 24)}`, modelId);
    case 'nova':
      return {
        output: { message: converseMessage(result) },
        stopReason: result.stopReason,
        usage: converseUsage(result),
      };
    case 'meta':
      return {
        generation: result.blocks.map((block) => (block.type === 'text' ? block.text : '')).join(''),
        prompt_token_count: result.inputTokens,
        generation_token_count: result.outputTokens,
        stop_reason: result.stopReason === 'max_tokens' ? 'length' : 'stop',
      };
  }
}

/** One native stream chunk (the JSON inside a `chunk` frame's `bytes`) and the tokens it carries. */
export interface InvokeChunk {
  readonly json: Record<string, unknown>;
  readonly tokens: number;
}

/** The native stream chunks of a result; the last carries `amazon-bedrock-invocationMetrics`. */
export function invokeStreamChunks(
  family: InvokeFamily,
  result: SimChatResult,
  requestId: string,
  modelId: string,
  firstByteLatency: number,
  latencyMs: number,
): InvokeChunk[] {
  const metrics = {
    inputTokenCount: result.inputTokens,
    outputTokenCount: result.outputTokens,
    invocationLatency: latencyMs,
    firstByteLatency,
  };
  const chunks: InvokeChunk[] = [];
  switch (family) {
    case 'anthropic':
      for (const event of anthropicStreamEvents(
        result,
        `msg_bdrk_${requestId.replaceAll('-', '').slice(0, 24)}`,
        modelId,
      )) {
        if (event.type !== 'ping') chunks.push({ json: event.data, tokens: event.tokens });
      }
      break;
    case 'nova':
      for (const event of converseStreamEvents(result, latencyMs))
        chunks.push({ json: { [event.type]: event.payload }, tokens: event.tokens });
      break;
    case 'meta': {
      let generated = 0;
      const text = result.blocks.map((block) => (block.type === 'text' ? block.text : '')).join('');
      for (const chunk of chunkText(text)) {
        generated += chunk.tokens;
        chunks.push({
          json: {
            generation: chunk.text,
            prompt_token_count: generated === chunk.tokens ? result.inputTokens : null,
            generation_token_count: generated,
            stop_reason: null,
          },
          tokens: chunk.tokens,
        });
      }
      chunks.push({
        json: {
          generation: '',
          prompt_token_count: null,
          generation_token_count: result.outputTokens,
          stop_reason: result.stopReason === 'max_tokens' ? 'length' : 'stop',
        },
        tokens: 0,
      });
      break;
    }
  }
  const last = chunks.at(-1);
  if (last !== undefined)
    chunks[chunks.length - 1] = {
      json: { ...last.json, 'amazon-bedrock-invocationMetrics': metrics },
      tokens: last.tokens,
    };
  return chunks;
}

/** Titan Text Embeddings V2 body. */
export const titanEmbedRequestSchema = z.looseObject({
  inputText: z.string().min(1),
  dimensions: z.union([z.literal(256), z.literal(512), z.literal(1024)]).optional(),
  normalize: z.boolean().optional(),
});
