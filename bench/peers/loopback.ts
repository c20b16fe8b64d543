/**
 * Preloaded into a peer gateway (`node --import bench/peers/loopback.ts ...`): a server that listens
 * without a host (Portkey's start-server passes none, so it would bind every interface) binds to
 * 127.0.0.1 instead, keeping the benchmark on loopback.
 */
import { Server } from 'node:net';

const prototype = Server.prototype as unknown as { listen: (...args: unknown[]) => Server };
const listen = Reflect.get<typeof prototype, 'listen'>(prototype, 'listen');
prototype.listen = function listenOnLoopback(this: Server, ...args: unknown[]): Server {
  const [port, host, ...rest] = args;
  if (typeof port === 'number' && (host === undefined || typeof host === 'function')) {
    const tail = host === undefined ? rest : [host, ...rest];
    return Reflect.apply<Server, unknown[], Server>(listen, this, [port, '127.0.0.1', ...tail]);
  }
  return Reflect.apply<Server, unknown[], Server>(listen, this, args);
};
