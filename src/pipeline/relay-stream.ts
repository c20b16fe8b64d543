import type { ChatStreamEvent } from '../core/stream-event.ts';
import type { Usage } from '../core/usage.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import { streamInterrupted } from '../errors/upstream-errors.ts';
import { clientClosed, type AttemptScope } from '../policies/attempt-scope.ts';
import { abandon, type OpenedStream } from './attempt-calls.ts';

/** How a committed stream ended. */
export interface StreamEnd {
  readonly usage: Usage | undefined;
  /** The failure after the commit (rendered in-band), or client_closed when the consumer stopped. */
  readonly error: GatewayError | undefined;
  /** The text the stream carried (for the audit log, when bodies are logged). */
  readonly text: string;
}

/**
 * The events of a committed stream: the buffered ones, then the rest pulled from the upstream
 * under the attempt's idle watch and deadline. Failures are thrown as GatewayErrors. When the
 * consumer stops early the upstream is aborted. `onEnd` runs exactly once, however it ends.
 */
export function relayStream(
  opened: OpenedStream,
  scope: AttemptScope,
  collectText: boolean,
  onEnd: (end: StreamEnd) => void,
): AsyncIterableIterator<ChatStreamEvent> {
  const inner = relayEvents(opened, scope, collectText, onEnd);
  let started = false;
  const iterator: AsyncIterableIterator<ChatStreamEvent> = {
    next: () => {
      started = true;
      return inner.next();
    },
    return: async () => {
      if (!started) {
        // A generator closed before its first `next` never runs its body: account it here.
        started = true;
        const error = clientClosed();
        scope.abort(error);
        abandon(opened.iterator);
        onEnd({ usage: undefined, error, text: '' });
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
  onEnd: (end: StreamEnd) => void,
): AsyncGenerator<ChatStreamEvent, void, undefined> {
  const seen: { usage: Usage | undefined; stopped: boolean; text: string } = {
    usage: undefined,
    stopped: false,
    text: '',
  };
  let error: GatewayError | undefined;
  let completed = false;
  const observe = (event: ChatStreamEvent): void => {
    if (event.type === 'usage') seen.usage = event.usage;
    else if (event.type === 'message_stop') seen.stopped = true;
    else if (collectText && event.type === 'text_delta') seen.text += event.text;
  };
  try {
    for (const event of opened.buffered) {
      observe(event);
      yield event;
    }
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
      observe(step.value);
      yield step.value;
    }
    if (!seen.stopped || seen.usage === undefined) {
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
    onEnd({ usage: seen.usage, error, text: seen.text });
  }
}
