import type { Dispatcher } from 'undici';
import { SseParser, type SseMessage } from './sse-parser.ts';
import { abortedError, classifyTransportError } from './transport-errors.ts';

/**
 * The SSE messages of a streamed response body, as they arrive. Socket failures are thrown as
 * classified GatewayErrors (phase `stream`; an aborted signal as its reason). Leaving the loop early
 * (break, throw, return) destroys the body, which releases the upstream request.
 */
export async function* readSseMessages(
  body: Dispatcher.ResponseData['body'],
  context: { readonly signal: AbortSignal; readonly upstream: string },
): AsyncGenerator<SseMessage, void, undefined> {
  const parser = new SseParser();
  try {
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        const messages = parser.push(chunk);
        for (const message of messages) {
          // Messages already buffered must not outlive an abort (a policy's timeout or the client leaving).
          if (context.signal.aborted) throw abortedError(context.signal);
          yield message;
        }
      }
    } catch (error) {
      throw classifyTransportError(error, context.signal, 'stream', context.upstream);
    }
    for (const message of parser.end()) yield message;
  } finally {
    if (!body.destroyed) body.destroy();
  }
}
