import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError, type ConfigProblem } from '../config/load-config.ts';
import { systemClock } from '../core/clock.ts';
import type { ReadinessCheck } from '../core/readiness.ts';
import type { DashboardSources } from '../dashboard/dashboard-routes.ts';
import { mergeHistory } from '../dashboard/merge-history.ts';
import { mergedRegistry, mergeWorkerMetrics } from '../telemetry/merge-metrics.ts';
import { StartupError } from '../core/startup-error.ts';
import { startOneGateway, type RunningGateway } from '../main.ts';
import type { MetricsHandler } from '../server/metrics-endpoint.ts';
import { createPortStateStore } from '../state/port-state-store.ts';
import { ReplicaRegistry } from '../state/replica-registry.ts';
import { buildState, defaultLogger, type ProcessOptions } from './build-process.ts';
import type { ToWorker, WorkerData, FromWorker } from './worker-messages.ts';

/**
 * The entry of one worker thread (`server.workers` > 1; composition/worker-pool.ts starts it): a
 * gateway on the shared port (SO_REUSEPORT) over its own database connection, spend spool and
 * provider adapters, with the state of the process: the main thread's store over a MessagePort, or
 * Redis itself when `state.redis_url` is set. It answers the main thread's reload, metrics and drain
 * messages.
 */

const data = workerData as WorkerData;
const main = parentPort;
if (main === null) throw new Error('worker-thread.ts runs in a worker thread');
const send = (message: FromWorker): void => {
  main.postMessage(message);
};
const logger = defaultLogger(data.config).child({ worker: data.index });

// /metrics on any worker: the main thread gathers every worker's metrics; this one merges them.
let nextId = 1;
const metrics: MetricsHandler = async (req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  const { text, contentType } = await mergeWorkerMetrics((await gather({ what: 'metrics' })).metrics);
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : text);
};

const state: ProcessOptions['state'] =
  data.statePort === undefined
    ? (self, log, telemetry) => buildState(data.config, self, systemClock, log, telemetry, data.count)
    : async (self, log) => {
        const store = createPortStateStore(
          data.statePort as NonNullable<WorkerData['statePort']>,
          (error, channel) => {
            log.error({ err: error, channel }, 'state store: a subscriber threw');
          },
        );
        // Every worker heartbeats the process's one replica id: one replica per process.
        const replicas = new ReplicaRegistry({ store, self, logger: log });
        await replicas.start();
        return {
          state: store,
          replicas,
          check: () => ({ status: 'ok', detail: `in memory (this process, ${data.count} workers)` }),
          close: async () => {
            await replicas.stop();
            await store.close();
          },
        };
      };

// The dashboard on any worker: the main thread gathers every worker's metrics or history.
const gathering = new Map<number, (message: Extract<ToWorker, { kind: 'gathered' }>) => void>();
function gather(
  request: { what: 'metrics' } | { what: 'history'; rangeMs: number },
): Promise<Extract<ToWorker, { kind: 'gathered' }>> {
  const id = nextId++;
  return new Promise((resolve) => {
    gathering.set(id, resolve);
    send({ kind: 'gather', id, ...request });
  });
}
const dashboard: DashboardSources = {
  registry: async () => mergedRegistry((await gather({ what: 'metrics' })).metrics),
  async history(rangeMs) {
    const all = (await gather({ what: 'history', rangeMs })).history;
    const own =
      all.find((entry) => entry.index === data.index)?.snapshot ??
      (await (gateway as RunningGateway).collectHistory(rangeMs));
    const others = all.filter((entry) => entry.index !== data.index).map((entry) => entry.snapshot);
    return mergeHistory(own, others);
  },
};

// Down until the main thread says every worker listens (a process that is half up is not ready).
let serving = data.serving;
const workersCheck = (): ReadinessCheck =>
  serving
    ? { status: 'ok', detail: `${data.count} worker threads` }
    : { status: 'down', detail: `starting: waiting for all ${data.count} worker threads to listen` };

let gateway: RunningGateway | undefined;
try {
  gateway = await startOneGateway(
    {
      config: data.config,
      port: data.port,
      host: data.host,
      logger,
      replicaId: data.replicaId,
      spoolDirectory: data.spoolDirectory,
      accessLog: data.accessLog,
      state,
    },
    { index: data.index, metrics, reusePort: true, check: workersCheck, dashboard },
  );
  send({ kind: 'ready', port: gateway.port, requiresKeys: gateway.requiresKeys() });
} catch (error) {
  send({
    kind: 'failed',
    message: error instanceof Error ? error.message : String(error),
    setting: error instanceof StartupError ? error.setting : undefined,
  });
}

main.on('message', (message: ToWorker) => {
  void answer(message);
});

async function answer(message: ToWorker): Promise<void> {
  const running = gateway;
  if (message.kind === 'serving') {
    serving = true;
    return;
  }
  if (message.kind === 'gathered') {
    gathering.get(message.id)?.(message);
    gathering.delete(message.id);
    return;
  }
  if (running === undefined) return;
  if (message.kind === 'collect') {
    send({ kind: 'metrics', id: message.id, metrics: await running.collectMetrics() });
  } else if (message.kind === 'collect-history') {
    send({ kind: 'history', id: message.id, snapshot: await running.collectHistory(message.rangeMs) });
  } else if (message.kind === 'reload') {
    let error: { message: string; problems: readonly ConfigProblem[] | undefined } | undefined;
    try {
      await running.reload(message.config, message.actor, message.audit);
    } catch (thrown) {
      error = {
        message: thrown instanceof Error ? thrown.message : String(thrown),
        problems: thrown instanceof ConfigError ? thrown.problems : undefined,
      };
    }
    send({
      kind: 'reloaded',
      id: message.id,
      error,
      requiresKeys: running.requiresKeys(),
      config: running.config(),
    });
  } else {
    try {
      await running.close();
    } catch (error) {
      logger.error({ err: error }, 'worker shutdown failed');
    }
    // The main thread ends this thread on 'closed': the log lines must be out first.
    await new Promise<void>((resolve) => {
      logger.flush(() => {
        resolve();
      });
    });
    send({ kind: 'closed' });
  }
}
