import { createDashboardRoutes } from '../dashboard/dashboard-routes.ts';
import { createGateway, type SpillwayGateway } from '../pipeline/create-gateway.ts';
import { createAdminHandler } from '../server/admin/create-admin-handler.ts';
import { createReplicasRoute } from '../server/admin/replicas-route.ts';
import { createHttpServer, type ExtraRoute, type HttpServer } from '../server/http-server.ts';
import type { MetricsHandler } from '../server/metrics-endpoint.ts';
import { sendJson } from '../server/respond.ts';
import type { SpillwayConfig } from '../config/schema.ts';
import type { WorkerSeat } from './running-gateway.ts';
import { packageVersion } from '../version.ts';
import type { ProcessParts } from './build-process.ts';
import { GroupStages, type StageParts } from './build-stages.ts';

/**
 * What serves requests, built once per worker over the process's shared parts: the gateway (its
 * routing table and chat models with their connection pools) and the HTTP edge with its mounted
 * routes (/metrics unless it has its own port, admin API, dashboard, /version).
 */
export interface Worker {
  readonly gateway: SpillwayGateway;
  readonly http: HttpServer;
  /** Applies a config the process has already loaded the adapters of; throws (keeping the old) if it cannot be routed. */
  applyConfig(next: SpillwayConfig): void;
}

/**
 * Builds one worker (`workerIndex`: its thread's, shown by /version). `metricsEndpoint` serves /metrics on the API port when no metrics port is set.
 * The caller listens (`http.listen`) and, to stop, shuts the edge down (`http.shutdown`) before
 * closing the gateway (`gateway.close`) and then the process parts.
 */
export function buildWorker(
  parts: ProcessParts,
  metricsEndpoint: MetricsHandler,
  seat?: Pick<WorkerSeat, 'index' | 'check' | 'dashboard'>,
): Worker {
  const workerIndex = seat?.index;
  const workersCheck = seat?.check;
  const { clock, logger, telemetry } = parts;
  const config = parts.config;
  const adminKey = () => config().server.admin_key;
  // Semantic caches embed through this gateway's own pipeline; it is built next, hence the late binding.
  const embed: NonNullable<StageParts['embed']> = (request, context) => gateway.embed(request, context);
  const chat: NonNullable<StageParts['chat']> = (request, context) => gateway.chat(request, context);
  const stages = new GroupStages({ state: parts.state, events: parts.events, clock, embed, chat }, config());
  const gateway: SpillwayGateway = createGateway({
    config: config(),
    createChatModel: (target) => parts.providers.create(target),
    state: parts.state,
    clock,
    events: parts.events,
    authenticator: parts.registry,
    budget: parts.budget,
    logger,
    traceparentFor: (requestId) => telemetry.traceparentFor(requestId),
    storeChecks:
      workersCheck === undefined
        ? () => parts.storeChecks()
        : () => ({ ...parts.storeChecks(), workers: workersCheck() }),
    stages: stages.resolve,
  });
  const admin = createAdminHandler({
    adminKey,
    administration: parts.administration,
    repositories: parts.repositories,
    clock,
    bodyTimeoutMs: config().server.body_timeout_ms,
    guardrailNames: () => Object.keys(config().guardrails ?? {}),
  });
  const routes: ExtraRoute[] = [
    // /metrics: on the API port, or only on telemetry.metrics_port (its own listener, main.ts).
    ...(config().telemetry?.metrics_port === undefined
      ? [{ prefix: '/metrics', handle: metricsEndpoint }]
      : []),
    {
      method: 'GET',
      prefix: '/admin/replicas',
      handle: createReplicasRoute(adminKey, parts.replicas),
    },
    // The operator's page at /dashboard, its GET /admin/dashboard/summary and /history (admin key).
    ...createDashboardRoutes({
      adminKey,
      registry: telemetry.metrics?.registry,
      config,
      clock,
      history: parts.history,
      sources: seat?.dashboard,
    }),
    { prefix: '/admin', handle: (req, res, url) => admin(req, res, url) },
    {
      method: 'GET',
      prefix: '/version',
      handle: (_req, res) => {
        sendJson(
          res,
          200,
          {},
          JSON.stringify({
            version: packageVersion,
            replica: parts.replicaId,
            config_hash: parts.self.configHash,
            // Which worker thread answered (server.workers > 1).
            ...(workerIndex === undefined ? {} : { worker: workerIndex }),
          }),
        );
      },
    },
  ];
  const http = createHttpServer({
    gateway,
    logger,
    maxBodyBytes: config().server.max_body_bytes,
    bodyTimeoutMs: config().server.body_timeout_ms,
    clock,
    routes,
    // A response ends only once its spend record is in the journal (decision 0033).
    holdResponseEnd: (release) => parts.spend.holdResponse(release),
  });
  return {
    gateway,
    http,
    applyConfig: (next) => {
      gateway.applyConfig(next);
      stages.apply(next);
    },
  };
}
