import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import type { SpillwayConfig } from '../config/schema.ts';
import type { Clock } from '../core/clock.ts';
import type { ExtraRoute } from '../server/http-server.ts';
import { authorizeAdmin } from './admin-authorization.ts';
import { DashboardSummaryBuilder } from './dashboard-summary.ts';
import { createStaticHandler, loadStaticFiles } from './static-files.ts';

export interface DashboardRoutesOptions {
  /** The current `server.admin_key`; undefined: the summary answers 404 (the page still loads). */
  readonly adminKey: () => string | undefined;
  /** The metrics registry (undefined when metrics are off). */
  readonly registry: Registry | undefined;
  /** The current configuration (deployments, regions, group descriptions). */
  readonly config: () => SpillwayConfig;
  readonly clock: Clock;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const staticDirectory = fileURLToPath(new URL('./static/', import.meta.url));

/**
 * The operator's dashboard: `GET /admin/dashboard/summary` (bearer admin key; traffic and deployments
 * from the metrics registry) and the static page at `/dashboard`. Mount them before `/admin`.
 */
export function createDashboardRoutes(options: DashboardRoutesOptions): ExtraRoute[] {
  const summary = new DashboardSummaryBuilder({
    registry: options.registry,
    config: options.config,
    clock: options.clock,
  });
  const serveStatic = createStaticHandler('/dashboard', loadStaticFiles(staticDirectory), 'index.html');
  return [
    {
      method: 'GET',
      prefix: '/admin/dashboard/summary',
      handle: async (req, res, url) => {
        if (url.pathname.replace(/\/+$/, '') !== '/admin/dashboard/summary') {
          sendJson(res, 404, { error: { message: `no admin route GET ${url.pathname}`, type: 'not_found' } });
          return;
        }
        switch (authorizeAdmin(req, options.adminKey())) {
          case 'off':
            sendJson(res, 404, {
              error: { message: 'the admin API is off (no server.admin_key)', type: 'not_found' },
            });
            return;
          case 'denied':
            sendJson(res, 401, {
              error: { message: 'a valid admin key is required', type: 'authentication_error' },
            });
            return;
          case 'allowed':
            sendJson(res, 200, await summary.read());
            return;
        }
      },
    },
    { prefix: '/dashboard', handle: serveStatic },
  ];
}
