import type { IncomingMessage, ServerResponse as Http1ServerResponse } from 'node:http';
import { Http2ServerResponse, type Http2ServerRequest } from 'node:http2';
import { ServerResponse } from '../core/node-http.ts';

/**
 * Holds a response's end until what must precede it is done (decision 0033: the spend journal's
 * write of the turn). Returns true when it took `release` and will call it, false when nothing is
 * waiting and the end goes now.
 */
export type ResponseEndHold = (release: () => void) => boolean;

/**
 * Response classes for node:http and HTTP/2's compatibility API whose `end` asks `hold` first. The
 * end itself is what is held, not the socket: node:http's `end` fully uncorks the connection, so a
 * cork would not keep the last bytes back. Until released, nothing of a buffered answer (its
 * headers go with its body) and only the last frames of a stream are written.
 */
export function heldResponseClasses(hold: ResponseEndHold): {
  readonly http1: typeof Http1ServerResponse<IncomingMessage>;
  readonly http2: typeof Http2ServerResponse<Http2ServerRequest>;
} {
  class HeldServerResponse extends ServerResponse {
    override end(...args: unknown[]): this {
      const endNow = (): void => {
        super.end(...(args as Parameters<Http1ServerResponse['end']>));
      };
      if (!hold(endNow)) endNow();
      return this;
    }
  }
  class HeldHttp2ServerResponse extends Http2ServerResponse {
    override end(...args: unknown[]): this {
      const endNow = (): void => {
        super.end(...(args as Parameters<Http2ServerResponse['end']>));
      };
      if (!hold(endNow)) endNow();
      return this;
    }
  }
  return { http1: HeldServerResponse, http2: HeldHttp2ServerResponse };
}
