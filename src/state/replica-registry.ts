import { z } from 'zod';
import { silentStateLogger } from './state-logger.ts';
import type { StateLogger } from './state-logger.ts';
import type { StateStore } from '../core/state-store.ts';

/** What one replica says about itself in its heartbeat. */
export interface ReplicaInfo {
  /** Unique per process (e.g. a random id chosen at startup). */
  readonly id: string;
  /** Spillway version it runs. */
  readonly version: string;
  /** Hash of its effective configuration: replicas should agree. */
  readonly configHash: string;
  /** Milliseconds since the epoch when it started. */
  readonly startedAt: number;
  /** Where its HTTP server listens. */
  readonly host: string;
  readonly port: number;
}

const replicaInfoSchema = z.object({
  id: z.string(),
  version: z.string(),
  configHash: z.string(),
  startedAt: z.number(),
  host: z.string(),
  port: z.number(),
});

export interface ReplicaRegistryOptions {
  /**
   * Where heartbeats live: the shared (Redis) store itself, not the ResilientStateStore, so that
   * during an outage the registry keeps its last known view instead of seeing only itself.
   */
  readonly store: StateStore;
  /** This replica. */
  readonly self: ReplicaInfo;
  /** Default 5000 ms; a heartbeat lives three intervals. */
  readonly heartbeatIntervalMs?: number;
  /** Key prefix in the store (default `replicas:`). */
  readonly keyPrefix?: string;
  readonly logger?: StateLogger;
}

/**
 * Replica awareness: each replica writes a heartbeat with a TTL of three intervals; the live
 * replicas are the heartbeats that have not expired. `liveCount()` feeds ResilientStateStore's
 * per-replica share; `list()` backs `/admin/replicas`.
 */
export class ReplicaRegistry {
  private readonly store: StateStore;
  private readonly self: ReplicaInfo;
  private readonly intervalMs: number;
  private readonly keyPrefix: string;
  private readonly logger: StateLogger;
  private known: readonly ReplicaInfo[];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private warnedMismatch = '';

  constructor(options: ReplicaRegistryOptions) {
    this.store = options.store;
    this.self = options.self;
    this.intervalMs = options.heartbeatIntervalMs ?? 5000;
    this.keyPrefix = options.keyPrefix ?? 'replicas:';
    this.logger = options.logger ?? silentStateLogger;
    this.known = [options.self];
  }

  /** Heartbeats now and then every interval until `stop()`. Never rejects: the store may be away. */
  async start(): Promise<void> {
    this.timer ??= setInterval(() => {
      void this.heartbeat();
    }, this.intervalMs);
    this.timer.unref();
    await this.heartbeat();
  }

  /**
   * Writes this replica's heartbeat and refreshes the list of live replicas. When the store fails,
   * the last known list stays (an outage does not make the other replicas disappear). A heartbeat
   * still in flight (a hung connection) is not doubled.
   */
  heartbeat(): Promise<void> {
    this.inFlight ??= this.beat().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async beat(): Promise<void> {
    try {
      await this.store.set(this.keyPrefix + this.self.id, JSON.stringify(this.self), this.intervalMs * 3);
      await this.list();
    } catch (error) {
      this.logger.warn({ err: error }, 'replica registry: heartbeat failed, keeping the last known replicas');
    }
  }

  /** Live replicas by id (this one included even before its first heartbeat landed). Rejects when the store fails. */
  async list(): Promise<ReplicaInfo[]> {
    const entries = await this.store.scan(this.keyPrefix);
    const replicas = new Map<string, ReplicaInfo>([[this.self.id, this.self]]);
    for (const [key, value] of Object.entries(entries)) {
      const parsed = replicaInfoSchema.safeParse(safeJson(value));
      if (parsed.success) replicas.set(parsed.data.id, parsed.data);
      else this.logger.warn({ key }, 'replica registry: ignoring a malformed heartbeat');
    }
    const list = [...replicas.values()].sort((a, b) => a.id.localeCompare(b.id));
    this.known = list;
    this.checkConfigHashes(list);
    return list;
  }

  /** Live replicas as last seen, at least 1 (this one). Synchronous: called on every degraded reserve. */
  liveCount(): number {
    return Math.max(1, this.known.length);
  }

  /** The replicas as last seen, without asking the store. */
  lastKnown(): readonly ReplicaInfo[] {
    return this.known;
  }

  private checkConfigHashes(list: readonly ReplicaInfo[]): void {
    const hashes = new Set(list.map((replica) => replica.configHash));
    const signature =
      hashes.size > 1 ? list.map((replica) => `${replica.id}=${replica.configHash}`).join(',') : '';
    if (signature === this.warnedMismatch) return;
    this.warnedMismatch = signature;
    if (signature === '') return;
    this.logger.warn(
      { replicas: Object.fromEntries(list.map((replica) => [replica.id, replica.configHash])) },
      'replica registry: replicas run different configurations',
    );
  }

  /** Stops heartbeating and removes this replica's heartbeat so the others stop counting it. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
    try {
      await this.store.delete(this.keyPrefix + this.self.id);
    } catch (error) {
      this.logger.warn(
        { err: error },
        'replica registry: could not remove the heartbeat; it expires on its own',
      );
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
