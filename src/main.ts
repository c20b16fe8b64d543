import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import type { ProviderConfig, SpillwayConfig } from './config/schema.ts';
import type { ChatModel } from './core/chat-model.ts';
import type { Clock } from './core/clock.ts';
import { systemClock } from './core/clock.ts';
import { listenFailure, StartupError, systemErrorCode } from './core/startup-error.ts';
import type { DeploymentConfig } from './config/schema.ts';
import { AuditLog } from './governance/audit-log.ts';
import { BudgetTracker } from './governance/budget-tracker.ts';
import { KeyAdministration } from './governance/key-administration.ts';
import { KeyRegistry } from './governance/key-registry.ts';
import { SpendRecorder } from './governance/spend-recorder.ts';
import { openRepositories } from './persistence/open-repositories.ts';
import { PostgresDriver } from './persistence/postgres-driver.ts';
import { createRedisClient, parseRedisUrl, redact } from './state/redis-connection.ts';
import type { ConfigProblem } from './config/load-config.ts';
import { createGateway, type SpillwayGateway } from './pipeline/create-gateway.ts';
import type { createAnthropicChatModel } from './providers/anthropic/anthropic-chat-model.ts';
import type { createBedrockChatModel } from './providers/bedrock/create-bedrock-chat-model.ts';
import type { createOpenAIChatModel } from './providers/openai/openai-chat-model.ts';
import { planReload } from './config/plan-reload.ts';
import { createAdminHandler } from './server/admin/create-admin-handler.ts';
import { createHttpServer, type ExtraRoute } from './server/http-server.ts';
import {
  createMetricsEndpoint,
  publicMetricsWarning,
  startMetricsListener,
} from './server/metrics-endpoint.ts';
import { sendJson } from './server/respond.ts';
import { createSharedState } from './state/create-shared-state.ts';
import { MemoryStateStore } from './state/memory-state-store.ts';
import { ReplicaRegistry, type ReplicaInfo } from './state/replica-registry.ts';
import type { ReadinessCheck } from './core/readiness.ts';
import type { StateStore } from './core/state-store.ts';
import { combineSinks } from './telemetry/combine-sinks.ts';
import { createTelemetry } from './telemetry/create-telemetry.ts';
import { configHash } from './config/config-hash.ts';
import { packageVersion } from './version.ts';
import { createReplicasRoute } from './server/admin/replicas-route.ts';
import { createDashboardRoutes } from './dashboard/dashboard-routes.ts';

/**
 * The composition root: the only file that picks implementations (memory or Redis state, SQLite or
 * PostgreSQL, which provider adapter per deployment) and wires them into the request pipeline and
 * the HTTP edge.
 */

export interface StartGatewayOptions {
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
  /** Applies a new config; throws (and keeps the old one) if it cannot be applied. */
  reload(config: SpillwayConfig, actor?: string): Promise<void>;
  /** Graceful stop: in-flight requests finish (up to `server.shutdown_grace_ms`), records are flushed. */
  close(): Promise<void>;
}

/** The adapter constructors loaded so far, by provider type. */
interface ChatModelConstructors {
  bedrock?: typeof createBedrockChatModel;
  openai?: typeof createOpenAIChatModel;
  anthropic?: typeof createAnthropicChatModel;
}

/**
 * Loads the adapters of the provider types a config uses (at start and before a reload is applied):
 * each pulls in its own dependencies (the AWS SDK for Bedrock), which a gateway without such a
 * provider never needs in memory.
 */
async function loadChatModelConstructors(
  config: SpillwayConfig,
  loaded: ChatModelConstructors,
): Promise<void> {
  const types = new Set(Object.values(config.providers).map((provider) => provider.type));
  if (types.has('bedrock'))
    loaded.bedrock ??= (
      await import('./providers/bedrock/create-bedrock-chat-model.ts')
    ).createBedrockChatModel;
  if (types.has('openai'))
    loaded.openai ??= (await import('./providers/openai/openai-chat-model.ts')).createOpenAIChatModel;
  if (types.has('anthropic'))
    loaded.anthropic ??= (
      await import('./providers/anthropic/anthropic-chat-model.ts')
    ).createAnthropicChatModel;
}

function chatModelFactory(clock: Clock, loaded: ChatModelConstructors) {
  const missing = (type: string): never => {
    throw new Error(`the ${type} adapter was not loaded before its deployment was built`);
  };
  return (target: {
    providerName: string;
    provider: ProviderConfig;
    deployment: DeploymentConfig;
  }): ChatModel => {
    const { providerName, provider, deployment } = target;
    switch (provider.type) {
      case 'bedrock':
        return (loaded.bedrock ?? missing(provider.type))({
          providerName,
          config: provider,
          modelId: deployment.model,
          clock,
        });
      case 'openai':
        return (loaded.openai ?? missing(provider.type))({
          providerName,
          config: provider,
          modelId: deployment.model,
          clock,
        });
      case 'anthropic':
        return (loaded.anthropic ?? missing(provider.type))({
          providerName,
          config: provider,
          modelId: deployment.model,
          clock,
        });
    }
  };
}

