import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  createServer as createH2Server,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { Duplex } from 'node:stream';

/** What an HTTP/2 client sends first on a cleartext connection with prior knowledge (RFC 9113 3.4). */
const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * Connections the kernel may hold for a server before it accepts them (the kernel caps it at
 * net.core.somaxconn). Node's default, 511, overflows when thousands of clients connect in one
 * instant (a deploy that reconnects every client, a burst of streams): the SYNs past it are dropped
 * and each of those clients waits for its retransmission (1 s, then 3 s, ...).
 */
export const listenBacklog = 4096;

/**
 * One listening port for HTTP/1.1 and cleartext HTTP/2 (h2c with prior knowledge, what the AWS SDK
 * for JavaScript's default Bedrock Runtime handler speaks to an `http://` endpoint). Each new
 * connection's first bytes say which: the HTTP/2 preface goes to an HTTP/2 server whose requests
 * reach the same handler through Node's compatibility API; anything else goes to the HTTP/1.1
 * server unchanged (the bytes read to decide are put back). Only the first bytes of a connection
 * are inspected, so HTTP/1.1 keeps its speed.
 *
 * Shared by the gateway's edge (src/server/http-server.ts) and the provider simulator
 * (src/simulator/start-simulator.ts), which is why it lives in `core`: the only layer both import.
 * The HTTP/1.1 server does not listen itself; `listen` binds the front's port.
 */
export class H2cFront {
  readonly listener: NetServer;
  private readonly h2: Http2Server;
  private readonly sessions = new Set<ServerHttp2Session>();
  /** Connections that have not yet sent enough to say which protocol they speak. */
  private readonly undecided = new Set<Socket>();

  private readonly http1: Server;

  constructor(
    http1: Server,
    handler: (req: IncomingMessage, res: ServerResponse) => void,
    options: {
      readonly noDelay: boolean;
      /** The compatibility API's response class (the edge's holds its ends: src/server/held-responses.ts). */
      readonly Http2ServerResponse?: typeof Http2ServerResponse<Http2ServerRequest>;
    },
  ) {
    this.http1 = http1;
    // The compatibility API's request and response stand in for IncomingMessage and ServerResponse.
    this.h2 = createH2Server(
      options.Http2ServerResponse === undefined ? {} : { Http2ServerResponse: options.Http2ServerResponse },
      handler as unknown as Parameters<typeof createH2Server>[1],
    );
    this.h2.on('session', (session: ServerHttp2Session) => {
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
    });
    this.listener = createNetServer({ pauseOnConnect: true, noDelay: options.noDelay }, (socket) => {
      this.route(socket);
    });
  }

  private route(socket: Socket): void {
    const chunks: Buffer[] = [];
    let size = 0;
    this.undecided.add(socket);
    const decide = (): void => {
      this.undecided.delete(socket);
      socket.off('data', onData);
      socket.off('end', decide);
      socket.pause();
      const head = Buffer.concat(chunks);
      if (head.length >= preface.length && head.subarray(0, preface.length).equals(preface)) {
        this.h2.emit('connection', replayingDuplex(socket, head));
      } else {
        if (head.length > 0) socket.unshift(head);
        this.http1.emit('connection', socket);
      }
      socket.resume();
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      // Decide as soon as the bytes differ from the preface, or once it could be complete.
      const seen = Buffer.concat(chunks);
      if (size >= preface.length || !seen.equals(preface.subarray(0, size))) decide();
    };
    socket.on('data', onData);
    socket.once('end', decide);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.undecided.delete(socket));
    socket.resume();
  }

  /**
   * Starts listening; resolves with the bound address (port 0 picks a free port). `reusePort`:
   * several sockets (worker threads) share the port. The backlog is `listenBacklog`.
   */
  listen(port: number, host: string, reusePort = false): Promise<{ port: number; host: string }> {
    const listener = this.listener;
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ port, host, backlog: listenBacklog, ...(reusePort ? { reusePort } : {}) }, () => {
        listener.off('error', reject);
        // The HTTP/1.1 server does not listen itself: 'listening' starts its connection tracking
        // (idle closing at shutdown, the headers and request timeouts).
        this.http1.emit('listening');
        const address = listener.address() as AddressInfo;
        resolve({ port: address.port, host: address.address });
      });
    });
  }

  /**
   * Asks every HTTP/2 connection to finish its streams and close (GOAWAY); closes the connections
   * that have sent nothing yet (no request is in flight on them).
   */
  closeSessions(): void {
    for (const session of this.sessions) session.close();
    for (const socket of this.undecided) socket.destroy();
  }

  /** Ends every HTTP/2 connection now. */
  destroySessions(): void {
    for (const session of this.sessions) session.destroy();
  }

  /** Ends every connection now, whichever protocol it speaks or has yet to show. */
  destroyConnections(): void {
    for (const socket of this.undecided) socket.destroy();
    this.destroySessions();
    this.http1.closeAllConnections();
  }
}

/**
 * The socket as a duplex stream that first yields `head` (the bytes read to recognise the preface):
 * Node's HTTP/2 reads a plain socket natively and would not see bytes already taken from it.
 */
function replayingDuplex(socket: Socket, head: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  duplex.push(head);
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  return duplex;
}
