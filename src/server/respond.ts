import type { ServerResponse } from 'node:http';
import type { Dialect, ResponseHeaders } from '../dialects/dialect.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import type { RouteInfo } from '../pipeline/gateway.ts';

/** Outgoing headers as node:http takes them. */
export type Headers = ResponseHeaders;

/** A request's ids: the gateway's own, and the client's `x-request-id` when it sent one. */
export interface RequestIds {
  /** The gateway's unique id (`x-spillway-request-id`; the spend record's id). */
  readonly requestId: string;
  /** The client's `x-request-id`, echoed back as sent. */
  readonly clientRequestId?: string | undefined;
}

/**
 * The headers every response carries: `x-request-id` echoes the client's id (the gateway's own when
 * the client sent none; also in each header of the dialect's `requestIdHeaders`, e.g. Anthropic's
 * `request-id`), `x-spillway-request-id` is always the gateway's own unique id.
 */
export function baseHeaders(ids: RequestIds, dialect: Dialect): Headers {
  const echoed = ids.clientRequestId ?? ids.requestId;
  const headers: Headers = { 'x-request-id': echoed, 'x-spillway-request-id': ids.requestId };
  for (const name of dialect.requestIdHeaders) headers[name] = echoed;
  return headers;
}

function formatCost(usd: number): string {
  // Fixed notation (never 1e-7), trailing zeros trimmed.
  return usd.toFixed(10).replace(/\.?0+$/, '');
}

/** Adds the x-spillway-* route headers (README.md, "Try it") and the pipeline's own. */
export function addRouteHeaders(
  headers: Headers,
  route: RouteInfo,
  costUsd: number | undefined,
  extra: Readonly<Record<string, string>>,
): Headers {
  const target = route.target;
  if (target !== undefined) {
    headers['x-spillway-deployment'] = target.deployment;
    headers['x-spillway-model-group'] = target.group;
    headers['x-spillway-region'] = target.region;
  } else if (route.stage !== undefined) {
    // A stage answered (a cache hit): no deployment or region to name; its own headers say why.
    headers['x-spillway-model-group'] = route.stage.group;
  }
  headers['x-spillway-attempts'] = route.attempts;
  if (route.hedged === true) headers['x-spillway-hedged'] = 'true';
  if (costUsd !== undefined && Number.isFinite(costUsd)) headers['x-spillway-cost-usd'] = formatCost(costUsd);
  for (const name in extra) headers[name] = extra[name] as string;
  return headers;
}

/** Writes a complete JSON response. */
export function sendJson(res: ServerResponse, status: number, headers: Headers, body: string): void {
  headers['content-type'] = 'application/json';
  headers['content-length'] = Buffer.byteLength(body);
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * Writes an error in the client's dialect, with Retry-After / retry-after-ms and the error's own
 * headers. A 413 or 408 closes the connection (what is left of the body is not waited for).
 */
export function sendError(res: ServerResponse, error: GatewayError, dialect: Dialect, ids: RequestIds): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const rendered = dialect.renderError(error);
  const headers = baseHeaders(ids, dialect);
  for (const name in rendered.headers) headers[name] = rendered.headers[name] as string;
  if (error.closesConnection) headers.connection = 'close';
  sendJson(res, rendered.status, headers, rendered.body);
}
