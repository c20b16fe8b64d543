import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from '../core/node-http.ts';
import { H2cFront } from '../core/h2c-front.ts';
import { parseCacheControl, parseTags } from './request-hints.ts';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../core/clock.ts';
import { createRequestId } from '../core/ids.ts';
import { logMessage } from '../errors/client-message.ts';
import { clientClosed, GatewayError, isGatewayError } from '../errors/gateway-error.ts';
import type { Gateway, RequestContext } from '../pipeline/gateway.ts';
import type { Dialect } from '../dialects/dialect.ts';
import { dialects as registeredDialects } from '../dialects/dialect-registry.ts';
import { respondChat } from './chat-route.ts';
import { chatRouteParams, createRouteTable, type EdgeRoute } from './match-route.ts';
import { readJsonBody } from './read-json-body.ts';
import { requestCredential } from './request-credential.ts';
import { clientRequestIdOf } from './request-id.ts';
import { addRouteHeaders, baseHeaders, sendError, sendJson, type RequestIds } from './respond.ts';
import { heldResponseClasses, type ResponseEndHold } from './held-responses.ts';

/** A route mounted beside the dialect routes (main.ts mounts /metrics and /admin/* this way). */
export interface ExtraRoute {
  /** Only this method is routed here (any method when absent). */
  readonly method?: string;
  /** Paths starting with this prefix are handed to `handle`, before the built-in routes. */
  readonly prefix: string;
  /** Answers the request completely; a throw becomes a 500 (no authentication is done for it). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> | void;
}

export interface HttpServerOptions {
  /** The pipeline every dialect route calls. */
  readonly gateway: Gateway;
  /** Where failures go, with the request id; never keys or Authorization headers. */
  readonly logger: Logger;
  /** Request bodies over this size get a 413 (config server.max_body_bytes, default 10 MB). */
  readonly maxBodyBytes: number;
  /** A request body must arrive within this time, or 408 (config server.body_timeout_ms; none when absent). */
  readonly bodyTimeoutMs?: number | undefined;
  /** Arrival times and the shutdown grace timer (default: the system clock). */
  readonly clock?: Clock | undefined;
  /** Routes mounted before the dialect routes, tried in order (e.g. /metrics, /admin/). */
  readonly routes?: readonly ExtraRoute[] | undefined;
  /** The client APIs served, first one the default (default: src/dialects/dialect-registry.ts). */
  readonly dialects?: readonly Dialect[] | undefined;
  /**
   * Asked before every response ends (decision 0033): the spend recorder holds an end until the
   * records of the turn are in its journal. Undefined: ends go at once (required, so that a
   * composition cannot leave it out by accident).
   */
  readonly holdResponseEnd: ResponseEndHold | undefined;
}

export interface HttpServer {
  /** The node:http server (for tests and for main.ts to attach to). */
  readonly server: Server;
  /**
   * Starts listening; resolves with the bound address (port 0 picks a free port). `reusePort`: several
   * worker threads listen on one port and the kernel spreads the connections (server.workers).
   */
  listen(port: number, host: string, reusePort?: boolean): Promise<{ port: number; host: string }>;
  /**
   * Stops accepting connections, closes idle keep-alive sockets, lets in-flight requests and streams
   * finish for up to `graceMs`, then destroys what is left (aborting their upstream calls).
   */
  shutdown(graceMs: number): Promise<void>;
}

function noop(): void {
  // Errors on a response whose client is gone have nobody to tell.
}

/** GET /health/ready: the gateway's readiness and each check; 503 when it cannot serve or is draining. */
function readinessAnswer(gateway: Gateway, draining: boolean): { status: number; body: string } {
  const readiness = gateway.readiness();
  const status = draining
    ? 'shutting_down'
    : !readiness.ready
      ? 'not_ready'
      : Object.values(readiness.checks).some((check) => check.status !== 'ok')
        ? 'degraded'
        : 'ok';
  return {
    status: status === 'ok' || status === 'degraded' ? 200 : 503,
    body: JSON.stringify({ status, checks: readiness.checks }),
  };
}

