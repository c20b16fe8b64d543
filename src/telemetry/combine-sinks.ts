import type { EventSink, GatewayEvent } from '../core/gateway-events.ts';

/** Called with a sink's exception; must not throw itself. */
export type SinkErrorHandler = (error: unknown, event: GatewayEvent) => void;

/**
 * Fans one event out to several sinks, in order. A sink that throws is isolated: the others still
 * receive the event and the request path never sees the exception (EventSink's contract is
 * "must not throw"; this enforces it for sinks that break it).
 */
export function combineSinks(
  sinks: readonly EventSink[],
  onError: SinkErrorHandler = () => undefined,
): EventSink {
  const list = sinks.slice();
  return {
    emit(event: GatewayEvent): void {
      for (const sink of list) {
        try {
          sink.emit(event);
        } catch (error) {
          try {
            onError(error, event);
          } catch {
            // the error handler broke too; nothing safe is left to do on the request path
          }
        }
      }
    },
  };
}
