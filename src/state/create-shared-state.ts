import type { Clock } from '../core/clock.ts';
import { MemoryStateStore } from './memory-state-store.ts';
import { ReplicaRegistry } from './replica-registry.ts';
import type { ReplicaInfo } from './replica-registry.ts';
import { ResilientStateStore } from './resilient-state-store.ts';
import { silentStateLogger } from './state-logger.ts';
import type { StateLogger } from './state-logger.ts';
import type { StateStore } from '../core/state-store.ts';

export interface SharedStateOptions {
  /** `state.redis_url`; absent: one process, in memory. */
  readonly redisUrl: string | undefined;
  /** `state.redis_timeout_ms` (default 1000). */
  readonly redisTimeoutMs?: number;
  /** `state.redis_breaker_timeouts` (default 5). */
  readonly redisBreakerTimeouts?: number;
  /** This replica, for the registry. */
  readonly self: ReplicaInfo;
  /** Key and channel prefix in Redis (default `spillway:`). */
  readonly prefix?: string;
  /**
   * Worker threads of this replica that each hold a connection (server.workers): while Redis is away
   * each enforces its share of this replica's local share (default 1).
   */
  readonly workersPerReplica?: number;
  /** Heartbeat interval of the registry (default 5000 ms). */
  readonly heartbeatIntervalMs?: number;
  /** How long startup waits for a first Redis connection before answering locally (default 2000 ms). */
  readonly connectWaitMs?: number;
  /** Time for the in-memory stores; Redis uses its own server TIME. */
  readonly clock?: Clock;
  readonly logger?: StateLogger;
}

/** The state layer as the composition root wires it. */
export interface SharedState {
  /** What limits, breakers and cooldowns use. */
  readonly store: StateStore;
  /** Present with Redis: its `degraded` getter and `onDegradedChange` feed telemetry. */
  readonly resilient: ResilientStateStore | undefined;
  /** Replica heartbeats; backs `/admin/replicas`. Already started. */
  readonly registry: ReplicaRegistry;
  /** Stops heartbeats (removing this replica's) and closes every connection. */
  close(): Promise<void>;
}

/**
 * Builds the state layer from `state.*`: in memory without a Redis URL; otherwise Redis behind a
 * ResilientStateStore whose local share follows the registry's live replica count. Waits at most
 * `connectWaitMs` for Redis: if it is away at startup, requests are answered locally until it answers.
 */
export async function createSharedState(options: SharedStateOptions): Promise<SharedState> {
  const logger = options.logger ?? silentStateLogger;
  const heartbeat =
    options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs };
  if (options.redisUrl === undefined) {
    const store = new MemoryStateStore(options.clock, (error, channel) => {
      logger.error({ err: error, channel }, 'state store: a subscriber threw');
    });
    const registry = new ReplicaRegistry({ store, self: options.self, logger, ...heartbeat });
    await registry.start();
    return {
      store,
      resilient: undefined,
      registry,
      close: async () => {
        await registry.stop();
        await store.close();
      },
    };
  }
  // Loaded only with a Redis URL: the in-memory state never loads ioredis.
  const { RedisStateStore } = await import('./redis-state-store.ts');
  const redis = new RedisStateStore({
    url: options.redisUrl,
    logger,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
  });
  const registry = new ReplicaRegistry({ store: redis, self: options.self, logger, ...heartbeat });
  const resilient = new ResilientStateStore({
    primary: redis,
    timeoutMs: options.redisTimeoutMs ?? 1000,
    breakerTimeouts: options.redisBreakerTimeouts ?? 5,
    replicaCount: () => registry.liveCount() * (options.workersPerReplica ?? 1),
    logger,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  try {
    await redis.ready(options.connectWaitMs ?? 2000);
  } catch (error) {
    logger.warn({ err: error }, 'state store: Redis not reachable at startup, starting with local limits');
  }
  await registry.start();
  return {
    store: resilient,
    resilient,
    registry,
    close: async () => {
      await registry.stop();
      await resilient.close();
    },
  };
}
