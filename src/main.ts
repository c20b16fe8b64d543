import type { SpillwayConfig } from './config/schema.ts';
import { snapshotOf } from './dashboard/merge-history.ts';
import { configHash } from './config/config-hash.ts';
import { planReload } from './config/plan-reload.ts';
import { buildProcess, type ProcessOptions } from './composition/build-process.ts';
import { buildWorker } from './composition/build-worker.ts';
import { listenFailure, StartupError } from './core/startup-error.ts';
import {
  createMetricsEndpoint,
  publicMetricsWarning,
  startMetricsListener,
} from './server/metrics-endpoint.ts';
import { join } from 'node:path';
import { adoptWorkerSpools } from './governance/worker-spools.ts';
import { startWorkerPool } from './composition/worker-pool.ts';
import { packageVersion } from './version.ts';
import type { RunningGateway, StartGatewayOptions, WorkerSeat } from './composition/running-gateway.ts';

/**
 * The composition root: the only place that picks implementations (memory or Redis state, SQLite or
 * PostgreSQL, which provider adapter per deployment: composition/) and wires them into the request
 * pipeline and the HTTP edge. What a process holds once (stores, governance, telemetry, loaded
 * adapters) is built by buildProcess; what serves requests (gateway, HTTP edge) by buildWorker,
 * which each worker thread calls (`server.workers`, composition/worker-pool.ts).
 */

export type { RunningGateway, StartGatewayOptions, WorkerSeat } from './composition/running-gateway.ts';
export { probeBackends, startProblems } from './composition/start-checks.ts';

export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const workers = options.workers ?? options.config.server.workers ?? 1;
  // Spend files a run with more workers left in spool/worker-N/ are replayed by this one.
  await adoptWorkerSpools(options.spoolDirectory ?? join('.spillway', 'spool'), workers);
  return workers > 1 ? startWorkerPool(options, workers, startOneGateway) : startOneGateway(options);
}

/** A gateway in this thread: the whole process, or one worker thread of it (`seat`). */
export async function startOneGateway(options: ProcessOptions, seat?: WorkerSeat): Promise<RunningGateway> {
  const parts = await buildProcess(options);
  const { logger, registry, host } = parts;
  const startConfig = parts.config();
  // /metrics: on the API port, or only on telemetry.metrics_port; behind telemetry.metrics_token if set.
  const metrics = parts.telemetry.metrics;
  const metricsEndpoint = createMetricsEndpoint({
    serve: metrics === undefined ? undefined : (seat?.metrics ?? ((req, res) => metrics.handle(req, res))),
    token: () => parts.config().telemetry?.metrics_token,
  });
  // A worker thread leaves the metrics port to the main thread.
  const metricsPort = seat === undefined ? startConfig.telemetry?.metrics_port : undefined;
  const worker = buildWorker(parts, metricsEndpoint, seat);
  const workers = [worker];
  const metricsListener =
    metricsPort === undefined || metrics === undefined
      ? undefined
      : await startMetricsListener(metricsEndpoint, metricsPort, host).catch((error: unknown) => {
          throw new StartupError('telemetry.metrics_port', listenFailure(error, host, metricsPort), {
            cause: error,
          });
        });
  const port = options.port ?? startConfig.server.port;
  const address = await worker.http.listen(port, host, seat?.reusePort).catch((error: unknown) => {
    throw new StartupError('server.port', listenFailure(error, host, port), { cause: error });
  });
  const url = `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  parts.self.port = address.port;
  await parts.replicas.heartbeat();
  const metricsUrl = metrics === undefined ? undefined : `${metricsListener?.url ?? url}/metrics`;
  if (seat === undefined) {
    logger.info({ url, metricsUrl, replica: parts.replicaId, version: packageVersion }, 'listening');
  }
  const exposure = publicMetricsWarning(
    startConfig.telemetry,
    metricsListener === undefined ? host : undefined,
  );
  if (exposure !== undefined) logger.warn({ metricsUrl }, exposure);

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    metricsUrl,
    logger,
    requiresKeys: () => registry.requiresKeys(),
    config: () => parts.config(),
    collectMetrics: async () => (await metrics?.registry.getMetricsAsJSON()) ?? [],
    collectHistory: (rangeMs) => Promise.resolve(snapshotOf(parts.history.read(rangeMs))),
    async reload(file: SpillwayConfig, actor = 'system', audit = true) {
      // Throws (the running config keeps serving) for a file that would leave no models or drop keys.
      const config = parts.config();
      const plan = planReload(config, file, {
        before: registry.requiresKeys(),
        after: registry.requiresKeys({ tenants: file.tenants, allowAnonymous: file.server.allow_anonymous }),
      });
      if (plan.notApplied.length > 0) {
        logger.warn(
          { notApplied: plan.notApplied },
          `not applied until restart: ${plan.notApplied.join(', ')}; old value kept`,
        );
      }
      const next = plan.config;
      // A file save and a SIGHUP for the same change arrive together: apply (and audit) it once.
      if (configHash(next) === configHash(config)) {
        logger.debug({ actor }, 'configuration unchanged; nothing to reload');
        return;
      }
      await parts.providers.load(next);
      for (const each of workers) each.applyConfig(next);
      const previousHash = configHash(config);
      await parts.applyConfig(next);
      if (audit)
        await parts.audit.recordAudit({
          actor,
          action: 'config.reloaded',
          target: 'config',
          details: { from: previousHash, to: configHash(next) },
        });
      logger.info({ configHash: configHash(next) }, 'configuration reloaded');
    },
    close() {
      closing ??= (async () => {
        await Promise.all(workers.map((each) => each.http.shutdown(parts.config().server.shutdown_grace_ms)));
        await metricsListener?.close();
        await Promise.all(workers.map((each) => each.gateway.close()));
        await parts.close();
      })();
      return closing;
    },
  };
}
