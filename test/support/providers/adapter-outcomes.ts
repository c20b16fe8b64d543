import type { ChatStreamEvent } from '../../../src/core/stream-event.ts';
import { GatewayError } from '../../../src/errors/gateway-error.ts';

/** What adapter tests read off a call: the GatewayError it failed with, the events a stream gave. */

/** Drains a stream, returning the events before the GatewayError that ended it, if any. */
export async function collect(
  events: AsyncIterable<ChatStreamEvent>,
): Promise<{ events: ChatStreamEvent[]; error: GatewayError | undefined }> {
  const seen: ChatStreamEvent[] = [];
  try {
    for await (const event of events) seen.push(event);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return { events: seen, error };
  }
  return { events: seen, error: undefined };
}

/** The GatewayError a promise rejects with (fails the test if it resolves or rejects otherwise). */
export async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}
