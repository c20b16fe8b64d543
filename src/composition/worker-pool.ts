import { hostname } from 'node:os';
import { mergeHistory, snapshotOf, type HistorySnapshot } from '../dashboard/merge-history.ts';
import { join } from 'node:path';
import { MessageChannel, Worker as Thread, type MessagePort } from 'node:worker_threads';
import { ConfigError, type ConfigProblem } from '../config/load-config.ts';
import { workerResourceLimits } from '../core/heap-settings.ts';
import { listenFailure, StartupError } from '../core/startup-error.ts';
import type { RunningGateway, StartGatewayOptions } from './running-gateway.ts';
import type { FromWorker, ToWorker, WorkerData } from './worker-messages.ts';
import { workerSpoolDirectory } from '../governance/worker-spools.ts';
import { openRepositories } from '../persistence/open-repositories.ts';
import {
  createMetricsEndpoint,
  publicMetricsWarning,
  startMetricsListener,
  type MetricsHandler,
} from '../server/metrics-endpoint.ts';
import { MemoryStateStore } from '../state/memory-state-store.ts';
import { serveStateStore } from '../state/port-state-store.ts';
import { mergeWorkerMetrics, type WorkerMetrics } from '../telemetry/merge-metrics.ts';
import { packageVersion } from '../version.ts';
import { defaultLogger } from './build-process.ts';
import { databaseFailure } from './start-checks.ts';

/**
 * `server.workers` > 1: N worker threads serve one port (SO_REUSEPORT: the kernel spreads the
 * connections), each a gateway of its own (worker-thread.ts) over the process's state. Without Redis
 * the main thread owns the one MemoryStateStore and answers every worker's state calls over a
 * MessagePort, so rpm/tpm/concurrency/budget limits are exact across workers; with Redis each worker
 * talks to Redis, as replicas do. The main thread runs migrations once, starts the workers, relays
 * reloads, merges /metrics into one view, drains every worker on close, and replaces a worker that
 * dies. docs/decisions/0027-workers.md.
 */

interface Seat {
  readonly index: number;
  readonly thread: Thread;
  readonly startedAt: number;
  readonly replies: Map<number, (message: FromWorker) => void>;
  closed: Promise<void>;
}

/** Platforms whose kernel spreads connections over sockets bound with SO_REUSEPORT. */
const reusePortPlatforms = new Set<string>(['linux', 'freebsd', 'sunos', 'aix']);
/** A worker that dies sooner than this after it started is not replaced (a crash loop): the process stops. */
const minimumLifetimeMs = 10_000;
/** A worker that does not answer a metrics scrape within this time is left out of it. */
const scrapeTimeoutMs = 5_000;
const entry = new URL(
  import.meta.url.endsWith('.ts') ? './worker-thread.ts' : './worker-thread.js',
  import.meta.url,
);

/** What the pool takes from its surroundings; the defaults are the process's own (tests replace them). */
export interface PoolSurroundings {
  /** The platform, for the SO_REUSEPORT check (default `process.platform`). */
  readonly platform?: string;
  /** A worker that dies sooner than this after it started is not replaced (default 10 s). */
  readonly minimumLifetimeMs?: number;
  /** Milliseconds now, for a worker's age (default `Date.now`). */
  readonly now?: () => number;
  /** After a crash loop or a failed replacement has closed the pool (default: exit with code 1). */
  readonly giveUp?: () => void;
  /** Each worker thread as it starts (a test ends one from outside to see it replaced). */
  readonly started?: (index: number, thread: Thread) => void;
}

