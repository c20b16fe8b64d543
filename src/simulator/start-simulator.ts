import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from '../core/node-http.ts';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../core/clock.ts';
import { H2cFront } from '../core/h2c-front.ts';
import { AdminApi } from './admin-api.ts';
import { AnthropicApi } from './anthropic/anthropic-api.ts';
import { BedrockApi } from './bedrock/bedrock-api.ts';
import { defaultSimWorld } from './default-sim-world.ts';
import type { ActiveFault } from './fault-registry.ts';
import type { FaultSpecInput } from './fault-spec.ts';
import type { InvocationFilter, InvocationRecord } from './invocation-log.ts';
import { AzureOpenaiApi } from './openai/azure-api.ts';
import { OpenaiApi } from './openai/openai-api.ts';
import {
  BodyTooLargeError,
  readRequest,
  wrapHttp1Response,
  wrapHttp2Response,
  type SimHttpResponse,
} from './sim-http.ts';
import type { SimWorld } from './sim-world.ts';
import { Simulation } from './simulation.ts';

/** Options of `startSimulator`; every one has a default. */
export interface SimulatorOptions {
  /** Interface to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: chosen by the OS). */
  readonly port?: number;
  /** The world (default `defaultSimWorld`). */
  readonly world?: SimWorld;
  /** Seed of every random choice (default 1). */
  readonly seed?: number;
  /** Multiplies simulated delays (default: the world's latency_scale); 0 = instant. */
  readonly latencyScale?: number;
  /** Time source for quotas, delays and the log (default: the system clock). */
  readonly clock?: Clock;
  /** Structured logger (default: none). */
  readonly logger?: Logger;
  /** Keep each chat call's prompt text in the invocation log (`inputText`; default off: it holds user data). */
  readonly logPrompts?: boolean;
}

/** A running simulator. */
export interface RunningSimulator {
  /** Base URL, e.g. http://127.0.0.1:9100 (OpenAI clients add /v1). */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** The world it simulates. */
  readonly world: SimWorld;
  /** Invocation log records matching `filter`, oldest first. */
  invocations(filter?: InvocationFilter): InvocationRecord[];
  /** Adds a fault (validated; throws on a bad spec) and returns it with its id. */
  addFault(spec: FaultSpecInput): ActiveFault;
  /** Faults in force. */
  faults(): ActiveFault[];
  /** Removes one fault; false if unknown. */
  removeFault(id: string): boolean;
  /** Removes every fault. */
  clearFaults(): void;
  /** Clears the log, quotas and faults (as POST /_sim/reset). */
  reset(): void;
  /** Stops the server and breaks open connections. */
  close(): Promise<void>;
}

const maxBodyBytes = 32 * 1024 * 1024;

/** Starts the provider simulator: Bedrock, OpenAI and Anthropic on one port, HTTP/1.1 and h2c. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const world = options.world ?? defaultSimWorld;
  const host = options.host ?? '127.0.0.1';
  const sim = new Simulation({
    world,
    seed: options.seed ?? 1,
    latencyScale: options.latencyScale ?? world.latency_scale,
    clock: options.clock ?? systemClock,
    logger: options.logger,
    logPrompts: options.logPrompts ?? false,
  });
  const bedrock = new BedrockApi(sim);
  const openai = new OpenaiApi(sim);
  const azure = new AzureOpenaiApi(sim, openai);
  const anthropic = new AnthropicApi(sim);
  const admin = new AdminApi(sim);
  const logger = options.logger;

  const serve = async (
    incoming: IncomingMessage | Http2ServerRequest,
    http: SimHttpResponse,
  ): Promise<void> => {
    const request = await readRequest(incoming, maxBodyBytes);
    const path = request.rawPath;
    if (path.startsWith('/model/')) return bedrock.handle(request, http);
    if (path.startsWith('/guardrail/')) {
      bedrock.handleGuardrail(request, http);
      return;
    }
    if (path === '/v1/messages' || path.startsWith('/v1/messages/')) return anthropic.handle(request, http);
    if (path.startsWith('/v1/')) return openai.handle(request, http);
    if (path.startsWith('/openai/')) return azure.handle(request, http);
    if (path.startsWith('/_sim/')) {
      admin.handle(request, http);
      return;
    }
    const body = JSON.stringify({ message: `No route for ${request.method} ${path}` });
    http.writeHead(404, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    });
    http.end(body);
  };

  // HTTP/2 requests arrive through Node's compatibility API, typed as HTTP/1.1 ones (core/h2c-front.ts).
  const handler = (incoming: IncomingMessage, response: ServerResponse): void => {
    const http =
      incoming.httpVersionMajor === 2
        ? wrapHttp2Response(response as unknown as Http2ServerResponse)
        : wrapHttp1Response(incoming, response);
    serve(incoming, http).catch((error: unknown) => {
      const tooLarge = error instanceof BodyTooLargeError;
      if (!tooLarge) logger?.error({ err: error }, 'simulator request failed');
      if (http.headersSent) {
        http.reset();
        return;
      }
      const body = JSON.stringify({ message: tooLarge ? error.message : 'simulator internal error' });
      http.writeHead(tooLarge ? 413 : 500, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        connection: 'close',
      });
      http.end(body);
    });
  };

  // One port for HTTP/1.1 and h2c with prior knowledge: the AWS SDK's Bedrock client speaks h2c.
  const http1 = createServer({ keepAliveTimeout: 65_000 }, handler);
  const front = new H2cFront(http1, handler, { noDelay: true });
  const server = await front.listen(options.port ?? 0, host);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  logger?.info(
    { host, port: server.port, seed: sim.seed, latencyScale: sim.latencyScale },
    'simulator listening',
  );
  return {
    url: `http://${urlHost}:${server.port}`,
    port: server.port,
    world,
    invocations: (filter) => sim.log.list(filter),
    addFault: (spec) => sim.faults.add(spec),
    faults: () => sim.faults.list(),
    removeFault: (id) => sim.faults.remove(id),
    clearFaults: () => {
      sim.faults.clear();
    },
    reset: () => {
      sim.reset();
    },
    close: () =>
      new Promise<void>((resolve) => {
        front.listener.close(() => {
          resolve();
        });
        front.destroyConnections();
      }),
  };
}