function decodeModelId(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

function parseRegions(header: string | string[] | undefined): readonly string[] | undefined {
  if (typeof header !== 'string') return undefined;
  const regions = header
    .split(',')
    .map((region) => region.trim())
    .filter((region) => region !== '');
  return regions.length > 0 ? regions : undefined;
}

/**
 * The HTTP edge: node:http with hand-written routing (the gateway must add well under a
 * millisecond over a bare proxy). Each request passes these hooks, in this order:
 *
 *   1. identify     request id (a sane incoming x-request-id, else a new one), arrival time
 *   2. track        in-flight set for graceful shutdown; client disconnect aborts the request
 *   3. extra routes mounted by prefix (/metrics, /admin/*): handed over as they are
 *   4. route        method + path → a registered dialect's route; 404 / 405 in the claiming dialect
 *   5. health       /health/live; /health/ready: 200 while the gateway can serve (status ok, or
 *                   degraded naming the store that is away), 503 when it cannot or while draining
 *   6. authenticate Authorization: Bearer or x-api-key → principal (401)
 *   7. read body    JSON content type (415), size limit (413 once the rest is discarded, connection
 *                   closed), body timeout (408, connection dropped), JSON (400)
 *   8. parse        dialect body → canonical request (400 naming the parameter)
 *   9. call         the gateway, with the client-disconnect signal
 *  10. respond      JSON or SSE in the dialect, with x-request-id and the x-spillway-* route headers
 *  11. fail         any error → the dialect's error body; unexpected ones → 500 and logged
 */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { gateway, logger, maxBodyBytes } = options;
  const clock = options.clock ?? systemClock;
  const bodyLimits = { timeoutMs: options.bodyTimeoutMs, clock };
  const anyTypeBodyLimits = { ...bodyLimits, anyContentType: true };
  const extraRoutes = options.routes ?? [];
  const routeTable = createRouteTable(options.dialects ?? registeredDialects);
  const startedAt = clock.now();
  const inFlight = new Set<ServerResponse>();
  let draining = false;

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'request handler failed');
      res.destroy();
    });
  };
  const held =
    options.holdResponseEnd === undefined ? undefined : heldResponseClasses(options.holdResponseEnd);
  const server = createServer(
    // noDelay: every SSE frame leaves at once (no Nagle). keepAliveTimeout above the usual 60 s of
    // load balancers so they, not we, close idle connections; headersTimeout must exceed it.
    {
      ...(held === undefined ? {} : { ServerResponse: held.http1 }),
      noDelay: true,
      keepAliveTimeout: 65_000,
      headersTimeout: 66_000,
      // A backstop behind the body timeout (for routes that do not read a body through readJsonBody).
      requestTimeout: 66_000 + (options.bodyTimeoutMs ?? 234_000),
    },
    onRequest,
  );
  // The port is the front's: HTTP/1.1 connections reach `server`, cleartext HTTP/2 ones (the AWS
  // SDK for JavaScript's default) an HTTP/2 server with the same handler (core/h2c-front.ts).
  const front = new H2cFront(server, onRequest, {
    noDelay: true,
    ...(held === undefined ? {} : { Http2ServerResponse: held.http2 }),
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // 1. identify
    const receivedAt = clock.now();
    // The gateway's own id keys the spend record and the leases; the client's is kept beside it.
    const requestId = createRequestId(receivedAt);
    const clientRequestId = clientRequestIdOf(req.headers['x-request-id']);
    const ids: RequestIds = { requestId, clientRequestId };
    const rawUrl = req.url ?? '/';
    const query = rawUrl.indexOf('?');
    const path = query < 0 ? rawUrl : rawUrl.slice(0, query);

    // 2. track
    const controller = new AbortController();
    inFlight.add(res);
    res.on('error', noop);
    // 'close' comes once per response: `on` spares the wrapper `once` allocates.
    res.on('close', () => {
      inFlight.delete(res);
      if (!res.writableFinished) controller.abort(clientClosed());
      // The socket may now be idle: let a draining server close it.
      if (draining)
        setImmediate(() => {
          server.closeIdleConnections();
        });
    });
    if (draining) res.shouldKeepAlive = false;

    let route: EdgeRoute | undefined;
    try {
      // 3. extra routes
      for (const extra of extraRoutes) {
        if (path.startsWith(extra.prefix) && (extra.method === undefined || extra.method === req.method)) {
          res.setHeader('x-request-id', clientRequestId ?? requestId);
          res.setHeader('x-spillway-request-id', requestId);
          await extra.handle(req, res, new URL(rawUrl, 'http://localhost'));
          return;
        }
      }

      // 4. route
      route = routeTable.match(path, req.headers);
      if (route === undefined) {
        throw new GatewayError(`no route for ${req.method ?? 'GET'} ${path}`, {
          code: 'not_found',
        });
      }
      if (req.method !== route.method) {
        const error = new GatewayError(
          `method ${req.method ?? ''} not allowed on ${path}: use ${route.method}`,
          {
            code: 'method_not_allowed',
          },
        );
        error.headers.allow = route.method;
        throw error;
      }
      // 5. health
      if (route.dialect === undefined) {
        const { status, body } =
          route.operation === 'live'
            ? { status: 200, body: '{"status":"ok"}' }
            : readinessAnswer(gateway, draining);
        sendJson(res, status, baseHeaders(ids, routeTable.dialectFor(req.headers)), body);
        return;
      }
      const dialect = route.dialect;

      // 6. authenticate
      const principal = gateway.authenticate(requestCredential(req.headers));

      if (route.operation === 'list-models' || route.operation === 'get-model') {
        const models = gateway.listModels(principal);
        if (route.operation === 'list-models') {
          sendJson(res, 200, baseHeaders(ids, dialect), route.models.renderList(models, startedAt));
          return;
        }
        const id = decodeModelId(path.slice(route.path.length));
        const model = models.find((entry) => entry.id === id);
        if (model === undefined) {
          throw new GatewayError(`model "${id}" does not exist`, {
            code: 'unknown_model',
            param: 'model',
          });
        }
        sendJson(res, 200, baseHeaders(ids, dialect), route.models.renderModel(model, startedAt));
        return;
      }

      // 7. read body
      const anyType = route.operation === 'chat' && route.anyContentType === true;
      const body = await readJsonBody(req, maxBodyBytes, anyType ? anyTypeBodyLimits : bodyLimits);
      const traceparent = req.headers.traceparent;
      const context: RequestContext = {
        requestId,
        clientRequestId,
        dialect: dialect.name,
        principal,
        signal: controller.signal,
        receivedAt,
        traceparent: typeof traceparent === 'string' ? traceparent : undefined,
        regions: parseRegions(req.headers['x-spillway-regions']),
        cacheControl: parseCacheControl(req.headers['cache-control']),
        tags: parseTags(req.headers['x-spillway-tags']),
        rawBody: principal.logBodies ? body : undefined,
      };

      if (route.operation === 'embeddings') {
        // 8. parse, 9. call, 10. respond
        const parsed = route.embeddings.parse(body);
        const result = await gateway.embed(parsed.request, context);
        if (res.destroyed) return;
        const headers = addRouteHeaders(
          baseHeaders(ids, dialect),
          result.route,
          result.costUsd,
          result.headers,
        );
        sendJson(res, 200, headers, route.embeddings.render(result.response, parsed));
        return;
      }
      if (route.operation === 'count-tokens') {
        // 8. parse, 9. count, 10. respond, saying who counted
        const request = route.countTokens.parse(body, chatRouteParams(route, path));
        if (gateway.countTokens === undefined) {
          throw new GatewayError('token counting is not available on this gateway', { code: 'unsupported' });
        }
        const counted = await gateway.countTokens(request, context);
        if (res.destroyed) return;
        const headers = baseHeaders(ids, dialect);
        headers['x-spillway-token-count'] = counted.source;
        if (counted.target !== undefined) headers['x-spillway-deployment'] = counted.target.deployment;
        sendJson(res, 200, headers, route.countTokens.render(counted.inputTokens));
        return;
      }
      // 8. parse, then 9. call and 10. respond in respondChat
      const parsed = dialect.parseChat(body, chatRouteParams(route, path));
      await respondChat(res, gateway, dialect, parsed, context, logger);
    } catch (thrown) {
      // 11. fail
      fail(req, res, thrown, ids, route?.dialect ?? routeTable.dialectFor(req.headers));
    }
  }

  function fail(
    req: IncomingMessage,
    res: ServerResponse,
    thrown: unknown,
    ids: RequestIds,
    dialect: Dialect,
  ): void {
    const { requestId, clientRequestId } = ids;
    let error: GatewayError;
    if (isGatewayError(thrown)) {
      error = thrown;
      const fields = {
        requestId,
        clientRequestId,
        code: error.code,
        status: error.status,
        message: logMessage(error),
        upstreamStatus: error.upstreamStatus,
        upstreamCode: error.upstreamCode,
      };
      // What an upstream said reaches the client only in the gateway's words: its text is logged here.
      if (error.status >= 500 || error.upstreamStatus !== undefined) logger.warn(fields, 'request failed');
      else logger.debug(fields, 'request rejected');
    } else {
      logger.error({ requestId, clientRequestId, err: thrown }, 'unexpected error');
      error = new GatewayError(`internal error (request ${requestId})`, {
        code: 'internal_error',
      });
    }
    if (res.destroyed) return;
    sendError(res, error, dialect, ids);
    // A body left unread (past the discard bound, or too slow) is not waited for: drop the connection.
    if (error.closesConnection && !req.complete) {
      res.once('finish', () => req.destroy());
    }
  }

  function listen(port: number, host: string, reusePort = false): Promise<{ port: number; host: string }> {
    return front.listen(port, host, reusePort);
  }

  let closed: Promise<void> | undefined;

  /** Waits for the server to close, up to `graceMs`; then destroys the connections left. */
  async function shutdown(graceMs: number): Promise<void> {
    if (closed === undefined) {
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
      // The front counts every accepted connection, HTTP/1.1 and HTTP/2: it closes once all have.
      closed = new Promise<void>((resolve) => {
        front.listener.close(() => {
          resolve();
        });
      });
      server.close(noop);
      front.closeSessions();
      server.closeIdleConnections();
    }
    // A second call (a second SIGTERM) may shorten the grace period: each call keeps its own timer.
    let timedOut = graceMs <= 0;
    if (!timedOut) {
      const timer = new AbortController();
      const graceOver = clock.sleep(graceMs, timer.signal).then(
        () => true,
        () => false,
      );
      timedOut = await Promise.race([closed.then(() => false), graceOver]);
      timer.abort();
    }
    if (timedOut) {
      if (inFlight.size > 0)
        logger.warn({ inFlight: inFlight.size }, 'shutdown grace period over: closing connections');
      server.closeAllConnections();
      front.destroySessions();
      await closed;
    }
  }

  return {
    server,
    listen,
    shutdown,
  };
}
