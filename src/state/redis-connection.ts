import { Cluster, Redis } from 'ioredis';
import type { RedisTarget } from './redis-url.ts';

export { parseRedisUrl, redact, type RedisNode, type RedisTarget } from './redis-url.ts';

/** A connected client: a single server (also through Sentinel) or a Cluster. */
export type RedisClient = Redis | Cluster;

/** The connection settings RedisStateStore chooses (the rest come from the URL). */
export interface RedisConnectionSettings {
  /** Queue commands while disconnected (false: fail them at once). */
  readonly enableOfflineQueue: boolean;
  /** Resends of a command after a reconnect before it fails (null: forever). */
  readonly maxRetriesPerRequest: number | null;
  /** Milliseconds before a connection attempt gives up (ioredis then retries with backoff). */
  readonly connectTimeout: number;
}

/**
 * Creates the ioredis client for a target. The settings apply to every connection (for a Cluster,
 * to each node's connection; offline queueing is set on the Cluster itself).
 */
export function createRedisClient(target: RedisTarget, options: RedisConnectionSettings): RedisClient {
  switch (target.kind) {
    case 'standalone':
      return new Redis(target.url, options);
    case 'cluster': {
      const { enableOfflineQueue, ...nodeOptions } = options;
      return new Cluster([...target.nodes], {
        enableOfflineQueue,
        redisOptions: {
          ...nodeOptions,
          ...(target.username === undefined ? {} : { username: target.username }),
          ...(target.password === undefined ? {} : { password: target.password }),
          ...(target.tls ? { tls: {} } : {}),
        },
      });
    }
    case 'sentinel':
      return new Redis({
        ...options,
        sentinels: [...target.sentinels],
        name: target.masterName,
        db: target.db,
        ...(target.username === undefined ? {} : { username: target.username }),
        ...(target.password === undefined ? {} : { password: target.password }),
        ...(target.sentinelPassword === undefined ? {} : { sentinelPassword: target.sentinelPassword }),
        ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
      });
  }
}
