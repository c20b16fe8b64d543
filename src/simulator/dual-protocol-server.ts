import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from 'node:http2';
import { createServer as createNetServer, type Socket } from 'node:net';

/** Handles one request, whichever HTTP version it came in on. */
export type DualRequestHandler = (
  request: IncomingMessage | Http2ServerRequest,
  response: { version: 1; response: ServerResponse } | { version: 2; response: Http2ServerResponse },
) => void;

/** A listening server speaking HTTP/1.1 and cleartext HTTP/2 on one port. */
export interface DualProtocolServer {
  /** The bound port. */
  readonly port: number;
  /** Stops accepting, breaks every open connection, resolves when closed. */
  close(): Promise<void>;
}

const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/**
 * One TCP port for both protocols: the AWS SDK speaks h2c with prior knowledge by default, other
 * clients HTTP/1.1. Each connection's first bytes are peeked; the HTTP/2 connection preface goes to
 * the HTTP/2 server, anything else to the HTTP/1.1 server.
 */
export async function listenDualProtocol(
  host: string,
  port: number,
  handler: DualRequestHandler,
): Promise<DualProtocolServer> {
  const http1 = createHttp1Server({ keepAliveTimeout: 65_000 }, (request, response) => {
    handler(request, { version: 1, response });
  });
  const http2 = createHttp2Server({}, (request, response) => {
    handler(request, { version: 2, response });
  });
  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  http2.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const server = createNetServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {
      // A peer that resets is not the server's problem; the HTTP layer has its own handlers.
    });
    let seen: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const compared = Math.min(seen.length, preface.length);
      const isPrefaceSoFar = seen.subarray(0, compared).equals(preface.subarray(0, compared));
      if (isPrefaceSoFar && seen.length < preface.length) return;
      socket.off('data', onData);
      if (isPrefaceSoFar) {
        socket.pause();
        socket.unshift(seen);
        http2.emit('connection', socket);
      } else {
        // The HTTP/1.1 parser may consume the socket's handle directly, bypassing unshifted data:
        // hand it the bytes already read through its own data listener instead.
        http1.emit('connection', socket);
        socket.emit('data', seen);
      }
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        for (const session of sessions) session.destroy();
        http1.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  };
}
