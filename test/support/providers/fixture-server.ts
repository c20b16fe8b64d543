import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A loopback HTTP server for adapter tests: replays recorded wire responses, records what it
 * received, and can break a response the ways real upstreams do. Test support only.
 */

/** What the server received. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The raw body text. */
  readonly text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly json: unknown;
}

/** How to answer one request. */
export interface FixtureReply {
  /** Default 200. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Body pieces, each written as its own write (a whole body is one piece). */
  readonly chunks?: readonly (string | Uint8Array)[];
  /** After the chunks: `end` (default), `hang` (keep the response open), `reset` (TCP reset). */
  readonly then?: 'end' | 'hang' | 'reset';
}

export interface FixtureServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Sockets accepted so far (keep-alive reuse shows as fewer sockets than requests). */
  readonly socketsAccepted: () => number;
  /**
   * Resolves with the request whose response was next closed before it finished (the client went
   * away); rejects when none is within `timeoutMs` (default 5 s), so a client that keeps the upstream
   * request open fails the test with a message instead of hanging it.
   */
  readonly nextAbandonedResponse: (timeoutMs?: number) => Promise<RecordedRequest>;
  /** Sends a TCP reset on every open socket (a connection dying mid-response). */
  readonly resetSockets: () => void;
  close(): Promise<void>;
}

/** Starts a fixture server on 127.0.0.1, port chosen by the OS. */
export async function startFixtureServer(
  reply: (request: RecordedRequest, index: number) => FixtureReply,
): Promise<FixtureServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  const abandonWaiters: ((request: RecordedRequest) => void)[] = [];
  const abandoned: RecordedRequest[] = [];
  const server = createServer((request, response: ServerResponse) => {
    const parts: Buffer[] = [];
    request.on('data', (chunk: Buffer) => parts.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const recorded = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        text,
        json,
      };
      requests.push(recorded);
      const answer = reply(recorded, requests.length - 1);
      response.on('close', () => {
        if (response.writableFinished) return;
        const waiter = abandonWaiters.shift();
        if (waiter === undefined) abandoned.push(recorded);
        else waiter(recorded);
      });
      response.writeHead(answer.status ?? 200, answer.headers);
      for (const chunk of answer.chunks ?? []) response.write(chunk);
      const then = answer.then ?? 'end';
      if (then === 'end') response.end();
      else if (then === 'reset') response.socket?.resetAndDestroy();
      else response.flushHeaders();
    });
  });
  server.on('connection', (socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    socketsAccepted: () => accepted,
    nextAbandonedResponse: (timeoutMs = 5000) => {
      const already = abandoned.shift();
      if (already !== undefined) return Promise.resolve(already);
      return new Promise<RecordedRequest>((resolve, reject) => {
        const waiter = (request: RecordedRequest) => {
          clearTimeout(timer);
          resolve(request);
        };
        const timer = setTimeout(() => {
          abandonWaiters.splice(abandonWaiters.indexOf(waiter), 1);
          reject(new Error(`no upstream response was abandoned within ${timeoutMs} ms`));
        }, timeoutMs);
        abandonWaiters.push(waiter);
      });
    },
    resetSockets: () => {
      for (const socket of sockets) socket.resetAndDestroy();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return port;
}

/** Formats SSE messages (`data:` lines, optional `event:` line) the way upstreams write them. */
export function sse(
  messages: readonly (string | { readonly event: string; readonly data: string })[],
): string {
  let out = '';
  for (const message of messages) {
    if (typeof message === 'string') out += `data: ${message}\n\n`;
    else out += `event: ${message.event}\ndata: ${message.data}\n\n`;
  }
  return out;
}
