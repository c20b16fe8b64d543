/**
 * The state store: shared counters and flags behind limits, cooldowns and breakers. Every operation
 * is atomic (one round trip on Redis). Memory and Redis implementations pass one contract suite
 * (src/state/state-store.contract.ts).
 *
 * Rates are GCRA (generic cell rate algorithm): `limit` units per `windowMs`, with a burst of up to
 * `limit` at once, refilled smoothly (docs/decisions/0002-gcra-rate-limits.md). Time comes from the
 * store's injected clock.
 */

/** A rate to check and count: `cost` units against `limit` per `windowMs`. */
export interface RateLimit {
  readonly key: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly cost: number;
}

/** A concurrency limit: at most `limit` leases held at once. */
export interface ConcurrencyLimit {
  readonly key: string;
  readonly limit: number;
}

export interface ReserveRequest {
  readonly rates: readonly RateLimit[];
  readonly concurrency: readonly ConcurrencyLimit[];
  /** Identifies this holder's concurrency slots, for release. */
  readonly leaseId: string;
  /** A lease not released within this time is reclaimed (a crashed replica does not leak slots). */
  readonly leaseTtlMs: number;
}

/** Where one limit stands after a reserve: for RateLimit headers and metrics. */
export interface LimitState {
  readonly key: string;
  readonly limit: number;
  /** Units still available now. */
  readonly remaining: number;
  /** Milliseconds until the limit is fully replenished. */
  readonly resetMs: number;
}

export type ReserveResult =
  | { readonly granted: true; readonly states: readonly LimitState[] }
  | {
      readonly granted: false;
      /** Key of the (first) limit that said no. */
      readonly rejectedKey: string;
      /** When the request would fit; Infinity if it never can (cost above the limit). */
      readonly retryAfterMs: number;
      readonly states: readonly LimitState[];
    };

/** Sums of a windowed counter. */
export type WindowCounts = Readonly<Record<string, number>>;

/** Increments to a windowed counter (as `incrementWindow`), made by an admission. */
export interface WindowIncrement {
  readonly key: string;
  readonly increments: WindowCounts;
  readonly windowMs: number;
}

/**
 * One request's admission: its limits reserved, and, only when granted, the windowed counters it
 * counts toward (retry budgets) incremented and the values routing needs (breaker, cooldown) read.
 * Plain data, so that it can cross a thread boundary.
 */
export interface AdmitRequest {
  readonly reserve: ReserveRequest;
  readonly windows: readonly WindowIncrement[];
  /** Value keys (as `get`) to read. */
  readonly reads: readonly string[];
  /**
   * A second reservation in the same step, made only when `reserve` is granted, with an outcome of
   * its own: when it is refused nothing of it is counted and `reserve` stays granted. The gateway
   * reserves the deployment it expects to call here (docs/decisions/0031).
   */
  readonly also?: ReserveRequest | undefined;
}

export interface AdmitResult {
  readonly reservation: ReserveResult;
  /** The values of `reads` in order (all undefined when the reservation was refused). */
  readonly values: readonly (string | undefined)[];
  /** The outcome of `also`; undefined when none was asked or `reserve` was refused. */
  readonly also?: ReserveResult | undefined;
}

export interface StateStore {
  /**
   * Checks every rate and concurrency limit and, only if all fit, counts them all: one atomic step.
   * When any limit says no, nothing is counted. States are in the order rates then concurrency.
   */
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  /**
   * `reserve`, then, only when granted, `addToWindow` of each window, the `also` reservation and
   * `getMany` of the reads: one atomic step, one round trip on Redis. The hot path of a request.
   */
  admit(request: AdmitRequest): Promise<AdmitResult>;
  /**
   * Adds `cost` (may be negative: a refund) to a rate without checking it. Used to reconcile a token
   * reservation with the real usage once a response ends.
   */
  adjustRate(rate: RateLimit): Promise<void>;
  /** Releases this lease's slots on the given concurrency keys. Releasing twice is harmless. */
  release(concurrencyKeys: readonly string[], leaseId: string): Promise<void>;
  /**
   * A reservation's settlement in one call: `adjustRate` of each adjustment, then `release` of the
   * lease on the concurrency keys (either list may be empty).
   */
  settle(
    adjustments: readonly RateLimit[],
    concurrencyKeys: readonly string[],
    leaseId: string,
  ): Promise<void>;

  /** Adds to named counters in the current bucket and returns their sums over the window. */
  incrementWindow(key: string, increments: WindowCounts, windowMs: number): Promise<WindowCounts>;
  /**
   * `incrementWindow` without reading the sums back: for counts nobody reads at once (a success for
   * the breaker, a request for the retry budget). On Redis the window is not read: fewer commands.
   */
  addToWindow(key: string, increments: WindowCounts, windowMs: number): Promise<void>;
  /** Sums of named counters over the window, without changing them. */
  readWindow(key: string, windowMs: number): Promise<WindowCounts>;

  /** A value, or undefined if absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Several values at once (one round trip), in key order. */
  getMany(keys: readonly string[]): Promise<(string | undefined)[]>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets `value` only if the current value equals `expected` (undefined: absent). */
  compareAndSet(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Every live key starting with `prefix`, with its value. For small sets (replica heartbeats). */
  scan(prefix: string): Promise<Record<string, string>>;

  /** Sends a message to every subscriber of the channel, on every replica. */
  publish(channel: string, message: string): Promise<void>;
  /** Calls `handler` for each message on the channel; returns an unsubscribe function. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;

  /** Releases connections and timers. */
  close(): Promise<void>;
}