/** Starts `count` worker threads on one port; `single` starts one in this thread where SO_REUSEPORT is missing. */
export async function startWorkerPool(
  options: StartGatewayOptions,
  count: number,
  single: (options: StartGatewayOptions) => Promise<RunningGateway>,
  surroundings: PoolSurroundings = {},
): Promise<RunningGateway> {
  const logger = options.logger ?? defaultLogger(options.config);
  const platform = surroundings.platform ?? process.platform;
  const shortestLife = surroundings.minimumLifetimeMs ?? minimumLifetimeMs;
  const now = surroundings.now ?? Date.now;
  const giveUp =
    surroundings.giveUp ??
    (() => {
      process.exit(1);
    });
  if (!reusePortPlatforms.has(platform)) {
    logger.warn({ platform }, `server.workers: ${count} needs SO_REUSEPORT; running 1 worker`);
    return single({ ...options, workers: 1 });
  }
  let config = options.config;
  let requiresKeys = false;
  const host = options.host ?? config.server.host;
  const replicaId = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const spool = options.spoolDirectory ?? join('.spillway', 'spool');
  const redis = config.state?.redis_url !== undefined && config.state.redis_url !== '';
  const memory = redis
    ? undefined
    : new MemoryStateStore(undefined, (error, channel) => {
        logger.error({ err: error, channel }, 'state store: a subscriber threw');
      });
  const servedStores = new Set<{ close(): Promise<void> }>();
  // Migrations run once, here, before any worker opens the database.
  const repositories = await openRepositories(config.database).catch((error: unknown) => {
    throw databaseFailure(config.database, error);
  });
  await repositories.close();

  const seats: (Seat | undefined)[] = Array.from({ length: count }, () => undefined);
  let stopping = false;
  // Until every first worker listens, each one's /health/ready says down (replacements start serving).
  let serving = false;
  let nextId = 1;
  /** Replacements still starting. */
  const replacing = new Set<Promise<void>>();
  const live = (): Seat[] => seats.filter((seat): seat is Seat => seat !== undefined);
  const ask = (seat: Seat, message: ToWorker & { id: number }): Promise<FromWorker> =>
    new Promise((resolve) => {
      seat.replies.set(message.id, resolve);
      seat.thread.postMessage(message);
    });

  /** Every live worker's answer to `message` (one that does not answer in time is left out). */
  async function gather(
    message: () => ToWorker & { id: number },
  ): Promise<{ seat: Seat; reply: FromWorker }[]> {
    const all = await Promise.all(
      live().map(async (seat) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<undefined>((resolve) => {
          timer = setTimeout(() => {
            resolve(undefined);
          }, scrapeTimeoutMs);
        });
        const reply = await Promise.race([ask(seat, message()), timeout]);
        clearTimeout(timer);
        return reply === undefined ? [] : [{ seat, reply }];
      }),
    );
    return all.flat();
  }
  const metricsOf = async (): Promise<WorkerMetrics[]> =>
    (await gather(() => ({ kind: 'collect', id: nextId++ }))).flatMap(({ reply }) =>
      reply.kind === 'metrics' ? [reply.metrics] : [],
    );
  const historyOf = async (rangeMs: number): Promise<{ index: number; snapshot: HistorySnapshot }[]> =>
    (await gather(() => ({ kind: 'collect-history', id: nextId++, rangeMs }))).flatMap(({ seat, reply }) =>
      reply.kind === 'history' ? [{ index: seat.index, snapshot: reply.snapshot }] : [],
    );

  async function merged(): Promise<{ text: string; contentType: string }> {
    return mergeWorkerMetrics(await metricsOf());
  }

  function spawn(index: number, port: number): Promise<Seat> {
    let statePort: MessagePort | undefined;
    let served: { close(): Promise<void> } | undefined;
    if (memory !== undefined) {
      const channel = new MessageChannel();
      served = serveStateStore(channel.port1, memory, (error) => {
        logger.warn({ err: error, worker: index }, 'state store call failed');
      });
      servedStores.add(served);
      statePort = channel.port2;
    }
    const data: WorkerData = {
      config,
      index,
      count,
      port,
      host,
      replicaId,
      spoolDirectory: workerSpoolDirectory(spool, index),
      accessLog: options.accessLog,
      statePort,
      serving,
    };
    const thread = new Thread(entry, {
      workerData: data,
      transferList: statePort === undefined ? [] : [statePort],
      name: `spillway-worker-${index}`,
      // The gateway process's young generation (a worker does not inherit --max-semi-space-size).
      resourceLimits: workerResourceLimits(),
    });
    surroundings.started?.(index, thread);
    let closedNow = (): void => undefined;
    const seat: Seat = {
      index,
      thread,
      startedAt: now(),
      replies: new Map(),
      closed: new Promise<void>((resolve) => {
        closedNow = resolve;
      }),
    };
    return new Promise((resolve, reject) => {
      let started = false;
      thread.on('message', (message: FromWorker) => {
        if (message.kind === 'ready') {
          started = true;
          if (index === 0) requiresKeys = message.requiresKeys;
          resolve({ ...seat, port: message.port } as Seat & { port: number });
        } else if (message.kind === 'failed') {
          reject(
            message.setting === undefined
              ? new Error(message.message)
              : new StartupError(message.setting, message.message),
          );
        } else if (message.kind === 'gather') {
          const answer = (
            metrics: WorkerMetrics[],
            history: { index: number; snapshot: HistorySnapshot }[],
          ) => {
            thread.postMessage({ kind: 'gathered', id: message.id, metrics, history } satisfies ToWorker);
          };
          (message.what === 'metrics'
            ? metricsOf().then((metrics) => {
                answer(metrics, []);
              })
            : historyOf(message.rangeMs).then((history) => {
                answer([], history);
              })
          ).catch(() => {
            answer([], []);
          });
        } else if (message.kind === 'closed') {
          closedNow();
        } else {
          seat.replies.get(message.id)?.(message);
          seat.replies.delete(message.id);
        }
      });
      thread.on('error', (error) => {
        logger.error({ err: error, worker: index }, `worker ${index} failed`);
      });
      thread.on('exit', (code) => {
        closedNow();
        // A question it will never answer (a reload, a scrape) gets no answer from it instead of hanging.
        for (const answer of seat.replies.values()) answer({ kind: 'closed' });
        seat.replies.clear();
        if (served !== undefined) {
          servedStores.delete(served);
          void served.close();
        }
        if (!started) {
          reject(new Error(`worker ${index} exited (code ${code}) before it listened`));
          return;
        }
        if (stopping || seats[index]?.thread !== thread) return;
        seats[index] = undefined;
        replace(index, code, now() - seat.startedAt);
      });
    });
  }

  /** A worker died: start another in its place, unless it died young (then the process stops, loudly). */
  function replace(index: number, code: number, livedMs: number): void {
    if (livedMs < shortestLife) {
      logger.fatal(
        { worker: index, code },
        `worker ${index} exited (code ${code}) ${livedMs} ms after it started; stopping`,
      );
      void stopPool().finally(giveUp);
      return;
    }
    logger.error(
      { worker: index, code },
      `worker ${index} exited (code ${code}); starting another in its place`,
    );
    // On the pool's port (the one the first worker got, when the configured port is 0).
    const starting = spawn(index, port).then(
      (seat) => {
        // Taken even while stopping: stopAll waits for this, then drains it with the others.
        seats[index] = seat;
      },
      (error: unknown) => {
        if (stopping) return;
        logger.fatal({ err: error, worker: index }, `worker ${index} could not be replaced; stopping`);
        void stopPool().finally(giveUp);
      },
    );
    replacing.add(starting);
    void starting.finally(() => replacing.delete(starting));
  }

  let metricsListener: Awaited<ReturnType<typeof startMetricsListener>> | undefined;
  let closing: Promise<void> | undefined;
  /**
   * Stops the pool once: every worker drained, then the metrics listener. A worker that dies young
   * calls it too, also while the others are still starting (before the gateway object exists).
   */
  function stopPool(): Promise<void> {
    closing ??= (async () => {
      await stopAll();
      await metricsListener?.close();
    })();
    return closing;
  }

  async function stopAll(): Promise<void> {
    stopping = true;
    // A worker being started in a dead one's place listens first, then drains like the rest.
    await Promise.all(replacing);
    await Promise.all(
      live().map(async (seat) => {
        seat.thread.postMessage({ kind: 'drain' } satisfies ToWorker);
        await seat.closed;
        await seat.thread.terminate();
      }),
    );
    await Promise.all([...servedStores].map((served) => served.close()));
    await memory?.close();
  }

  let port = options.port ?? config.server.port;
  const metricsOn = config.telemetry?.metrics !== false;
  try {
    // The first worker binds (port 0: the OS picks); the others bind the port it got.
    const first = (await spawn(0, port)) as Seat & { port: number };
    seats[0] = first;
    port = first.port;
    const rest = await Promise.all(Array.from({ length: count - 1 }, (_, index) => spawn(index + 1, port)));
    for (const seat of rest) seats[seat.index] = seat;
    // A worker that died while the others started left its seat empty and stopped the pool (it died young).
    if (live().length < count) throw new Error('a worker exited while the others started');
    serving = true;
    for (const seat of live()) seat.thread.postMessage({ kind: 'serving' } satisfies ToWorker);
    const metricsPort = config.telemetry?.metrics_port;
    if (metricsOn && metricsPort !== undefined) {
      const serve: MetricsHandler = async (_req, res) => {
        const { text, contentType } = await merged();
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(text);
      };
      const endpoint = createMetricsEndpoint({ serve, token: () => config.telemetry?.metrics_token });
      metricsListener = await startMetricsListener(endpoint, metricsPort, host).catch((error: unknown) => {
        throw new StartupError('telemetry.metrics_port', listenFailure(error, host, metricsPort), {
          cause: error,
        });
      });
    }
  } catch (error) {
    await stopAll();
    throw error;
  }

  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const metricsUrl = metricsOn ? `${metricsListener?.url ?? url}/metrics` : undefined;
  logger.info({ url, metricsUrl, replica: replicaId, version: packageVersion, workers: count }, 'listening');
  const exposure = publicMetricsWarning(config.telemetry, metricsListener === undefined ? host : undefined);
  if (exposure !== undefined) logger.warn({ metricsUrl }, exposure);

  const gateway: RunningGateway = {
    url,
    port,
    metricsUrl,
    logger,
    requiresKeys: () => requiresKeys,
    config: () => config,
    collectMetrics: () => Promise.resolve([]),
    async collectHistory(rangeMs) {
      const [first, ...rest] = (await historyOf(rangeMs)).map(({ snapshot }) => snapshot);
      if (first === undefined) throw new Error('no worker answered');
      return snapshotOf(mergeHistory(first, rest));
    },
    async reload(file, actor = 'system') {
      // Every worker applies it (each plans it against its running config, as one process does);
      // worker 0 records the audit entry.
      const replies = await Promise.all(
        live().map((seat) =>
          ask(seat, { kind: 'reload', id: nextId++, config: file, actor, audit: seat.index === 0 }),
        ),
      );
      const failures: string[] = [];
      let problems: readonly ConfigProblem[] | undefined;
      for (const [position, reply] of replies.entries()) {
        if (reply.kind !== 'reloaded') continue;
        if (position === 0) {
          config = reply.config;
          requiresKeys = reply.requiresKeys;
        }
        if (reply.error !== undefined) {
          failures.push(`worker ${live()[position]?.index ?? position}: ${reply.error.message}`);
          problems ??= reply.error.problems;
        }
      }
      if (failures.length === 0) return;
      if (problems !== undefined && failures.length === replies.length) {
        throw new ConfigError('new configuration', problems);
      }
      throw new Error(
        `reload failed on ${failures.length} of ${replies.length} workers: ${failures.join('; ')}`,
      );
    },
    close: stopPool,
  };
  return gateway;
}