/**
 * What `serve` would refuse in a config that validates (`config check` runs it too): no model
 * groups (the gateway would serve nothing), a Redis URL its client cannot use.
 */
export function startProblems(config: SpillwayConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (Object.keys(config.models).length === 0)
    problems.push({ path: 'models', message: 'no model groups: the gateway would serve no models' });
  const redisUrl = config.state?.redis_url;
  if (redisUrl !== undefined && redisUrl !== '') {
    try {
      parseRedisUrl(redisUrl);
    } catch (error) {
      problems.push({
        path: 'state.redis_url',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return problems;
}

/** `config check --connect`: connects to the configured PostgreSQL and Redis once; a problem per failure. */
export async function probeBackends(config: SpillwayConfig, timeoutMs = 5000): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  const databaseUrl = config.database?.url;
  if (databaseUrl !== undefined && databaseUrl !== '') {
    const driver = new PostgresDriver(databaseUrl, { maxConnections: 1, connectionTimeoutMs: timeoutMs });
    try {
      await driver.query('SELECT 1');
    } catch (error) {
      problems.push({ path: 'database.url', message: databaseFailure(config.database, error).message });
    } finally {
      await driver.close().catch(() => undefined);
    }
  }
  const redisUrl = config.state?.redis_url;
  if (redisUrl !== undefined && redisUrl !== '') {
    const client = createRedisClient(parseRedisUrl(redisUrl), {
      enableOfflineQueue: true,
      maxRetriesPerRequest: 0,
      connectTimeout: timeoutMs,
    });
    client.on('error', () => undefined);
    try {
      await Promise.race([
        client.ping(),
        new Promise((_resolve, reject) =>
          setTimeout(() => {
            reject(new Error(`no answer in ${timeoutMs} ms`));
          }, timeoutMs).unref(),
        ),
      ]);
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)) || 'failed';
      problems.push({
        path: 'state.redis_url',
        message: `cannot reach Redis at ${redact(redisUrl)}: ${reason}`,
      });
    } finally {
      client.disconnect();
    }
  }
  return problems;
}

/** A database that cannot be opened at start, named by its config path (never with its password). */
function databaseFailure(database: SpillwayConfig['database'], error: unknown): StartupError {
  // A refused connection to a name with two addresses is an AggregateError with an empty message.
  const reason =
    (error instanceof Error ? error.message : String(error)) || (systemErrorCode(error) ?? 'failed');
  const url = database?.url;
  if (url === undefined || url === '') {
    const path = database?.path ?? './spillway.db';
    return new StartupError('database.path', `cannot open the SQLite file ${path}: ${reason}`, {
      cause: error,
    });
  }
  let where = 'the configured server';
  try {
    const parsed = new URL(url);
    where = `${parsed.hostname}:${parsed.port === '' ? '5432' : parsed.port}${parsed.pathname}`;
  } catch {
    // The schema checks the URL; keep the message without the address if it still does not parse.
  }
  return new StartupError('database.url', `cannot connect to PostgreSQL at ${where}: ${reason}`, {
    cause: error,
  });
}

export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  let config = options.config;
  const clock = options.clock ?? systemClock;
  const logger =
    options.logger ??
    pino(
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
  const onError = (context: string) => (error: unknown, detail?: string) => {
    logger.error({ err: error, detail }, context);
  };
  const host = options.host ?? config.server.host;
  const replicaId = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  // State: in-memory for one process; Redis (with static stability) when configured.
  let state: StateStore;
  let replicas: ReplicaRegistry;
  let closeState: () => Promise<void>;
  // Readiness of the limits store: Redis away is degraded (limits enforced locally), not unready.
  let stateCheck: () => ReadinessCheck = () => ({ status: 'ok', detail: 'in memory (this process)' });
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
  if (config.state?.redis_url !== undefined && config.state.redis_url !== '') {
    const shared = await createSharedState({
      redisUrl: config.state.redis_url,
      redisTimeoutMs: config.state.redis_timeout_ms,
      redisBreakerTimeouts: config.state.redis_breaker_timeouts,
      self,
      logger,
    });
    state = shared.store;
    replicas = shared.registry;
    shared.resilient?.onDegradedChange((degraded) => {
      telemetry.metrics?.setStateStoreDegraded(degraded);
    });
    closeState = () => shared.close();
    const resilient = shared.resilient;
    stateCheck = () =>
      resilient?.degraded === true
        ? {
            status: 'degraded',
            detail: "Redis unreachable: limits enforced locally at this replica's share until it answers",
          }
        : { status: 'ok', detail: 'Redis' };
  } else {
    const memory = new MemoryStateStore(clock);
    state = memory;
    replicas = new ReplicaRegistry({ store: memory, self, logger });
    await replicas.start();
    closeState = async () => {
      await replicas.stop();
      await memory.close();
    };
  }

  // Governance: repositories, keys, budgets, spend records, audit.
  const repositories = await openRepositories(config.database).catch((error: unknown) => {
    throw databaseFailure(config.database, error);
  });
  const audit = new AuditLog({ audit: repositories.audit, clock, onError: onError('audit log') });
  const registry = await KeyRegistry.start({
    tenants: config.tenants,
    allowAnonymous: config.server.allow_anonymous,
    repositories,
    store: state,
    clock,
    onError: onError('key registry'),
  });
  const budget = new BudgetTracker({
    store: state,
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

  // Every pipeline event goes to telemetry (metrics, traces, access log) and governance (budgets,
  // spend records, audit); a sink that throws never reaches the request path.
  const events = combineSinks([telemetry.sink, budget, spend, audit], (error) => {
    logger.error({ err: error }, 'event sink failed');
  });

  const chatModelConstructors: ChatModelConstructors = {};
  await loadChatModelConstructors(config, chatModelConstructors);
  const gateway: SpillwayGateway = createGateway({
    config,
    createChatModel: chatModelFactory(clock, chatModelConstructors),
    state,
    clock,
    events,
    authenticator: registry,
    budget,
    logger,
    traceparentFor: (requestId) => telemetry.traceparentFor(requestId),
    storeChecks: () => ({ state: stateCheck(), database: databaseCheck() }),
  });

  const admin = createAdminHandler({
    adminKey: () => config.server.admin_key,
    administration,
    repositories,
    clock,
    bodyTimeoutMs: config.server.body_timeout_ms,
  });
  // /metrics: on the API port, or only on telemetry.metrics_port; behind telemetry.metrics_token if set.
  const metrics = telemetry.metrics;
  const metricsEndpoint = createMetricsEndpoint({
    serve: metrics === undefined ? undefined : (req, res) => metrics.handle(req, res),
    token: () => config.telemetry?.metrics_token,
  });
  const metricsPort = config.telemetry?.metrics_port;
  const routes: ExtraRoute[] = [
    ...(metricsPort === undefined ? [{ prefix: '/metrics', handle: metricsEndpoint }] : []),
    {
      method: 'GET',
      prefix: '/admin/replicas',
      handle: createReplicasRoute(() => config.server.admin_key, replicas),
    },
    // The operator's page at /dashboard and its GET /admin/dashboard/summary (admin key).
    ...createDashboardRoutes({
      adminKey: () => config.server.admin_key,
      registry: telemetry.metrics?.registry,
      config: () => config,
      clock,
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
          JSON.stringify({ version: packageVersion, replica: replicaId, config_hash: self.configHash }),
        );
      },
    },
  ];
  const http = createHttpServer({
    gateway,
    logger,
    maxBodyBytes: config.server.max_body_bytes,
    bodyTimeoutMs: config.server.body_timeout_ms,
    clock,
    routes,
  });
  const metricsListener =
    metricsPort === undefined || metrics === undefined
      ? undefined
      : await startMetricsListener(metricsEndpoint, metricsPort, host).catch((error: unknown) => {
          throw new StartupError('telemetry.metrics_port', listenFailure(error, host, metricsPort), {
            cause: error,
          });
        });
  const port = options.port ?? config.server.port;
  const address = await http.listen(port, host).catch((error: unknown) => {
    throw new StartupError('server.port', listenFailure(error, host, port), { cause: error });
  });
  const url = `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  self.port = address.port;
  await replicas.heartbeat();
  const metricsUrl = metrics === undefined ? undefined : `${metricsListener?.url ?? url}/metrics`;
  logger.info({ url, metricsUrl, replica: replicaId, version: packageVersion }, 'listening');
  const exposure = publicMetricsWarning(config.telemetry, metricsListener === undefined ? host : undefined);
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
      await loadChatModelConstructors(next, chatModelConstructors);
      gateway.applyConfig(next);
      registry.updateConfig(next.tenants, next.server.allow_anonymous);
      const previousHash = configHash(config);
      config = next;
      self.configHash = configHash(next);
      await replicas.heartbeat();
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
        await http.shutdown(config.server.shutdown_grace_ms);
        await metricsListener?.close();
        await gateway.close();
        await spend.close();
        await audit.flush();
        await budget.close();
        await registry.close();
        await telemetry.shutdown();
        await closeState();
        await repositories.close();
      })();
      return closing;
    },
  };
}
