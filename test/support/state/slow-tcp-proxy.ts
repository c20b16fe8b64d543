import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback that holds every chunk the client sends for `delayMs` before passing it
 * on (answers come back at once): a healthy but slow Redis, e.g. one on a loaded host. Order is
 * kept; the delay can change while connections are open.
 */
export class SlowTcpProxy {
  /** Added to every client → server chunk (0: a plain pass-through). */
  delayMs = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly target: { readonly host: string; readonly port: number };

  private constructor(server: Server, target: { readonly host: string; readonly port: number }) {
    this.server = server;
    this.target = target;
  }

  /** Starts a proxy to `host:port` on a free loopback port. */
  static async start(target: { readonly host: string; readonly port: number }): Promise<SlowTcpProxy> {
    const server = createServer();
    const proxy = new SlowTcpProxy(server, target);
    server.on('connection', (client) => {
      proxy.relay(client);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return proxy;
  }

  /** The port it listens on. */
  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy not listening');
    return address.port;
  }

  private relay(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(client).add(upstream);
    // the time the previous chunk leaves: a later chunk never overtakes it when the delay shrinks
    let lastDue = 0;
    client.on('data', (chunk: Buffer) => {
      const due = Math.max(Date.now() + this.delayMs, lastDue);
      lastDue = due;
      if (due <= Date.now()) {
        upstream.write(chunk);
        return;
      }
      setTimeout(() => {
        if (!upstream.destroyed) upstream.write(chunk);
      }, due - Date.now());
    });
    upstream.pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  }

  /** Closes the listener and every relayed connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }
}
