import { Pool } from 'undici';

/** Tuning of an upstream connection pool; every field has a production default. */
export interface UpstreamPoolOptions {
  /** Most sockets kept to the origin (default 256). */
  readonly connections?: number | undefined;
  /** How long an idle socket is kept open when the server does not say (default 30 s). */
  readonly keepAliveTimeoutMs?: number | undefined;
  /** Time to connect, TLS included (default 10 s). */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * Longest wait for response headers and longest silence inside a body (default 10 min). The
   * gateway's own timeouts abort sooner through the call's signal; these only catch dead sockets.
   */
  readonly socketTimeoutMs?: number | undefined;
}

/**
 * One undici Pool to an origin: HTTP/1.1 keep-alive, pipelining 1 (a long LLM answer must never
 * block another request queued behind it on the same socket) and TCP no-delay (undici sets it on
 * every socket it connects; we keep its connector for that reason).
 */
export function createUpstreamPool(origin: string, options: UpstreamPoolOptions = {}): Pool {
  const socketTimeoutMs = options.socketTimeoutMs ?? 600_000;
  return new Pool(origin, {
    connections: options.connections ?? 256,
    pipelining: 1,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: socketTimeoutMs,
    bodyTimeout: socketTimeoutMs,
    // Pinned to HTTP/1.1: predictable per-socket behaviour, and what every OpenAI-compatible server speaks.
    allowH2: false,
    connect: { timeout: options.connectTimeoutMs ?? 10_000, noDelay: true, keepAlive: true },
  });
}

/** A pool borrowed from a {@link SharedPools}; `release` once the borrower closes. */
export interface PoolLease {
  /** The shared pool; do not close it directly. */
  readonly pool: Pool;
  /** Gives the lease back; the pool closes when its last lease is released. Idempotent. */
  release(): Promise<void>;
}

/**
 * Pools shared by origin, reference counted: all models of one provider (same base URL origin)
 * share one set of warm sockets.
 */
export class SharedPools {
  private readonly entries = new Map<string, { pool: Pool; leases: number }>();
  private readonly options: UpstreamPoolOptions;

  constructor(options: UpstreamPoolOptions = {}) {
    this.options = options;
  }

  /** Borrows the pool of `origin` (scheme, host and port), creating it on first use. */
  acquire(origin: string): PoolLease {
    let entry = this.entries.get(origin);
    if (entry === undefined) {
      entry = { pool: createUpstreamPool(origin, this.options), leases: 0 };
      this.entries.set(origin, entry);
    }
    entry.leases += 1;
    const held = entry;
    let released = false;
    return {
      pool: held.pool,
      release: async () => {
        if (released) return;
        released = true;
        held.leases -= 1;
        if (held.leases > 0) return;
        if (this.entries.get(origin) === held) this.entries.delete(origin);
        await held.pool.close();
      },
    };
  }

  /** Number of live pools (for tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }
}

/** The process-wide pools used when a factory is given no pool of its own. */
export const sharedPools = new SharedPools();
