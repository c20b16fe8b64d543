import { Pool } from 'undici';

/** Tuning of an upstream connection pool; every field has a production default. */
export interface UpstreamPoolOptions {
  /** Most sockets to the origin; undefined: no cap (an LLM stream holds its socket for minutes). */
  readonly connections?: number | undefined;
  /** Offer HTTP/2 by ALPN (https origins that speak it multiplex streams on few connections). */
  readonly http2?: boolean | undefined;
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
    // No cap by default: a cap is a queue in front of every busy deployment (tenant and deployment
    // concurrency limits are where load is bounded). A provider's max_connections sets one.
    connections: options.connections ?? null,
    pipelining: 1,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: socketTimeoutMs,
    bodyTimeout: socketTimeoutMs,
    // HTTP/1.1 unless the provider opts in (http2: true): predictable per-socket behaviour, and what
    // every OpenAI-compatible server speaks.
    allowH2: options.http2 === true,
    connect: { timeout: options.connectTimeoutMs ?? 10_000, noDelay: true, keepAlive: true },
  });
}

/** A provider's connection settings (its config entry's `max_connections` and `http2`). */
export interface ConnectionTuning {
  readonly connections?: number | undefined;
  readonly http2?: boolean | undefined;
}

/** A provider's connection fields as its config entry has them. */
export interface ConnectionSettings {
  /** Most sockets to the origin; absent: no cap. */
  readonly max_connections?: number | undefined;
  /** Offer HTTP/2 (ALPN). */
  readonly http2?: boolean | undefined;
}

/** A provider's config fields as pool tuning. */
export function connectionTuning(settings: ConnectionSettings): ConnectionTuning {
  return { connections: settings.max_connections, http2: settings.http2 };
}

function defined(tuning: ConnectionTuning): UpstreamPoolOptions {
  const options: { connections?: number; http2?: boolean } = {};
  if (tuning.connections !== undefined) options.connections = tuning.connections;
  if (tuning.http2 !== undefined) options.http2 = tuning.http2;
  return options;
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

  /**
   * Borrows the pool of `origin` (scheme, host and port) with `tuning` (a provider's connection
   * settings), creating it on first use: providers with the same origin and settings share sockets.
   */
  acquire(origin: string, tuning: ConnectionTuning = {}): PoolLease {
    const key = `${origin}|${String(tuning.connections ?? '')}|${tuning.http2 === true ? 'h2' : 'h1'}`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { pool: createUpstreamPool(origin, { ...this.options, ...defined(tuning) }), leases: 0 };
      this.entries.set(key, entry);
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
        if (this.entries.get(key) === held) this.entries.delete(key);
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
