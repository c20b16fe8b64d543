import type { CallContext } from '../core/chat-model.ts';
import type { ChatRequest } from '../core/chat-request.ts';
import type { ChatResponse } from '../core/chat-response.ts';
import type { EmbeddingRequest, EmbeddingResponse } from '../core/embedding.ts';
import type { EventSink } from '../core/gateway-events.ts';
import type { ChatStreamEvent } from '../core/stream-event.ts';
import { streamInterrupted } from '../errors/upstream-errors.ts';
import type { AttemptScope } from '../policies/attempt-scope.ts';
import type { RequestContext } from './gateway.ts';
import type { DeploymentRoute, GroupSettings } from '../routing/routing-table.ts';

/**
 * One upstream call on a deployment, bounded by the scope: its signal goes to the adapter, and the
 * call uses `scope.race` and starts the first-token timer. Resolves with the answer (or an opened
 * stream); the first-token timer is cleared when it resolves (a stream's call may clear it earlier).
 */
export type AttemptCall<T> = (
  deployment: DeploymentRoute,
  scope: AttemptScope,
  settings: GroupSettings,
) => Promise<T>;

function callContext(context: RequestContext, scope: AttemptScope): CallContext {
  return {
    signal: scope.signal,
    requestId: context.requestId,
    traceparent: context.traceparent,
    onUpstreamLimits: scope.onUpstreamLimits,
  };
}

/**
 * A complete answer; the first-token timeout bounds the whole `generate` (its answer's start).
 * Not an async function: the attempt-timeouts policy clears the first-token timer once the answer is in.
 */
export function generateCall(request: ChatRequest, context: RequestContext): AttemptCall<ChatResponse> {
  return (deployment, scope, settings) => {
    scope.startFirstToken(settings.firstTokenTimeoutMs);
    return scope.race(deployment.model.generate(request, callContext(context, scope)));
  };
}

/** Embeddings, bounded like a complete answer. */
export function embedCall(
  request: EmbeddingRequest,
  context: RequestContext,
): AttemptCall<EmbeddingResponse> {
  return (deployment, scope, settings) => {
    scope.startFirstToken(settings.firstTokenTimeoutMs);
    return scope.race(deployment.model.embed(request, callContext(context, scope)));
  };
}

/** A stream that has produced its first content (or its end): from here on it is committed. */
export interface OpenedStream {
  readonly iterator: AsyncIterator<ChatStreamEvent>;
  /** Events received before the commit, to relay first. */
  readonly buffered: readonly ChatStreamEvent[];
  /** Epoch ms of the commit. */
  readonly committedAt: number;
}

/**
 * Whether an event commits the stream: content or the end. A `message_start` alone does not, so a
 * stream cut right after it can still fail over.
 */
function commits(event: ChatStreamEvent): boolean {
  return event.type !== 'message_start';
}

/** Closes an abandoned upstream iterator without waiting (its errors no longer matter). */
export function abandon(iterator: AsyncIterator<ChatStreamEvent>): void {
  const closing = iterator.return?.();
  if (closing !== undefined) {
    closing.catch(() => {
      // The upstream was being abandoned anyway.
    });
  }
}

/** A stream's call context: the group's malformed-event limit, each skipped event reported. */
function streamContext(
  context: RequestContext,
  scope: AttemptScope,
  deployment: DeploymentRoute,
  settings: GroupSettings,
  events: EventSink,
): CallContext {
  const { requestId } = context;
  return {
    signal: scope.signal,
    requestId,
    traceparent: context.traceparent,
    malformedEventLimit: settings.malformedEventLimit,
    onUpstreamLimits: scope.onUpstreamLimits,
    onMalformedEvent: () => {
      events.emit({ type: 'stream-event-skipped', requestId, target: deployment.target });
    },
  };
}

/**
 * Opens a stream and reads until it commits, under the first-token timeout; then starts the idle
 * watch for the rest. Failures before the commit go through retry and failover like any other.
 */
export function streamCall(
  request: ChatRequest | ((deployment: DeploymentRoute) => ChatRequest),
  context: RequestContext,
  now: () => number,
  events: EventSink,
): AttemptCall<OpenedStream> {
  return async (deployment, scope, settings) => {
    scope.startFirstToken(settings.firstTokenTimeoutMs);
    const body = typeof request === 'function' ? request(deployment) : request;
    const upstream = streamContext(context, scope, deployment, settings, events);
    const iterator = deployment.model.stream(body, upstream)[Symbol.asyncIterator]();
    const buffered: ChatStreamEvent[] = [];
    try {
      for (;;) {
        const step = await scope.race(iterator.next());
        // message_stop commits, so an end seen here came before any content or stop.
        if (step.done) throw streamInterrupted('the upstream stream ended before any content');
        buffered.push(step.value);
        if (commits(step.value)) break;
      }
    } catch (error) {
      abandon(iterator);
      throw error;
    }
    scope.clearFirstToken();
    scope.startIdleWatch(settings.streamIdleTimeoutMs);
    return { iterator, buffered, committedAt: now() };
  };
}
