import { pino } from 'pino';
import type { Clock } from '../../../src/core/clock.ts';
import type { Dialect } from '../../../src/dialects/dialect.ts';
import { createHttpServer, type ExtraRoute, type HttpServer } from '../../../src/server/http-server.ts';
import type { ResponseEndHold } from '../../../src/server/held-responses.ts';
import { EchoGateway } from './echo-gateway.ts';

export interface TestServer {
  /** The gateway behind the edge (inspect what it was called with, steer `held` streams). */
  readonly gateway: EchoGateway;
  /** The edge under test; shut it down after the test. */
  readonly edge: HttpServer;
  /** http://127.0.0.1:<port> */
  readonly origin: string;
}

/** Starts the edge on a free loopback port in front of an EchoGateway. */
export async function startTestServer(
  options: {
    maxBodyBytes?: number;
    bodyTimeoutMs?: number;
    clock?: Clock;
    routes?: ExtraRoute[];
    dialects?: readonly Dialect[];
    holdResponseEnd?: ResponseEndHold;
  } = {},
): Promise<TestServer> {
  const gateway = new EchoGateway();
  const edge = createHttpServer({
    gateway,
    logger: pino({ level: 'silent' }),
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    bodyTimeoutMs: options.bodyTimeoutMs,
    clock: options.clock,
    routes: options.routes,
    dialects: options.dialects,
    holdResponseEnd: options.holdResponseEnd,
  });
  const { port } = await edge.listen(0, '127.0.0.1');
  return { gateway, edge, origin: `http://127.0.0.1:${port}` };
}
