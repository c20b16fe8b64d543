import { EventEmitter } from 'node:events';
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import type {
  AdmitRequest,
  AdmitResult,
  ConcurrencyLimit,
  LimitState,
  RateLimit,
  ReserveRequest,
  ReserveResult,
  StateStore,
  WindowCounts,
} from '../core/state-store.ts';

interface Entry {
  value: string;
  expiresAt: number;
}

/** The leases of one concurrency key. */
interface Leases {
  /** Lease id → expiry. */
  readonly holders: Map<string, number>;
  /**
   * At most the earliest expiry among `holders` (a lower bound: releases do not raise it). While
   * it is in the future no lease has expired, so reserve need not look at every holder.
   */
  earliestExpiry: number;
}

/** Number of buckets a window is split into for windowed counters. */
const bucketsPerWindow = 10;

/**
 * The in-memory state store: one process, no dependencies. Single-threaded JavaScript makes each
 * method atomic as long as it does not await in the middle, and none does.
 */
export class MemoryStateStore implements StateStore {
  private readonly clock: Clock;
  /** GCRA theoretical arrival time per rate key. */
  private readonly arrival = new Map<string, number>();
  /** Leases per concurrency key. */
  private readonly leases = new Map<string, Leases>();
  /** Next theoretical arrival time per rate of the reserve in progress (reused: reserve is synchronous). */
  private readonly nextArrivals: number[] = [];
  private readonly values = new Map<string, Entry>();
  /** Bucket start → counters, per windowed key. */
  private readonly windows = new Map<string, Map<number, Record<string, number>>>();
  /** Last window length used per windowed key, so the sweeper can drop idle keys. */
  private readonly windowLengths = new Map<string, number>();
  private readonly bus = new EventEmitter();
  private readonly sweeper: NodeJS.Timeout;

  /** Called when a subscriber throws (the error is not the publisher's). */
  private readonly onSubscriberError: (error: unknown, channel: string) => void;

  constructor(
    clock: Clock = systemClock,
    onSubscriberError: (error: unknown, channel: string) => void = () => undefined,
  ) {
    this.clock = clock;
    this.onSubscriberError = onSubscriberError;
    this.bus.setMaxListeners(0);
    this.sweeper = setInterval(() => {
      this.sweep();
    }, 60_000);
    this.sweeper.unref();
  }

  private rateState(rate: RateLimit, now: number, arrival: number): LimitState {
    const interval = rate.windowMs / rate.limit;
    const used = Math.max(0, arrival - now);
    const remaining = Math.max(0, Math.floor((rate.windowMs - used) / interval + 1e-9));
    return { key: rate.key, limit: rate.limit, remaining, resetMs: Math.ceil(used) };
  }

  /** The leases of `key`, after dropping the expired ones. */
  private liveLeases(key: string, now: number): Leases {
    let leases = this.leases.get(key);
    if (leases === undefined) {
      leases = { holders: new Map(), earliestExpiry: Infinity };
      this.leases.set(key, leases);
    } else if (leases.earliestExpiry <= now) {
      // Some lease may have expired (a holder that never released): drop those, find the next expiry.
      let earliest = Infinity;
      const holders = leases.holders;
      for (const id of holders.keys()) {
        const expiresAt = holders.get(id) ?? 0;
        if (expiresAt <= now) holders.delete(id);
        else if (expiresAt < earliest) earliest = expiresAt;
      }
      leases.earliestExpiry = earliest;
    }
    return leases;
  }

  reserve(request: ReserveRequest): Promise<ReserveResult> {
    return Promise.resolve(this.reserveNow(request));
  }

