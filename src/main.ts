import type { SpillwayConfig } from './config/schema.ts';
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
import { packageVersion } from './version.ts';
import type { Logger } from 'pino';

/**
 * The composition root: the only place that picks implementations (memory or Redis state, SQLite or
 * PostgreSQL, which provider adapter per deployment: composition/) and wires them into the request
 * pipeline and the HTTP edge. What a process holds once (stores, governance, telemetry, loaded
 * adapters) is built by buildProcess; what serves requests (gateway, HTTP edge) by buildWorker,
 * which a multi-worker mode calls once per worker.
 */

export type StartGatewayOptions = ProcessOptions;
export { probeBackends, startProblems } from './composition/start-checks.ts';

export interface RunningGateway {
  /** http://host:port of the gateway. */
  readonly url: string;
  readonly port: number;
  /** The scrape URL: /metrics on the API port or on `telemetry.metrics_port`; undefined when metrics are off. */
  readonly metricsUrl: string | undefined;
  readonly logger: Logger;
  /** Whether requests need a key (tenants or keys exist, or `server.allow_anonymous: false`). */
  requiresKeys(): boolean;
  /** Applies a new config; throws (and keeps the old one) if it cannot be applied. */
  reload(config: SpillwayConfig, actor?: string): Promise<void>;
  /** Graceful stop: in-flight requests finish (up to `server.shutdown_grace_ms`), records are flushed. */
  close(): Promise<void>;
}

export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const parts = await buildProcess(options);
  const { logger, registry, audit, host } = parts;
  const startConfig = parts.config();
  // /metrics: on the API port, or only on telemetry.metrics_port; behind telemetry.metrics_token if set.
  const metrics = parts.telemetry.metrics;
  const metricsEndpoint = createMetricsEndpoint({
    serve: metrics === undefined ? undefined : (req, res) => metrics.handle(req, res),
    token: () => parts.config().telemetry?.metrics_token,
  });
  const metricsPort = startConfig.telemetry?.metrics_port;
  // One worker today; a multi-worker mode builds one per worker over the same process parts.
  const worker = buildWorker(parts, metricsEndpoint);
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
  const address = await worker.http.listen(port, host).catch((error: unknown) => {
    throw new StartupError('server.port', listenFailure(error, host, port), { cause: error });
  });
  const url = `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  parts.self.port = address.port;
  await parts.replicas.heartbeat();
  const metricsUrl = metrics === undefined ? undefined : `${metricsListener?.url ?? url}/metrics`;
  logger.info({ url, metricsUrl, replica: parts.replicaId, version: packageVersion }, 'listening');
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
    async reload(file: SpillwayConfig, actor = 'system') {
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
      await audit.recordAudit({
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
