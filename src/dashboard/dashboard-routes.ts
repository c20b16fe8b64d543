import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import type { SpillwayConfig } from '../config/schema.ts';
import type { Clock } from '../core/clock.ts';
import type { ExtraRoute } from '../server/http-server.ts';
import { requireAdmin, sendAdminJson } from '../server/admin/admin-authorization.ts';
import { DashboardSummaryBuilder } from './dashboard-summary.ts';
import { historyRanges, historyView } from './history-view.ts';
import { createStaticHandler, loadStaticFiles } from './static-files.ts';
import type { HistoryRange, TrafficHistory } from './traffic-history.ts';

export interface DashboardRoutesOptions {
  /** The current `server.admin_key`; undefined: the summary answers 404 (the page still loads). */
  readonly adminKey: () => string | undefined;
  /** The metrics registry (undefined when metrics are off). */
  readonly registry: Registry | undefined;
  /** The current configuration (deployments, regions, group descriptions). */
  readonly config: () => SpillwayConfig;
  readonly clock: Clock;
  /** The process's time series (fed by the pipeline's events) for `GET /admin/dashboard/history`. */
  readonly history: TrafficHistory;
  /**
   * Where the summary and the history are read when this is one worker thread of several: the whole
   * process's (every worker's metrics and history, gathered by the main thread). Default: this
   * thread's `registry` and `history`.
   */
  readonly sources?: DashboardSources | undefined;
}

/** The metrics and the history the dashboard reads. */
export interface DashboardSources {
  registry(): Promise<Registry | undefined>;
  history(rangeMs: number): Promise<HistoryRange>;
}

const sendJson = sendAdminJson;

function notFound(res: ServerResponse, url: URL): void {
  sendJson(res, 404, {
    error: {
      message: `no admin route GET ${url.pathname}`,
      type: 'invalid_request_error',
      param: null,
      code: 'not_found',
    },
  });
}

const exact = (url: URL, path: string): boolean => url.pathname.replace(/\/+$/, '') === path;

const staticDirectory = fileURLToPath(new URL('./static/', import.meta.url));

/**
 * The operator's dashboard: `GET /admin/dashboard/summary` (bearer admin key; traffic and deployments
 * from the metrics registry), `GET /admin/dashboard/history?range=` (the same key; time series of this
 * process) and the static page at `/dashboard`. Mount them before `/admin`.
 */
export function createDashboardRoutes(options: DashboardRoutesOptions): ExtraRoute[] {
  const sources = options.sources;
  const summary = new DashboardSummaryBuilder({
    registry: options.registry,
    ...(sources === undefined ? {} : { readRegistry: () => sources.registry() }),
    config: options.config,
    clock: options.clock,
  });
  const serveStatic = createStaticHandler('/dashboard', loadStaticFiles(staticDirectory), 'index.html');
  return [
    {
      method: 'GET',
      prefix: '/admin/dashboard/summary',
      handle: async (req, res, url) => {
        if (!exact(url, '/admin/dashboard/summary')) {
          notFound(res, url);
          return;
        }
        if (!requireAdmin(req, res, options.adminKey())) return;
        sendJson(res, 200, await summary.read());
      },
    },
    {
      method: 'GET',
      prefix: '/admin/dashboard/history',
      handle: async (req, res, url) => {
        if (!exact(url, '/admin/dashboard/history')) {
          notFound(res, url);
          return;
        }
        if (!requireAdmin(req, res, options.adminKey())) return;
        const range = url.searchParams.get('range') ?? '1h';
        if (!Object.hasOwn(historyRanges, range)) {
          sendJson(res, 400, {
            error: {
              message: `range must be one of ${Object.keys(historyRanges).join(', ')}; got ${JSON.stringify(range.slice(0, 40))}`,
              type: 'invalid_request_error',
              param: 'range',
              code: 'invalid_request',
            },
          });
          return;
        }
        const rangeMs = historyRanges[range] ?? 0;
        const read = sources === undefined ? options.history.read(rangeMs) : await sources.history(rangeMs);
        sendJson(res, 200, historyView(read, range, options.config(), options.history.tiers));
      },
    },
    { prefix: '/dashboard', handle: serveStatic },
  ];
}
