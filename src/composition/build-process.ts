import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import { configHash } from '../config/config-hash.ts';
import type { SpillwayConfig } from '../config/schema.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import type { EventSink } from '../core/gateway-events.ts';
import type { ReadinessCheck } from '../core/readiness.ts';
import type { StateStore } from '../core/state-store.ts';
import { TrafficHistory } from '../dashboard/traffic-history.ts';
import { AuditLog } from '../governance/audit-log.ts';
import { BudgetTracker } from '../governance/budget-tracker.ts';
import { KeyAdministration } from '../governance/key-administration.ts';
import { KeyRegistry } from '../governance/key-registry.ts';
import { SpendRecorder } from '../governance/spend-recorder.ts';
import { openRepositories } from '../persistence/open-repositories.ts';
import type { Repositories } from '../persistence/repositories.ts';
import { createSharedState } from '../state/create-shared-state.ts';
import { MemoryStateStore } from '../state/memory-state-store.ts';
import { ReplicaRegistry, type ReplicaInfo } from '../state/replica-registry.ts';
import { combineSinks } from '../telemetry/combine-sinks.ts';
import { createTelemetry, type Telemetry } from '../telemetry/create-telemetry.ts';
import { packageVersion } from '../version.ts';
import { ProviderRegistry } from './provider-registry.ts';
import { databaseFailure } from './start-checks.ts';

/** What a gateway process is started with (main.ts's StartGatewayOptions). */
export interface ProcessOptions {
  readonly config: SpillwayConfig;
  /** Overrides `server.port` (0: the OS picks; tests and the demo use it). */
  readonly port?: number | undefined;
  readonly host?: string | undefined;
  readonly clock?: Clock | undefined;
  /** Default: JSON logs on stdout at `server.log_level`. */
  readonly logger?: Logger | undefined;
  /** Default: `.spillway/spool` beside the working directory. */
  readonly spoolDirectory?: string | undefined;
  /** Turns the access log off (the demo prints its own lines). */
  readonly accessLog?: boolean | undefined;
  /** A worker thread's: the process's replica id (all its workers are one replica). */
  readonly replicaId?: string | undefined;
  /** A worker thread's: its state (the main thread's store over a port); default from `state.*`. */
  readonly state?:
    ((self: ReplicaInfo, logger: Logger, telemetry: Telemetry) => Promise<StateParts>) | undefined;
}

/**
 * What is built once per process and shared by its workers: logs, telemetry, the state store and the
 * replica registry, the database and governance (keys, budgets, spend records, audit), the event
 * sink they all listen on, and the loaded provider adapters. A worker (build-worker.ts) adds what
 * serves requests.
 */
export interface ProcessParts {
  /** The running config; `applyConfig` replaces it. */
  readonly config: () => SpillwayConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly host: string;
  readonly replicaId: string;
  /** What the replica registry heartbeats (the port is set once a worker listens). */
  readonly self: { -readonly [K in keyof ReplicaInfo]: ReplicaInfo[K] };
  readonly telemetry: Telemetry;
  readonly state: StateStore;
  readonly replicas: ReplicaRegistry;
  readonly repositories: Repositories;
  readonly registry: KeyRegistry;
  readonly budget: BudgetTracker;
  readonly audit: AuditLog;
  readonly administration: KeyAdministration;
  /** Every pipeline event goes to telemetry, governance and the dashboard's history. */
  readonly events: EventSink;
  /** This process's spend records: the edge holds each response's end until its record is journaled. */
  readonly spend: Pick<SpendRecorder, 'holdResponse'>;
  /** The dashboard's time series of this process (requests, errors, latency, breakers, spend). */
  readonly history: TrafficHistory;
  readonly providers: ProviderRegistry;
  /** Readiness of the stores (`state`, `database`) for /health/ready. */
  storeChecks(): Readonly<Record<string, ReadinessCheck>>;
  /** Makes `next` the process's config (tenants, keys, replica hash); the workers apply it to their gateways. */
  applyConfig(next: SpillwayConfig): Promise<void>;
  /** Flushes and closes everything built here (after the workers have closed). */
  close(): Promise<void>;
}