  private reserveNow(request: ReserveRequest): ReserveResult {
    const now = this.clock.now();
    const rates = request.rates;
    const concurrency = request.concurrency;
    // Sized once: every rate and concurrency limit has its state.
    const states = new Array<LimitState>(rates.length + concurrency.length);
    let rejectedKey: string | undefined;
    let retryAfterMs = 0;
    const nextArrivals = this.nextArrivals;
    for (let index = 0; index < rates.length; index += 1) {
      const rate = rates[index] as RateLimit;
      const interval = rate.windowMs / rate.limit;
      const arrival = Math.max(this.arrival.get(rate.key) ?? now, now);
      const next = arrival + rate.cost * interval;
      nextArrivals[index] = next;
      // GCRA: admit when the new theoretical arrival time stays within one window of now.
      const fits = next - now <= rate.windowMs + 1e-6;
      if (!fits && rejectedKey === undefined) {
        rejectedKey = rate.key;
        retryAfterMs = rate.cost > rate.limit ? Infinity : Math.ceil(next - rate.windowMs - now);
      }
      states[index] = this.rateState(rate, now, fits ? next : arrival);
    }
    for (let index = 0; index < concurrency.length; index += 1) {
      const limit = concurrency[index] as ConcurrencyLimit;
      const holders = this.liveLeases(limit.key, now).holders;
      const held = holders.has(request.leaseId) ? holders.size - 1 : holders.size;
      const fits = held < limit.limit;
      if (!fits && rejectedKey === undefined) {
        rejectedKey = limit.key;
        // A slot frees when a request ends; we cannot know when, so suggest a short wait.
        retryAfterMs = 1000;
      }
      states[rates.length + index] = {
        key: limit.key,
        limit: limit.limit,
        remaining: Math.max(0, limit.limit - held - (fits ? 1 : 0)),
        resetMs: 0,
      };
    }
    if (rejectedKey !== undefined) return { granted: false, rejectedKey, retryAfterMs, states };
    for (let index = 0; index < rates.length; index += 1) {
      this.arrival.set((rates[index] as RateLimit).key, nextArrivals[index] ?? now);
    }
    const expiresAt = now + request.leaseTtlMs;
    for (const limit of concurrency) {
      const leases = this.leases.get(limit.key) as Leases;
      leases.holders.set(request.leaseId, expiresAt);
      if (expiresAt < leases.earliestExpiry) leases.earliestExpiry = expiresAt;
    }
    return { granted: true, states };
  }

  admit(request: AdmitRequest): Promise<AdmitResult> {
    const reservation = this.reserveNow(request.reserve);
    if (!reservation.granted) {
      return Promise.resolve({ reservation, values: request.reads.map(() => undefined) });
    }
    for (const window of request.windows) this.addNow(window.key, window.increments, window.windowMs);
    const also = request.also === undefined ? undefined : this.reserveNow(request.also);
    return Promise.resolve({ reservation, values: request.reads.map((key) => this.read(key)), also });
  }

  /**
   * Sets a rate to `usedMs` of its window in use from now (another store's `resetMs` for it), without
   * checking anything: the ResilientStateStore's local copy of the shared count. The GCRA state is
   * the time until the bucket is full, so it carries over to a smaller (per-replica) limit as the
   * same fraction of that limit in use.
   */
  syncRate(key: string, usedMs: number): void {
    if (usedMs > 0) this.arrival.set(key, this.clock.now() + usedMs);
    else this.arrival.delete(key);
  }

  adjustRate(rate: RateLimit): Promise<void> {
    this.adjustNow(rate);
    return Promise.resolve();
  }

  private adjustNow(rate: RateLimit): void {
    const now = this.clock.now();
    const interval = rate.windowMs / rate.limit;
    const arrival = Math.max(this.arrival.get(rate.key) ?? now, now);
    this.arrival.set(rate.key, Math.max(now, arrival + rate.cost * interval));
  }

  release(concurrencyKeys: readonly string[], leaseId: string): Promise<void> {
    for (const key of concurrencyKeys) this.leases.get(key)?.holders.delete(leaseId);
    return Promise.resolve();
  }

  settle(
    adjustments: readonly RateLimit[],
    concurrencyKeys: readonly string[],
    leaseId: string,
  ): Promise<void> {
    for (const rate of adjustments) this.adjustNow(rate);
    for (const key of concurrencyKeys) this.leases.get(key)?.holders.delete(leaseId);
    return Promise.resolve();
  }

  private bucketsOf(key: string): Map<number, Record<string, number>> {
    let buckets = this.windows.get(key);
    if (buckets === undefined) {
      buckets = new Map();
      this.windows.set(key, buckets);
    }
    return buckets;
  }

