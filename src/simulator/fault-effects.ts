import type { ActiveFault } from './fault-registry.ts';
import type { SimFailure } from './sim-failure.ts';
import type { SimHttpResponse } from './sim-http.ts';
import type { ChatProtocol, ResponseMeta, WireProtocol } from './wire-protocol.ts';

/**
 * How a fault answered a call before any model did: a failure for the caller to send, or the
 * status and error code to log for an answer already given (hang, reset, malformed body).
 */
export type AdmissionFaultAnswer =
  { readonly failure: SimFailure } | { readonly status: number; readonly errorCode: string };

/**
 * Applies a matched fault at admission. Returns undefined when the fault strikes later (a stream
 * fault with `after_events`, a slow first token, a cut stream, a content filter) or not at all here.
 */
export async function answerAtAdmission(
  fault: ActiveFault,
  stream: boolean,
  protocol: WireProtocol,
  http: SimHttpResponse,
  meta: () => ResponseMeta,
): Promise<AdmissionFaultAnswer | undefined> {
  switch (fault.kind) {
    case 'throttle':
      return { failure: { kind: 'rate', reason: 'rpm', retryAfterMs: 1000, message: fault.message } };
    case 'error':
      if (!stream || fault.after_events === undefined) {
        return {
          failure: { kind: 'status', status: fault.status ?? 500, code: fault.code, message: fault.message },
        };
      }
      return undefined;
    case 'hang':
      await new Promise<void>((resolve) => {
        if (http.signal.aborted) resolve();
        http.signal.addEventListener(
          'abort',
          () => {
            resolve();
          },
          { once: true },
        );
      });
      return { status: 0, errorCode: 'Hang' };
    case 'reset':
      if (!stream || fault.after_events === undefined) {
        http.reset();
        return { status: 0, errorCode: 'ConnectionReset' };
      }
      return undefined;
    case 'malformed':
      if (!stream) {
        protocol.sendMalformed(http, meta());
        return { status: 200, errorCode: 'MalformedBody' };
      }
      return undefined;
    case 'slow_first_token':
    case 'cut_stream':
    case 'content_filter':
      return undefined;
  }
}

/**
 * Breaks a stream where its fault strikes (streamBreak): resets the connection, or ends it with a
 * malformed frame, an in-stream error or nothing more. Returns the error code to log.
 */
export function breakStream(fault: ActiveFault, protocol: ChatProtocol, http: SimHttpResponse): string {
  switch (fault.kind) {
    case 'reset':
      http.reset();
      return 'ConnectionReset';
    case 'malformed':
      http.end(protocol.malformedFrame());
      return 'MalformedFrame';
    case 'error': {
      const failure: SimFailure = {
        kind: 'status',
        status: fault.status ?? 500,
        code: fault.code,
        message: fault.message,
      };
      http.end(protocol.streamError(failure));
      return protocol.errorCode(failure);
    }
    case 'throttle':
    case 'hang':
    case 'slow_first_token':
    case 'cut_stream':
    case 'content_filter':
      http.end();
      return 'StreamCut';
  }
}
