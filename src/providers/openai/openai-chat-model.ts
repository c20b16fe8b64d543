import { readOpenaiRateLimits } from '../shared/rate-limit-headers.ts';
import type { Dispatcher } from 'undici';
import type { CallContext, ChatModel } from '../../core/chat-model.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import type { ChatResponse } from '../../core/chat-response.ts';
import type { Clock } from '../../core/clock.ts';
import { systemClock } from '../../core/clock.ts';
import type { EmbeddingRequest, EmbeddingResponse } from '../../core/embedding.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { JsonUpstreamClient } from '../shared/json-upstream-client.ts';
import { MalformedEvents } from '../shared/malformed-events.ts';
import { readSseMessages } from '../shared/read-sse-messages.ts';
import { connectionTuning, type SharedPools, type ConnectionSettings } from '../shared/upstream-pool.ts';
import { openAIEndpoint, type OpenAIEndpointSettings } from './openai-endpoint.ts';
import { classifyOpenAIErrorResponse } from './openai-errors.ts';
import {
  fromOpenAIEmbeddingResponse,
  openAIEmbeddingResponseSchema,
  toOpenAIEmbeddingRequest,
} from './openai-embeddings.ts';
import { toOpenAIRequest, type MaxTokensField } from './openai-request.ts';
import { fromOpenAIResponse, isOpenAIChatResponse, openAIChatResponseSchema } from './openai-response.ts';
import { OpenAIStreamDecoder } from './openai-stream-decoder.ts';

/** How to reach one OpenAI-compatible provider (its config entry's fields, as plain values). */
export interface OpenAIProviderSettings extends OpenAIEndpointSettings, ConnectionSettings {
  /** Field of the output token limit sent upstream (default max_tokens). */
  readonly max_tokens_field?: MaxTokensField | undefined;
}

export interface OpenAIChatModelOptions {
  /** The provider's key in the config file, used in error messages. */
  readonly providerName: string;
  /** Where and how to call the provider. */
  readonly config: OpenAIProviderSettings;
  /** The upstream model id sent as `model`. */
  readonly modelId: string;
  /** A dispatcher owned by the caller (never closed here); default: the shared pool of the base URL's origin. */
  readonly pool?: Dispatcher | undefined;
  /** Where to lease the shared pool when no `pool` is given (default: the process-wide pools). */
  readonly pools?: SharedPools | undefined;
  /**
   * Field of the output token limit. Default `max_tokens`, which OpenAI still accepts for chat
   * models and every OpenAI-compatible server knows; `max_completion_tokens` for OpenAI reasoning models.
   */
  readonly maxTokensField?: MaxTokensField | undefined;
  /** For HTTP-date Retry-After values (default: the system clock). */
  readonly clock?: Clock | undefined;
}

/** A ChatModel for the OpenAI Chat Completions API and OpenAI-compatible servers (protocols.md §2). */
export function createOpenAIChatModel(options: OpenAIChatModelOptions): ChatModel {
  const { config, modelId } = options;
  const clock = options.clock ?? systemClock;
  const upstream = `openai provider "${options.providerName}"`;
  const maxTokensField = options.maxTokensField ?? config.max_tokens_field ?? 'max_tokens';
  const { baseUrl, headers } = openAIEndpoint(config, modelId);
  const client = new JsonUpstreamClient({
    baseUrl,
    upstream,
    headers,
    // OpenAI's documented header for a caller-supplied request id; other servers ignore it.
    requestIdHeader: 'x-client-request-id',
    classifyError: (status, responseHeaders, body) =>
      classifyOpenAIErrorResponse(status, responseHeaders, body, upstream, clock.now()),
    readLimits: readOpenaiRateLimits,
    dispatcher: options.pool,
    pools: options.pools,
    connections: connectionTuning(config),
  });

  async function generate(request: ChatRequest, context: CallContext): Promise<ChatResponse> {
    const body = JSON.stringify(toOpenAIRequest(request, { modelId, stream: false, maxTokensField }));
    const wire = await client.postJson(
      '/chat/completions',
      body,
      openAIChatResponseSchema,
      context,
      isOpenAIChatResponse,
    );
    return fromOpenAIResponse(wire, modelId);
  }

  async function* stream(
    request: ChatRequest,
    context: CallContext,
  ): AsyncGenerator<ChatStreamEvent, void, undefined> {
    const body = JSON.stringify(toOpenAIRequest(request, { modelId, stream: true, maxTokensField }));
    const response = await client.post('/chat/completions', body, context);
    const decoder = new OpenAIStreamDecoder(
      modelId,
      upstream,
      () => Math.ceil(body.length / 4),
      new MalformedEvents(context),
    );
    for await (const message of readSseMessages(response.body, { signal: context.signal, upstream })) {
      // Reading on after [DONE] lets the response end cleanly, so its socket goes back to the pool.
      if (decoder.done) continue;
      for (const event of decoder.decode(message.data)) yield event;
    }
    for (const event of decoder.finish()) yield event;
  }

  async function embed(request: EmbeddingRequest, context: CallContext): Promise<EmbeddingResponse> {
    const body = JSON.stringify(toOpenAIEmbeddingRequest(request, modelId));
    const wire = await client.postJson('/embeddings', body, openAIEmbeddingResponseSchema, context);
    return fromOpenAIEmbeddingResponse(wire, request, modelId);
  }

  return {
    providerType: 'openai',
    modelId,
    generate,
    stream,
    embed,
    close: () => client.close(),
  };
}
