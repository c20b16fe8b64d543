import type { ChatStreamEvent } from '../core/stream-event.ts';
import type { Usage } from '../core/usage.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import { streamInterrupted } from '../errors/upstream-errors.ts';
import { clientClosed } from '../errors/gateway-error.ts';
import type { AttemptScope } from '../policies/attempt-scope.ts';
import { abandon, type OpenedStream } from './attempt-calls.ts';
import { StreamEventGuard } from './stream-event-guard.ts';
import { StreamUsageCounter } from './stream-usage.ts';

/** How a committed stream ended. */
export interface StreamEnd {
  /** The upstream's final usage report (undefined when the stream ended before it). */
  readonly usage: Usage | undefined;
  /** What reached the consumer: `delivered.usage(prompt)` is the usage to account however it ended. */
  readonly delivered: StreamUsageCounter;
  /** The failure after the commit (rendered in-band), or client_closed when the consumer stopped. */
  readonly error: GatewayError | undefined;
  /** The text the stream carried (for the audit log, when bodies are logged). */
  readonly text: string;
}

/**
 * The events of a committed stream: the buffered ones, then the rest pulled from the upstream
 * under the attempt's idle watch and deadline. Failures are thrown as GatewayErrors. When the
 * consumer stops early the upstream is aborted. `onEnd` runs exactly once, however it ends.
 * A `message_start` without usage (every upstream but Anthropic) gets `promptEstimate` as its input
 * count, marked estimated, so a client reading input tokens at the start (Anthropic's SDK, LangChain)
 * reads a count, not 0; the final `usage` event corrects it.
 */
export function relayStream(
  opened: OpenedStream,
  scope: AttemptScope,
  collectText: boolean,
  promptEstimate: number,
  onEnd: (end: StreamEnd) => void,
): AsyncIterableIterator<ChatStreamEvent> {
  return closedUnstarted(relayEvents(opened, scope, collectText, promptEstimate, onEnd), () => {
    const error = clientClosed();
    scope.abort(error);
    abandon(opened.iterator);
    onEnd({ usage: undefined, delivered: new StreamUsageCounter(), error, text: '' });
  });
}

/**
 * `inner`, with `onUnstarted` run when it is closed before its first `next`: a generator closed
 * then never runs its body (nor its `finally`), so whatever the body would account is done there.
 */
export function closedUnstarted(
  inner: AsyncGenerator<ChatStreamEvent, void, undefined>,
  onUnstarted: () => void | Promise<void>,
): AsyncIterableIterator<ChatStreamEvent> {
  let started = false;
  const iterator: AsyncIterableIterator<ChatStreamEvent> = {
    next: () => {
      started = true;
      return inner.next();
    },
    return: async () => {
      if (!started) {
        started = true;
        await onUnstarted();
      }
      await inner.return(undefined);
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

async function* relayEvents(
  opened: OpenedStream,
  scope: AttemptScope,
  collectText: boolean,
  promptEstimate: number,
  onEnd: (end: StreamEnd) => void,
): AsyncGenerator<ChatStreamEvent, void, undefined> {
  const seen: { stopped: boolean; text: string } = { stopped: false, text: '' };
  const delivered = new StreamUsageCounter();
  let error: GatewayError | undefined;
  let completed = false;
  const observe = (event: ChatStreamEvent): ChatStreamEvent => {
    if (event.type === 'message_start' && event.usage === undefined) {
      event = { ...event, usage: { inputTokens: promptEstimate, outputTokens: 0, estimated: true } };
    }
    delivered.observe(event);
    if (event.type === 'message_stop') seen.stopped = true;
    else if (collectText && event.type === 'text_delta') seen.text += event.text;
    return event;
  };
  try {
    const guard = new StreamEventGuard();
    for (const event of opened.buffered) if (guard.admit(event)) yield observe(event);
    for (;;) {
      // Waiting starts now: time the consumer took to ask is not upstream silence.
      scope.touch();
      let step: IteratorResult<ChatStreamEvent>;
      try {
        step = await scope.race(opened.iterator.next());
      } catch (thrown) {
        error = scope.errorOf(thrown);
        throw error;
      }
      if (step.done) break;
      if (guard.admit(step.value)) yield observe(step.value);
    }
    if (!seen.stopped || delivered.reportedUsage === undefined) {
      error = streamInterrupted('the upstream stream ended before its final events');
      throw error;
    }
    completed = true;
  } finally {
    if (!completed) {
      if (error === undefined) {
        // The consumer stopped early (client gone, or it broke out of the loop).
        error = clientClosed();
        scope.abort(error);
      }
      abandon(opened.iterator);
    }
    onEnd({ usage: delivered.reportedUsage, delivered, error, text: seen.text });
  }
}
