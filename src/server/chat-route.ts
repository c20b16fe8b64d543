import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ChatStreamEvent } from '../core/stream-event.ts';
import { logMessage } from '../errors/client-message.ts';
import { toGatewayError } from '../errors/gateway-error.ts';
import type { Gateway, RequestContext, RouteInfo } from '../pipeline/gateway.ts';
import type { Dialect, ParsedChat } from '../dialects/dialect.ts';
import { addRouteHeaders, baseHeaders, sendJson } from './respond.ts';
import type { StreamRenderer } from '../dialects/stream-renderer.ts';

/** Resolves when the response can take more data (or is gone). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes the events as the dialect frames them (SSE, or Bedrock's binary event stream). The upstream is committed: a failure from here on ends the stream with
 * an in-band error in the client's dialect, never a fake finish. Stops reading (which aborts the
 * upstream) when the client goes away.
 */
async function pumpStream(
  res: ServerResponse,
  events: AsyncIterable<ChatStreamEvent>,
  renderer: StreamRenderer,
  context: RequestContext,
  logger: Logger,
): Promise<void> {
  try {
    for await (const event of events) {
      const frame = renderer.event(event);
      if (frame.length > 0 && !res.write(frame)) await drained(res);
      if (res.destroyed) return;
    }
    if (!res.destroyed) res.end(renderer.end());
  } catch (thrown) {
    const error = toGatewayError(thrown);
    if (res.destroyed) return;
    logger.warn(
      {
        requestId: context.requestId,
        clientRequestId: context.clientRequestId,
        code: error.code,
        status: error.status,
        message: logMessage(error),
        upstreamStatus: error.upstreamStatus,
        upstreamCode: error.upstreamCode,
      },
      'stream failed after its first byte',
    );
    res.end(renderer.error(error));
  }
}

/**
 * The model group the answer names (decision 0016): the group that served it, after a fallback the
 * fallback's; a stage's answer names the group it answered for; the client's name otherwise.
 */
function servedModel(route: RouteInfo, requested: string): string {
  return route.target?.group ?? route.stage?.group ?? requested;
}

/** `parsed` with the served group as its model, for the stream renderer (no copy when unchanged). */
function servedBy(parsed: ParsedChat, model: string): ParsedChat {
  return model === parsed.request.model ? parsed : { ...parsed, request: { ...parsed.request, model } };
}

/**
 * The chat routes after parsing: a complete answer as JSON, or a stream as SSE. `streamChat`
 * resolves only once the first upstream event is in hand (failover happens before), so a rejection
 * still becomes a normal JSON error (thrown to the caller). The body's `model` names the group that
 * served; `x-spillway-requested-model` the one the client asked for.
 */
export async function respondChat(
  res: ServerResponse,
  gateway: Gateway,
  dialect: Dialect,
  parsed: ParsedChat,
  context: RequestContext,
  logger: Logger,
): Promise<void> {
  const request = parsed.request;
  const created = Math.floor(context.receivedAt / 1000);
  if (!request.stream) {
    const result = await gateway.chat(request, context);
    if (res.destroyed) return;
    const headers = addRouteHeaders(
      baseHeaders(context, dialect),
      result.route,
      result.costUsd,
      result.headers,
    );
    headers['x-spillway-requested-model'] = request.model;
    const model = servedModel(result.route, request.model);
    sendJson(res, 200, headers, dialect.renderChat(result.response, model, created, parsed));
    return;
  }
  const result = await gateway.streamChat(request, context);
  if (res.destroyed) {
    // The client left while the pipeline was finding a deployment: release the upstream.
    await result.events[Symbol.asyncIterator]().return?.();
    return;
  }
  const headers = addRouteHeaders(baseHeaders(context, dialect), result.route, undefined, result.headers);
  headers['x-spillway-requested-model'] = request.model;
  headers['content-type'] = dialect.streamContentType ?? 'text/event-stream; charset=utf-8';
  headers['cache-control'] = 'no-cache';
  // Tells nginx-style proxies not to buffer the stream.
  headers['x-accel-buffering'] = 'no';
  res.writeHead(200, headers);
  await pumpStream(
    res,
    result.events,
    dialect.createStreamRenderer(
      servedBy(parsed, servedModel(result.route, request.model)),
      context.requestId,
      created,
    ),
    context,
    logger,
  );
}