export function defaultLogger(config: SpillwayConfig): Logger {
  return pino(
    {
      level: config.server.log_level,
      base: { service: 'spillway' },
      // The same line format as the access log: level names and ISO times.
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Defence in depth: nothing should log these, and if something does they never reach the log.
      redact: {
        paths: [
          'headers.authorization',
          'headers["x-api-key"]',
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          '*.api_key',
          '*.secret_access_key',
          '*.session_token',
          '*.admin_key',
          '*.keys',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination({ sync: false }),
  );
}

export interface StateParts {
  readonly state: StateStore;
  readonly replicas: ReplicaRegistry;
  readonly check: () => ReadinessCheck;
  readonly close: () => Promise<void>;
}

/** State: in memory for one process; Redis (with static stability) when `state.redis_url` is set. */
export async function buildState(
  config: SpillwayConfig,
  self: ReplicaInfo,
  clock: Clock,
  logger: Logger,
  telemetry: Telemetry,
  workers = 1,
): Promise<StateParts> {
  if (config.state?.redis_url !== undefined && config.state.redis_url !== '') {
    const shared = await createSharedState({
      workersPerReplica: workers,
      redisUrl: config.state.redis_url,
      redisTimeoutMs: config.state.redis_timeout_ms,
      redisBreakerTimeouts: config.state.redis_breaker_timeouts,
      self,
      logger,
    });
    const resilient = shared.resilient;
    resilient?.onDegradedChange((degraded) => {
      telemetry.metrics?.setStateStoreDegraded(degraded);
    });
    return {
      state: shared.store,
      replicas: shared.registry,
      // Redis away is degraded (limits enforced locally), not unready.
      check: () =>
        resilient?.degraded === true
          ? {
              status: 'degraded',
              detail: "Redis unreachable: limits enforced locally at this replica's share until it answers",
            }
          : { status: 'ok', detail: 'Redis' },
      close: () => shared.close(),
    };
  }
  const memory = new MemoryStateStore(clock);
  const replicas = new ReplicaRegistry({ store: memory, self, logger });
  await replicas.start();
  return {
    state: memory,
    replicas,
    check: () => ({ status: 'ok', detail: 'in memory (this process)' }),
    close: async () => {
      await replicas.stop();
      await memory.close();
    },
  };
}

/** Builds what a gateway process holds once, whatever its number of workers. */
export async function buildProcess(options: ProcessOptions): Promise<ProcessParts> {
  let config = options.config;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? defaultLogger(config);
  const onError = (context: string) => (error: unknown, detail?: string) => {
    logger.error({ err: error, detail }, context);
  };
  const host = options.host ?? config.server.host;
  const replicaId =
    options.replicaId ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  const telemetry = await createTelemetry({
    config:
      options.accessLog === false
        ? { ...config, telemetry: { metrics: true, traces: false, ...config.telemetry, access_log: false } }
        : config,
    clock,
    onSinkError: (error) => {
      logger.error({ err: error }, 'telemetry sink failed');
    },
    // Metric labels name only configured groups, deployments and tenants (else `unknown`); the
    // registry is built below, before the gateway emits any event.
    currentConfig: () => config,
    knownTenant: (name) => registry.hasTenant(name),
  });
  // Mutable: the port is known only once listening (port 0) and the hash changes on reload; the
  // registry heartbeats whatever this object says.
  const self: { -readonly [K in keyof ReplicaInfo]: ReplicaInfo[K] } = {
    id: replicaId,
    version: packageVersion,
    configHash: configHash(config),
    startedAt: clock.now(),
    host,
    port: options.port ?? config.server.port,
  };
  const buildStateParts =
    options.state ?? ((who: ReplicaInfo) => buildState(config, who, clock, logger, telemetry));
  const state = await buildStateParts(self, logger, telemetry);

  // Governance: repositories, keys, budgets, spend records, audit.
  const repositories = await openRepositories(config.database).catch((error: unknown) => {
    throw databaseFailure(config.database, error);
  });
  const audit = new AuditLog({ audit: repositories.audit, clock, onError: onError('audit log') });
  const registry = await KeyRegistry.start({
    tenants: config.tenants,
    allowAnonymous: config.server.allow_anonymous,
    repositories,
    store: state.state,
    clock,
    onError: onError('key registry'),
  });
  const budget = new BudgetTracker({
    store: state.state,
    spend: repositories.spend,
    clock,
    onError: onError('budgets'),
  });
  await budget.start();
  const spend = new SpendRecorder({
    spend: repositories.spend,
    clock,
    ...(options.spoolDirectory === undefined ? {} : { spoolDirectory: options.spoolDirectory }),
    onError: onError('spend records'),
  });
  spend.start();
  const databaseKind =
    config.database?.url === undefined || config.database.url === '' ? 'SQLite' : 'PostgreSQL';
  // Readiness of the database: failing spend flushes mean it is away; records wait (memory, spool).
  const databaseCheck = (): ReadinessCheck => {
    const stats = spend.stats();
    return stats.consecutiveFailures === 0
      ? { status: 'ok', detail: databaseKind }
      : {
          status: 'degraded',
          detail: `${databaseKind} unreachable: spend records wait (${stats.buffered} in memory, ${stats.spooled} spooled) and are stored when it answers`,
        };
  };
  const administration = new KeyAdministration({
    repositories,
    registry,
    audit,
    configTenantNames: () => Object.keys(config.tenants),
    clock,
  });

  // The dashboard's charts: bounded rings of buckets counted from the same events.
  const history = new TrafficHistory({ clock, knownGroup: (name) => Object.hasOwn(config.models, name) });

  // Every pipeline event goes to telemetry (metrics, traces, access log), governance (budgets,
  // spend records, audit) and the dashboard's history; a sink that throws never reaches the request path.
  const events = combineSinks([telemetry.sink, budget, spend, audit, history], (error) => {
    logger.error({ err: error }, 'event sink failed');
  });

  const providers = new ProviderRegistry(clock);
  await providers.load(config);

  return {
    config: () => config,
    clock,
    logger,
    host,
    replicaId,
    self,
    telemetry,
    state: state.state,
    replicas: state.replicas,
    repositories,
    registry,
    budget,
    audit,
    administration,
    events,
    spend,
    history,
    providers,
    storeChecks: () => ({ state: state.check(), database: databaseCheck() }),
    async applyConfig(next) {
      registry.updateConfig(next.tenants, next.server.allow_anonymous);
      config = next;
      self.configHash = configHash(next);
      await state.replicas.heartbeat();
    },
    async close() {
      await spend.close();
      await audit.flush();
      await budget.close();
      await registry.close();
      await telemetry.shutdown();
      await state.close();
      await repositories.close();
    },
  };
}
