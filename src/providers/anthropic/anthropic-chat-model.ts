import { readAnthropicRateLimits } from '../shared/rate-limit-headers.ts';
import { z } from 'zod';
import type { Dispatcher } from 'undici';
import type { CallContext, ChatModel } from '../../core/chat-model.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import type { ChatResponse } from '../../core/chat-response.ts';
import type { Clock } from '../../core/clock.ts';
import { systemClock } from '../../core/clock.ts';
import type { EmbeddingResponse } from '../../core/embedding.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import { JsonUpstreamClient } from '../shared/json-upstream-client.ts';
import { MalformedEvents } from '../shared/malformed-events.ts';
import { readSseMessages } from '../shared/read-sse-messages.ts';
import { parseUpstreamEndpoint } from '../shared/upstream-endpoint.ts';
import { connectionTuning, type SharedPools, type ConnectionSettings } from '../shared/upstream-pool.ts';
import { classifyAnthropicErrorResponse } from './anthropic-errors.ts';
import { toAnthropicCountTokensRequest, toAnthropicRequest } from './anthropic-request.ts';
import { anthropicMessageSchema, fromAnthropicResponse } from './anthropic-response.ts';
import { AnthropicStreamDecoder } from './anthropic-stream-decoder.ts';

const tokenCountSchema = z.object({ input_tokens: z.number().int().nonnegative() });

/** How to reach one Anthropic provider (its config entry's fields, as plain values). */
export interface AnthropicProviderSettings extends ConnectionSettings {
  /** The API root; `/v1/messages` (or `/messages` after a `/v1` root) is appended. */
  readonly base_url: string;
  /** Sent as `x-api-key` when set and not empty. */
  readonly api_key?: string | undefined;
  /** The `anthropic-version` header sent upstream. */
  readonly version: string;
}

export interface AnthropicChatModelOptions {
  /** The provider's key in the config file, used in error messages. */
  readonly providerName: string;
  /** Where and how to call the provider. */
  readonly config: AnthropicProviderSettings;
  /** The upstream model id sent as `model`. */
  readonly modelId: string;
  /** A dispatcher owned by the caller (never closed here); default: the shared pool of the base URL's origin. */
  readonly pool?: Dispatcher | undefined;
  /** Where to lease the shared pool when no `pool` is given (default: the process-wide pools). */
  readonly pools?: SharedPools | undefined;
  /** For HTTP-date Retry-After values (default: the system clock). */
  readonly clock?: Clock | undefined;
}

/** A ChatModel for the Anthropic Messages API (protocols.md §3). */
export function createAnthropicChatModel(options: AnthropicChatModelOptions): ChatModel {
  const { config, modelId } = options;
  const clock = options.clock ?? systemClock;
  const upstream = `anthropic provider "${options.providerName}"`;
  // base_url is documented without /v1 (https://api.anthropic.com); accept it with /v1 too.
  const messagesPath = parseUpstreamEndpoint(config.base_url).basePath.endsWith('/v1')
    ? '/messages'
    : '/v1/messages';
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'anthropic-version': config.version,
  };
  if (config.api_key !== undefined && config.api_key.length > 0) headers['x-api-key'] = config.api_key;
  const client = new JsonUpstreamClient({
    baseUrl: config.base_url,
    upstream,
    headers,
    // Not part of the Anthropic API; ignored there, and it lets compatible proxies and the simulator correlate.
    requestIdHeader: 'x-client-request-id',
    classifyError: (status, responseHeaders, body) =>
      classifyAnthropicErrorResponse(status, responseHeaders, body, upstream, clock.now()),
    readLimits: (responseHeaders) => readAnthropicRateLimits(responseHeaders, clock.now()),
    dispatcher: options.pool,
    pools: options.pools,
    connections: connectionTuning(config),
  });

  async function generate(request: ChatRequest, context: CallContext): Promise<ChatResponse> {
    const body = JSON.stringify(
      toAnthropicRequest(request, { modelId, stream: false, version: config.version }),
    );
    const message = await client.postJson(messagesPath, body, anthropicMessageSchema, context);
    return fromAnthropicResponse(message);
  }

  async function* stream(
    request: ChatRequest,
    context: CallContext,
  ): AsyncGenerator<ChatStreamEvent, void, undefined> {
    const body = JSON.stringify(
      toAnthropicRequest(request, { modelId, stream: true, version: config.version }),
    );
    const response = await client.post(messagesPath, body, context);
    const decoder = new AnthropicStreamDecoder(upstream, new MalformedEvents(context));
    for await (const message of readSseMessages(response.body, { signal: context.signal, upstream })) {
      // Reading on after message_stop lets the response end cleanly, so its socket goes back to the pool.
      if (decoder.done) continue;
      for (const event of decoder.decode(message.data)) yield event;
    }
    for (const event of decoder.finish()) yield event;
  }

  const countPath = `${messagesPath}/count_tokens`;
  async function countTokens(request: ChatRequest, context: CallContext): Promise<number> {
    const body = JSON.stringify(toAnthropicCountTokensRequest(request, modelId));
    const counted = await client.postJson(countPath, body, tokenCountSchema, context);
    return counted.input_tokens;
  }

  function embed(): Promise<EmbeddingResponse> {
    return Promise.reject(
      new GatewayError(`${upstream}: the Anthropic API has no embeddings`, {
        code: 'unsupported',
      }),
    );
  }

  return {
    providerType: 'anthropic',
    modelId,
    generate,
    stream,
    countTokens,
    embed,
    close: () => client.close(),
  };
}
