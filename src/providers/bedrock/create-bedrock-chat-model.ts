import type { CallContext, ChatModel } from '../../core/chat-model.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import type { ChatResponse } from '../../core/chat-response.ts';
import { systemClock, type Clock } from '../../core/clock.ts';
import type { EmbeddingRequest, EmbeddingResponse } from '../../core/embedding.ts';
import { createId } from '../../core/ids.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { badResponse } from '../../errors/upstream-errors.ts';
import { abortedError, classifyTransportError } from '../shared/transport-errors.ts';
import { resolveBedrockAuth, type BedrockProviderSettings } from './bedrock-credentials.ts';
import { BedrockTransport } from './bedrock-transport.ts';
import { ConverseStreamMapper } from './converse-stream-mapper.ts';
import { EventStreamFramer } from './event-stream-framer.ts';
import { fromConverseResponse } from './from-converse-response.ts';
import { embedWithTitan } from './titan-embeddings.ts';
import { toConverseRequest } from './to-converse-request.ts';
import { answerToolOf, countsTokens } from './converse-features.ts';
import { readJsonBody } from '../shared/read-json-body.ts';
import { MalformedEvents } from '../shared/malformed-events.ts';
import { z } from 'zod';
import { connectionTuning } from '../shared/upstream-pool.ts';

const anything = z.unknown();
const countTokensSchema = z.object({ inputTokens: z.number().int().nonnegative() });

export interface BedrockChatModelOptions {
  /** The provider's name in the config (identifies the adapter in diagnostics). */
  readonly providerName: string;
  /** Where and how to call the provider. */
  readonly config: BedrockProviderSettings;
  /** Foundation model id, inference profile id (`us.`, `eu.`, `global.`, ...) or profile ARN; sent as is. */
  readonly modelId: string;
  /** Converse `serviceTier` to call with (priority, default, flex); omitted: the model's default. */
  readonly serviceTier?: 'priority' | 'default' | 'flex' | undefined;
  /** Signing time and credential expiry; default the system clock. */
  readonly clock?: Clock | undefined;
}

const eventStreamType = 'application/vnd.amazon.eventstream';

/** A ChatModel over Bedrock Runtime Converse / ConverseStream (and InvokeModel for Titan embeddings). */
export function createBedrockChatModel(options: BedrockChatModelOptions): ChatModel {
  const clock = options.clock ?? systemClock;
  const { modelId } = options;
  const transport = new BedrockTransport({
    region: options.config.region,
    endpoint: options.config.endpoint,
    auth: resolveBedrockAuth(options.config, clock),
    clock,
    connections: connectionTuning(options.config),
  });

  const tier = options.serviceTier === undefined ? undefined : { type: options.serviceTier };
  /** The Converse body of a generation: the request's form plus the deployment's service tier. */
  const converseBody = (request: ChatRequest): string => {
    const converse = toConverseRequest(request, modelId);
    return JSON.stringify(tier === undefined ? converse : { ...converse, serviceTier: tier });
  };

  async function generate(request: ChatRequest, context: CallContext): Promise<ChatResponse> {
    const body = converseBody(request);
    const response = await transport.post(modelId, 'converse', body, context.signal, 'application/json');
    // Bounded read (maxUpstreamBodyBytes); the shape is checked by fromConverseResponse.
    const json = await readJsonBody(response.body, anything, { signal: context.signal, upstream: 'bedrock' });
    const answerTool = answerToolOf(request.responseFormat)?.name;
    return fromConverseResponse(json, response.requestId ?? createId('bedrock-'), modelId, answerTool);
  }

  async function* stream(request: ChatRequest, context: CallContext): AsyncGenerator<ChatStreamEvent> {
    const { signal } = context;
    const body = converseBody(request);
    const response = await transport.post(modelId, 'converse-stream', body, signal, eventStreamType);
    const malformed = new MalformedEvents(context);
    const framer = new EventStreamFramer(malformed);
    const mapper = new ConverseStreamMapper(
      response.requestId ?? createId('bedrock-'),
      modelId,
      malformed,
      () => Math.ceil(body.length / 4),
      answerToolOf(request.responseFormat)?.name,
    );
    try {
      const contentType = response.headers['content-type'];
      if (typeof contentType !== 'string' || !contentType.startsWith(eventStreamType)) {
        throw badResponse(`bedrock: ConverseStream answered with content-type ${String(contentType)}`);
      }
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        for (const message of framer.push(chunk)) {
          for (const event of mapper.map(message)) {
            // Frames already received are not delivered once the caller has given up.
            if (signal.aborted) throw abortedError(signal);
            yield event;
          }
        }
      }
    } catch (error) {
      throw classifyTransportError(error, signal, 'stream', 'bedrock');
    } finally {
      // Reached on completion, failure, abort and when the consumer breaks out: free the socket.
      // A body never iterated (wrong content type) has no error listener, and undici's destroy of
      // an unfinished body emits RequestAbortedError: unheard, that kills the process.
      if (!response.body.destroyed) response.body.on('error', ignoreError).destroy();
    }
    framer.end();
    for (const event of mapper.finish()) yield event;
  }

  /** Bedrock CountTokens over the Converse form of the request: what the model would bill as input. */
  async function countTokens(request: ChatRequest, context: CallContext): Promise<number> {
    const converse = toConverseRequest({ ...request, stream: false }, modelId);
    const input = {
      messages: converse.messages,
      ...(converse.system === undefined ? {} : { system: converse.system }),
      ...(converse.toolConfig === undefined ? {} : { toolConfig: converse.toolConfig }),
      ...(converse.additionalModelRequestFields === undefined
        ? {}
        : { additionalModelRequestFields: converse.additionalModelRequestFields }),
    };
    const body = JSON.stringify({ input: { converse: input } });
    const response = await transport.post(modelId, 'count-tokens', body, context.signal, 'application/json');
    const counted = await readJsonBody(response.body, countTokensSchema, {
      signal: context.signal,
      upstream: 'bedrock',
    });
    return counted.inputTokens;
  }

  return {
    providerType: 'bedrock',
    modelId,
    generate,
    stream,
    // CountTokens refuses other model families: the gateway estimates for them instead.
    ...(countsTokens(modelId) ? { countTokens } : {}),
    embed: (request: EmbeddingRequest, context: CallContext): Promise<EmbeddingResponse> =>
      embedWithTitan(transport, modelId, request, context),
    close: () => transport.close(),
  };
}

function ignoreError(): void {
  // The body is being discarded; its abort error carries no news.
}
