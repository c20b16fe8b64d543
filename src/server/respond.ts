import type { ServerResponse } from 'node:http';
import type { Dialect } from '../core/dialect-name.ts';
import { renderError } from '../errors/dialect-errors.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import type { RouteInfo } from '../pipeline/gateway.ts';

/** Outgoing headers as node:http takes them. */
export type Headers = Record<string, string | number>;

/** The headers every response carries: the request id (also as Anthropic's `request-id`). */
export function baseHeaders(requestId: string, dialect: Dialect): Headers {
  return dialect === 'anthropic'
    ? { 'x-request-id': requestId, 'request-id': requestId }
    : { 'x-request-id': requestId };
}

function formatCost(usd: number): string {
  // Fixed notation (never 1e-7), trailing zeros trimmed.
  return usd.toFixed(10).replace(/\.?0+$/, '');
}

/** Adds the x-spillway-* route headers (docs: spec/config.md, "Response headers") and the pipeline's own. */
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
 * headers. A 413 closes the connection: the rest of the body is never read.
 */
export function sendError(
  res: ServerResponse,
  error: GatewayError,
  dialect: Dialect,
  requestId: string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const rendered = renderError(error, dialect);
  const headers: Headers = baseHeaders(requestId, dialect);
  for (const name in rendered.headers) headers[name] = rendered.headers[name] as string;
  if (error.code === 'request_too_large') headers.connection = 'close';
  sendJson(res, rendered.status, headers, JSON.stringify(rendered.body));
}
