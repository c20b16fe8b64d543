import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import type { SpillwayConfig } from '../config/schema.ts';
import type { Clock } from '../core/clock.ts';
import type { ExtraRoute } from '../server/http-server.ts';
import { requireAdmin, sendAdminJson } from '../server/admin/admin-authorization.ts';
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

const sendJson = sendAdminJson;

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
          sendJson(res, 404, {
            error: {
              message: `no admin route GET ${url.pathname}`,
              type: 'invalid_request_error',
              param: null,
              code: 'not_found',
            },
          });
          return;
        }
        if (!requireAdmin(req, res, options.adminKey())) return;
        sendJson(res, 200, await summary.read());
      },
    },
    { prefix: '/dashboard', handle: serveStatic },
  ];
}
