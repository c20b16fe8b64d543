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
    /**
     * node:http builds the header block by appending each header to a string: a tree of ~50 string
     * pieces, which it keeps unflattened as `_header` (the write flattens a copy joined with the
     * body). A held answer outlives a scavenge with it, and the scavenger copies every piece: 1.3-2
     * KB of the ~6 KB that outlived a scavenge per request, the largest single share
     * (`node bench/allocations.ts --survivors`). Converting the string to a number makes V8 flatten
     * it in place, leaving one ~450-byte string; 3% less CPU per request in `node bench/ab.ts`
     * (docs/performance.md, tenth pass). Without `_header` (not public API) nothing is done.
     */
    override writeHead(...args: unknown[]): this {
      super.writeHead(...(args as Parameters<Http1ServerResponse['writeHead']>));
      const header = (this as unknown as { readonly _header?: unknown })._header;
      if (typeof header === 'string') Number(header);
      return this;
    }

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