  private sumWindow(
    buckets: Map<number, Record<string, number>>,
    windowMs: number,
    now: number,
  ): WindowCounts {
    const bucketMs = windowMs / bucketsPerWindow;
    const oldest = Math.floor(now / bucketMs) * bucketMs - windowMs + bucketMs;
    const sums: Record<string, number> = {};
    // Keys then get, and for-in: no entry array per bucket nor per counter.
    for (const start of buckets.keys()) {
      if (start < oldest) {
        buckets.delete(start);
        continue;
      }
      const counters = buckets.get(start) as Record<string, number>;
      for (const name in counters) sums[name] = (sums[name] ?? 0) + (counters[name] as number);
    }
    return sums;
  }

  incrementWindow(key: string, increments: WindowCounts, windowMs: number): Promise<WindowCounts> {
    return Promise.resolve(this.incrementNow(key, increments, windowMs));
  }

  addToWindow(key: string, increments: WindowCounts, windowMs: number): Promise<void> {
    this.addNow(key, increments, windowMs);
    return Promise.resolve();
  }

  private incrementNow(key: string, increments: WindowCounts, windowMs: number): WindowCounts {
    return this.sumWindow(this.addNow(key, increments, windowMs), windowMs, this.clock.now());
  }

  /** Adds to the current bucket; returns the key's buckets. */
  private addNow(
    key: string,
    increments: WindowCounts,
    windowMs: number,
  ): Map<number, Record<string, number>> {
    const now = this.clock.now();
    const bucketMs = windowMs / bucketsPerWindow;
    const start = Math.floor(now / bucketMs) * bucketMs;
    const buckets = this.bucketsOf(key);
    this.windowLengths.set(key, windowMs);
    const counters = buckets.get(start) ?? {};
    for (const name in increments) {
      if (Object.hasOwn(increments, name))
        counters[name] = (counters[name] ?? 0) + (increments[name] as number);
    }
    buckets.set(start, counters);
    return buckets;
  }

  readWindow(key: string, windowMs: number): Promise<WindowCounts> {
    const buckets = this.windows.get(key);
    return Promise.resolve(buckets === undefined ? {} : this.sumWindow(buckets, windowMs, this.clock.now()));
  }

  private read(key: string): string | undefined {
    const entry = this.values.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.clock.now()) {
      this.values.delete(key);
      return undefined;
    }
    return entry.value;
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.read(key));
  }

  getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return Promise.resolve(keys.map((key) => this.read(key)));
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    this.values.set(key, { value, expiresAt: this.clock.now() + ttlMs });
    return Promise.resolve();
  }

  compareAndSet(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<boolean> {
    if (this.read(key) !== expected) return Promise.resolve(false);
    this.values.set(key, { value, expiresAt: this.clock.now() + ttlMs });
    return Promise.resolve(true);
  }

  delete(key: string): Promise<void> {
    this.values.delete(key);
    return Promise.resolve();
  }

  scan(prefix: string): Promise<Record<string, string>> {
    const result: Record<string, string> = {};
    for (const key of this.values.keys()) {
      if (!key.startsWith(prefix)) continue;
      const value = this.read(key);
      if (value !== undefined) result[key] = value;
    }
    return Promise.resolve(result);
  }

  publish(channel: string, message: string): Promise<void> {
    this.bus.emit(channel, message);
    return Promise.resolve();
  }

  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    // A subscriber that throws must neither fail the publisher nor starve the other subscribers.
    const guarded = (message: string): void => {
      try {
        handler(message);
      } catch (error) {
        this.onSubscriberError(error, channel);
      }
    };
    this.bus.on(channel, guarded);
    return Promise.resolve(() => {
      this.bus.off(channel, guarded);
      return Promise.resolve();
    });
  }

  /** Drops expired entries so that idle keys do not accumulate. */
  private sweep(): void {
    const now = this.clock.now();
    for (const [key, arrival] of this.arrival) if (arrival <= now) this.arrival.delete(key);
    for (const [key, entry] of this.values) if (entry.expiresAt <= now) this.values.delete(key);
    for (const [key] of this.leases) {
      if (this.liveLeases(key, now).holders.size === 0) this.leases.delete(key);
    }
    for (const [key, buckets] of this.windows) {
      this.sumWindow(buckets, this.windowLengths.get(key) ?? 0, now);
      if (buckets.size === 0) {
        this.windows.delete(key);
        this.windowLengths.delete(key);
      }
    }
  }

  close(): Promise<void> {
    clearInterval(this.sweeper);
    this.bus.removeAllListeners();
    return Promise.resolve();
  }
}
