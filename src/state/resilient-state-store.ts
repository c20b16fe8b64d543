import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import { CallDeadlines } from './call-deadlines.ts';
import { MemoryStateStore } from './memory-state-store.ts';
import { ReplicaShare } from './replica-share.ts';
import { silentStateLogger } from './state-logger.ts';
import type { StateLogger } from './state-logger.ts';
import type {
  AdmitRequest,
  AdmitResult,
  RateLimit,
  ReserveRequest,
  ReserveResult,
  StateStore,
  WindowCounts,
} from '../core/state-store.ts';

/** A shared store that can say whether it answers (RedisStateStore's PING). */
export interface ProbedStateStore extends StateStore {
  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;
}

export interface ResilientStateStoreOptions {
  /** The shared store (Redis). */
  readonly primary: ProbedStateStore;
  /**
   * Answers while the primary is away; default a MemoryStateStore on `clock`. It also keeps a copy
   * of the shared rate counts and of this replica's leases, so that local limits start from what was
   * already counted.
   */
  readonly local?: MemoryStateStore;
  /**
   * How long a call waits for the primary (`state.redis_timeout_ms`, default 1000). A slow answer
   * within it is used as it is: slow is not away.
   */
  readonly timeoutMs?: number;
  /**
   * Consecutive calls without an answer within `timeoutMs` after which the primary counts as away
   * (`state.redis_breaker_timeouts`, default 5). A call that fails (connection refused or closed)
   * counts as away at once.
   */
  readonly breakerTimeouts?: number;
  /** Live replicas, at least 1 (ReplicaRegistry.liveCount); local limits are this replica's share. */
  readonly replicaCount?: () => number;
  /** How often to PING the primary while degraded (default 1000 ms). */
  readonly probeIntervalMs?: number;
  /** Time for the default local store. */
  readonly clock?: Clock;
  readonly logger?: StateLogger;
}

const noKeys: readonly string[] = Object.freeze([]);

class PrimaryTimeout extends Error {
  override readonly name = 'PrimaryTimeout';
}

/**
 * Static stability for shared state: every call goes to the primary (Redis) and waits for it up to
 * a timeout. When a call fails, or `breakerTimeouts` calls in a row get no answer in time, that call
 * and every later one is answered by a local store, with rate and concurrency limits scaled to this
 * replica's share (limit ÷ live replicas, at least 1), until a background PING finds the primary
 * again. A single call without an answer in time is answered locally too, but does not switch.
 * The local store is kept in step with every shared answer (the rate counts as Redis reported them,
 * this replica's leases), so a switch starts from what was already counted. A Redis outage never
 * fails a request that would otherwise succeed. Bounds: docs/decisions/0004-shared-state-in-redis.md.
 */
export class ResilientStateStore implements StateStore {
  private readonly primary: ProbedStateStore;
  private readonly local: MemoryStateStore;
  private readonly timeoutMs: number;
  /** Every call to the primary waits `timeoutMs`: one timer for all of them. */
  private readonly deadlines: CallDeadlines;
  private readonly breakerTimeouts: number;
  /** This replica's share of each limit, enforced while the primary is away. */
  private readonly shares: ReplicaShare;
  private readonly logger: StateLogger;
  private readonly listeners = new Set<(degraded: boolean) => void>();
  private readonly prober: NodeJS.Timeout;
  private isDegraded = false;
  private probing = false;
  private degradations = 0;
  private localAnswers = 0;
  private timeoutsInARow = 0;

  constructor(options: ResilientStateStoreOptions) {
    this.primary = options.primary;
    this.local = options.local ?? new MemoryStateStore(options.clock ?? systemClock);
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.deadlines = new CallDeadlines(this.timeoutMs);
    this.breakerTimeouts = Math.max(1, options.breakerTimeouts ?? 5);
    this.shares = new ReplicaShare(options.replicaCount ?? (() => 1));
    this.logger = options.logger ?? silentStateLogger;
    this.prober = setInterval(() => {
      if (this.isDegraded) void this.probe();
    }, options.probeIntervalMs ?? 1000);
    this.prober.unref();
  }

  /** True while calls are answered locally (for a gauge). */
  get degraded(): boolean {
    return this.isDegraded;
  }

  /** Times the store went from shared to local (for a counter). */
  get degradedTransitions(): number {
    return this.degradations;
  }

  /** Calls answered by the local store (for a counter). */
  get localCalls(): number {
    return this.localAnswers;
  }

