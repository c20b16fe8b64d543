import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from '../core/node-http.ts';
import type { AddressInfo } from 'node:net';
import { authorizeAdmin } from './admin/admin-authorization.ts';

/**
 * GET /metrics as the operator configured it (`telemetry.metrics_port`, `telemetry.metrics_token`):
 * on the API port or on a listener of its own, behind a bearer token or not. Scrapers are
 * Prometheus-style clients, so refusals are plain text, like the exposition.
 */

/** Answers one HTTP request. */
export type MetricsHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface MetricsEndpointOptions {
  /** Writes the exposition (Metrics.handle); undefined when metrics are off (then 404). */
  readonly serve: MetricsHandler | undefined;
  /** The token scrapes must present as `Authorization: Bearer`, read per scrape (a reload applies it); undefined: none. */
  readonly token: () => string | undefined;
}

/** The /metrics handler: 404 when metrics are off, 401 without the configured token, else the exposition. */
export function createMetricsEndpoint(options: MetricsEndpointOptions): MetricsHandler {
  return async (req, res) => {
    if (options.serve === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are off (telemetry.metrics)\n');
      return;
    }
    // The admin API's check: a constant-time compare of the presented bearer token.
    if (authorizeAdmin(req, options.token()) === 'denied') {
      res
        .writeHead(401, {
          'content-type': 'text/plain',
          'www-authenticate': 'Bearer realm="spillway-metrics"',
          'cache-control': 'no-store',
        })
        .end('missing or invalid metrics token (Authorization: Bearer <telemetry.metrics_token>)\n');
      return;
    }
    await options.serve(req, res);
  };
}

/** A listener that serves only /metrics (telemetry.metrics_port). */
export interface MetricsListener {
  /** http://host:port of the listener (its /metrics is the scrape URL). */
  readonly url: string;
  /** The bound port (the OS's pick for port 0). */
  readonly port: number;
  /** Stops listening and drops its connections (scrapers keep theirs alive). */
  close(): Promise<void>;
}

/** Listens on `port` at `host` and answers /metrics with `handle`, 404 elsewhere. */
export function startMetricsListener(
  handle: MetricsHandler,
  port: number,
  host: string,
): Promise<MetricsListener> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this port serves /metrics only\n');
      return;
    }
    handle(req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`metrics failed: ${message}\n`);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shown = address.address.includes(':') ? `[${address.address}]` : address.address;
      resolve({
        url: `http://${shown}:${address.port}`,
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => {
              done();
            });
            // A scrape is short; a kept-alive scraper connection must not hold the shutdown.
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * The warning to log when anyone who reaches the API port can read /metrics (per-tenant cost and
 * tokens): metrics on the API port (`apiHost` given), no token, and a host other than loopback.
 */
export function publicMetricsWarning(
  settings: { readonly metrics?: boolean; readonly metrics_token?: string | undefined } | undefined,
  apiHost: string | undefined,
): string | undefined {
  if (apiHost === undefined || settings?.metrics === false || settings?.metrics_token !== undefined)
    return undefined;
  if (apiHost === 'localhost' || apiHost === '::1' || apiHost.startsWith('127.')) return undefined;
  return (
    `/metrics is served on the API port (${apiHost}) without a token: whoever reaches the API can read ` +
    "every tenant's cost and tokens. Set telemetry.metrics_port, telemetry.metrics_token or telemetry.tenant_labels: false"
  );
}
