import type { Logger } from 'pino';
import type { SpillwayConfig } from '../config/schema.ts';
import type { ReadinessCheck } from '../core/readiness.ts';
import type { DashboardSources } from '../dashboard/dashboard-routes.ts';
import type { HistorySnapshot } from '../dashboard/merge-history.ts';
import type { MetricsHandler } from '../server/metrics-endpoint.ts';
import type { WorkerMetrics } from '../telemetry/merge-metrics.ts';
import type { ProcessOptions } from './build-process.ts';

/** What main.ts's startGateway takes and returns (here so that worker-pool.ts can name them without a cycle). */

export interface StartGatewayOptions extends ProcessOptions {
  /**
   * Worker threads serving the port (default `server.workers`, else 1). Above 1 the options that
   * cannot cross threads (clock, logger) apply to the main thread only.
   */
  readonly workers?: number | undefined;
}

/** One worker thread's place in a multi-worker process (composition/worker-thread.ts). */
export interface WorkerSeat {
  readonly index: number;
  /** Serves /metrics: the whole process's view, merged by the main thread. */
  readonly metrics: MetricsHandler;
  /** Listen with SO_REUSEPORT (the port is shared with the other workers). */
  readonly reusePort: boolean;
  /**
   * The `workers` entry of /health/ready: down until every worker of the process listens, so a
   * balancer (or an operator's script) does not send traffic to a process that is still starting.
   */
  readonly check?: () => ReadinessCheck;
  /** Where the dashboard reads the process's metrics and history (every worker's, merged). */
  readonly dashboard?: DashboardSources;
}

export interface RunningGateway {
  /** http://host:port of the gateway. */
  readonly url: string;
  readonly port: number;
  /** The scrape URL: /metrics on the API port or on `telemetry.metrics_port`; undefined when metrics are off. */
  readonly metricsUrl: string | undefined;
  readonly logger: Logger;
  /** Whether requests need a key (tenants or keys exist, or `server.allow_anonymous: false`). */
  requiresKeys(): boolean;
  /** This thread's metrics as JSON, for a merged view of several workers (none when metrics are off). */
  collectMetrics(): Promise<WorkerMetrics>;
  /** The dashboard history of the last `rangeMs` as plain data (several workers: merged over them). */
  collectHistory(rangeMs: number): Promise<HistorySnapshot>;
  /** The running config (as the last reload applied it). */
  config(): SpillwayConfig;
  /** Applies a new config; throws (and keeps the old one) if it cannot be applied. `audit`: record it (default true). */
  reload(config: SpillwayConfig, actor?: string, audit?: boolean): Promise<void>;
  /** Graceful stop: in-flight requests finish (up to `server.shutdown_grace_ms`), records are flushed. */
  close(): Promise<void>;
}