  /** Calls `listener` on every change of `degraded`; returns a function that stops it. */
  onDegradedChange(listener: (degraded: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** PINGs the primary; returns to it when it answers. Resolves to whether the primary is in use. */
  async probe(): Promise<boolean> {
    if (!this.isDegraded) return true;
    if (this.probing) return false;
    this.probing = true;
    try {
      await this.withTimeout(this.primary.ping());
      this.change(false, undefined);
      return true;
    } catch {
      return false;
    } finally {
      this.probing = false;
    }
  }

  /** Settles like `promise`, or rejects with a PrimaryTimeout after `timeoutMs`. */
  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    return this.deadlines.within(promise, this.timedOut);
  }

  private readonly timedOut = (): Error => new PrimaryTimeout(`no answer within ${this.timeoutMs} ms`);

  private change(degraded: boolean, cause: unknown): void {
    if (this.isDegraded === degraded) return;
    this.isDegraded = degraded;
    if (degraded) {
      this.degradations += 1;
      this.logger.warn(
        { err: cause, replicas: this.shares.replicas() },
        'state store: Redis unavailable, enforcing limits locally at this replica’s share',
      );
    } else {
      this.logger.info({}, 'state store: Redis answers again, limits are shared again');
    }
    for (const listener of this.listeners) listener(degraded);
  }

  /**
   * Runs on the primary unless degraded, waiting up to the timeout. A failure degrades at once;
   * a timeout is answered locally and degrades once `breakerTimeouts` came in a row.
   */
  private async either<T>(onPrimary: () => Promise<T>, onLocal: () => Promise<T>): Promise<T> {
    if (!this.isDegraded) {
      try {
        const value = await this.withTimeout(onPrimary());
        this.timeoutsInARow = 0;
        return value;
      } catch (error) {
        this.failed(error);
      }
    }
    this.localAnswers += 1;
    return onLocal();
  }

  private failed(error: unknown): void {
    if (!(error instanceof PrimaryTimeout)) {
      this.change(true, error);
      return;
    }
    this.timeoutsInARow += 1;
    if (this.timeoutsInARow >= this.breakerTimeouts) this.change(true, error);
  }

  /**
   * Keeps the local store in step with a shared answer: each rate as Redis counted it (its time to
   * full), and a granted request's leases as held here, whatever the local share.
   */
  private mirror(request: ReserveRequest, result: ReserveResult): void {
    // a late answer while degraded: the local counts are the truth now
    if (this.isDegraded) return;
    for (let index = 0; index < request.rates.length; index += 1) {
      const state = result.states[index];
      if (state !== undefined) this.local.syncRate(state.key, state.resetMs);
    }
    if (result.granted && request.concurrency.length > 0) {
      void this.local.reserve({
        rates: [],
        concurrency: request.concurrency.map((limit) => ({ key: limit.key, limit: Infinity })),
        leaseId: request.leaseId,
        leaseTtlMs: request.leaseTtlMs,
      });
    }
  }

  reserve(request: ReserveRequest): Promise<ReserveResult> {
    return this.either(
      async () => {
        const result = await this.primary.reserve(request);
        this.mirror(request, result);
        return result;
      },
      () => this.local.reserve(this.shares.request(request)),
    );
  }

  /** As reserve: shared, mirrored locally; locally at this replica's share while Redis is away. */
  admit(request: AdmitRequest): Promise<AdmitResult> {
    return this.either(
      async () => {
        const result = await this.primary.admit(request);
        this.mirror(request.reserve, result.reservation);
        if (request.also !== undefined && result.also !== undefined) this.mirror(request.also, result.also);
        return result;
      },
      () =>
        this.local.admit({
          ...request,
          reserve: this.shares.request(request.reserve),
          also: request.also === undefined ? undefined : this.shares.request(request.also),
        }),
    );
  }

  adjustRate(rate: RateLimit): Promise<void> {
    return this.either(
      async () => {
        await this.primary.adjustRate(rate);
        // the whole limit: the local copy moves by the same time as the shared count
        await this.local.adjustRate(rate);
      },
      () => this.local.adjustRate({ ...rate, limit: this.shares.of(rate.limit) }),
    );
  }

  /**
   * Releases on both stores: the lease may have been taken on either side of a transition, and
   * releasing an unknown lease is harmless. A lease that cannot be released on Redis now is
   * reclaimed there when its TTL passes.
   */
  async release(concurrencyKeys: readonly string[], leaseId: string): Promise<void> {
    await this.local.release(concurrencyKeys, leaseId);
    if (this.isDegraded) return;
    try {
      await this.withTimeout(this.primary.release(concurrencyKeys, leaseId));
    } catch (error) {
      this.failed(error);
    }
  }

  /**
   * As adjustRate and release in one call: the leases released on both stores (as release), the
   * rates adjusted on the primary and by the same time locally, or at this replica's share while
   * the primary is away.
   */
  async settle(
    adjustments: readonly RateLimit[],
    concurrencyKeys: readonly string[],
    leaseId: string,
  ): Promise<void> {
    await this.local.release(concurrencyKeys, leaseId);
    if (!this.isDegraded) {
      try {
        await this.withTimeout(this.primary.settle(adjustments, concurrencyKeys, leaseId));
        this.timeoutsInARow = 0;
        await this.local.settle(adjustments, noKeys, leaseId);
        return;
      } catch (error) {
        this.failed(error);
      }
    }
    this.localAnswers += 1;
    const local = adjustments.map((rate) => ({ ...rate, limit: this.shares.of(rate.limit) }));
    await this.local.settle(local, noKeys, leaseId);
  }

  incrementWindow(key: string, increments: WindowCounts, windowMs: number): Promise<WindowCounts> {
    return this.either(
      () => this.primary.incrementWindow(key, increments, windowMs),
      () => this.local.incrementWindow(key, increments, windowMs),
    );
  }

  addToWindow(key: string, increments: WindowCounts, windowMs: number): Promise<void> {
    return this.either(
      () => this.primary.addToWindow(key, increments, windowMs),
      () => this.local.addToWindow(key, increments, windowMs),
    );
  }

  readWindow(key: string, windowMs: number): Promise<WindowCounts> {
    return this.either(
      () => this.primary.readWindow(key, windowMs),
      () => this.local.readWindow(key, windowMs),
    );
  }

  get(key: string): Promise<string | undefined> {
    return this.either(
      () => this.primary.get(key),
      () => this.local.get(key),
    );
  }

  getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return this.either(
      () => this.primary.getMany(keys),
      () => this.local.getMany(keys),
    );
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    return this.either(
      () => this.primary.set(key, value, ttlMs),
      () => this.local.set(key, value, ttlMs),
    );
  }

