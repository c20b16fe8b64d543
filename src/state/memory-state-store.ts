import { EventEmitter } from 'node:events';
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import type {
  LimitState,
  RateLimit,
  ReserveRequest,
  ReserveResult,
  StateStore,
  WindowCounts,
} from './state-store.ts';

interface Entry {
  value: string;
  expiresAt: number;
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
  /** Lease id → expiry, per concurrency key. */
  private readonly leases = new Map<string, Map<string, number>>();
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

  private liveLeases(key: string, now: number): Map<string, number> {
    let holders = this.leases.get(key);
    if (holders === undefined) {
      holders = new Map();
      this.leases.set(key, holders);
    }
    for (const [id, expiresAt] of holders) if (expiresAt <= now) holders.delete(id);
    return holders;
  }

  reserve(request: ReserveRequest): Promise<ReserveResult> {
    const now = this.clock.now();
    const states: LimitState[] = [];
    let rejectedKey: string | undefined;
    let retryAfterMs = 0;
    const nextArrivals: number[] = [];
    for (const rate of request.rates) {
      const interval = rate.windowMs / rate.limit;
      const arrival = Math.max(this.arrival.get(rate.key) ?? now, now);
      const next = arrival + rate.cost * interval;
      nextArrivals.push(next);
      // GCRA: admit when the new theoretical arrival time stays within one window of now.
      const fits = next - now <= rate.windowMs + 1e-6;
      if (!fits && rejectedKey === undefined) {
        rejectedKey = rate.key;
        retryAfterMs = rate.cost > rate.limit ? Infinity : Math.ceil(next - rate.windowMs - now);
      }
      states.push(this.rateState(rate, now, fits ? next : arrival));
    }
    const holdersPerLimit = request.concurrency.map((limit) => this.liveLeases(limit.key, now));
    request.concurrency.forEach((limit, index) => {
      const holders = holdersPerLimit[index] ?? new Map<string, number>();
      const held = holders.has(request.leaseId) ? holders.size - 1 : holders.size;
      const fits = held < limit.limit;
      if (!fits && rejectedKey === undefined) {
        rejectedKey = limit.key;
        // A slot frees when a request ends; we cannot know when, so suggest a short wait.
        retryAfterMs = 1000;
      }
      states.push({
        key: limit.key,
        limit: limit.limit,
        remaining: Math.max(0, limit.limit - held - (fits ? 1 : 0)),
        resetMs: 0,
      });
    });
    if (rejectedKey !== undefined) {
      return Promise.resolve({ granted: false, rejectedKey, retryAfterMs, states });
    }
    request.rates.forEach((rate, index) => {
      this.arrival.set(rate.key, nextArrivals[index] ?? now);
    });
    holdersPerLimit.forEach((holders) => holders.set(request.leaseId, now + request.leaseTtlMs));
    return Promise.resolve({ granted: true, states });
  }

  adjustRate(rate: RateLimit): Promise<void> {
    const now = this.clock.now();
    const interval = rate.windowMs / rate.limit;
    const arrival = Math.max(this.arrival.get(rate.key) ?? now, now);
    this.arrival.set(rate.key, Math.max(now, arrival + rate.cost * interval));
    return Promise.resolve();
  }

  release(concurrencyKeys: readonly string[], leaseId: string): Promise<void> {
    for (const key of concurrencyKeys) this.leases.get(key)?.delete(leaseId);
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
    for (const [start, counters] of buckets) {
      if (start < oldest) {
        buckets.delete(start);
        continue;
      }
      for (const [name, value] of Object.entries(counters)) sums[name] = (sums[name] ?? 0) + value;
    }
    return sums;
  }

  incrementWindow(key: string, increments: WindowCounts, windowMs: number): Promise<WindowCounts> {
    const now = this.clock.now();
    const bucketMs = windowMs / bucketsPerWindow;
    const start = Math.floor(now / bucketMs) * bucketMs;
    const buckets = this.bucketsOf(key);
    this.windowLengths.set(key, windowMs);
    const counters = buckets.get(start) ?? {};
    for (const [name, value] of Object.entries(increments)) counters[name] = (counters[name] ?? 0) + value;
    buckets.set(start, counters);
    return Promise.resolve(this.sumWindow(buckets, windowMs, now));
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
      if (this.liveLeases(key, now).size === 0) this.leases.delete(key);
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