  compareAndSet(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<boolean> {
    return this.either(
      () => this.primary.compareAndSet(key, expected, value, ttlMs),
      () => this.local.compareAndSet(key, expected, value, ttlMs),
    );
  }

  delete(key: string): Promise<void> {
    return this.either(
      () => this.primary.delete(key),
      () => this.local.delete(key),
    );
  }

  scan(prefix: string): Promise<Record<string, string>> {
    return this.either(
      () => this.primary.scan(prefix),
      () => this.local.scan(prefix),
    );
  }

  /** Shared: reaches every replica. Degraded: reaches this replica's subscribers only. */
  publish(channel: string, message: string): Promise<void> {
    return this.either(
      () => this.primary.publish(channel, message),
      () => this.local.publish(channel, message),
    );
  }

  /**
   * Subscribes on both stores: Redis delivers what other replicas publish (and resubscribes after
   * a reconnect); the local bus delivers what this replica publishes while degraded. Never waits
   * on Redis longer than the timeout: the Redis subscription completes when Redis is back.
   */
  async subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    const unsubscribeLocal = await this.local.subscribe(channel, handler);
    const primarySubscription = this.primary.subscribe(channel, handler);
    primarySubscription.catch((error: unknown) => {
      this.logger.warn({ err: error, channel }, 'state store: Redis subscription failed');
    });
    try {
      await this.withTimeout(primarySubscription);
    } catch {
      // still pending: it completes on reconnect; a failure is logged above
    }
    return async () => {
      await unsubscribeLocal();
      // if Redis is away, this completes once the pending subscription does (after reconnect)
      const unsubscribing = primarySubscription.then((unsubscribePrimary) => unsubscribePrimary());
      unsubscribing.catch(() => undefined);
      try {
        await this.withTimeout(unsubscribing);
      } catch {
        // Redis away: the handler is removed when the subscription completes
      }
    };
  }

  async close(): Promise<void> {
    clearInterval(this.prober);
    this.listeners.clear();
    await Promise.all([this.primary.close(), this.local.close()]);
  }
}
