import { Pool } from 'undici';

/**
 * One keep-alive undici Pool per endpoint origin, shared by every Bedrock model that calls it and
 * closed when the last one lets go. undici sets TCP no-delay on its sockets itself.
 */

interface Entry {
  readonly pool: Pool;
  users: number;
}

const pools = new Map<string, Entry>();

/** A lease on the shared pool of one origin. */
export interface PoolLease {
  /** The pool to dispatch on. */
  readonly pool: Pool;
  /** Gives the lease back; the pool closes when its last lease is released. Idempotent. */
  release(): Promise<void>;
}

/** Leases the pool of `origin` (e.g. `https://bedrock-runtime.us-east-1.amazonaws.com`). */
export function leasePool(origin: string): PoolLease {
  let entry = pools.get(origin);
  if (entry === undefined) {
    entry = {
      pool: new Pool(origin, {
        // HTTP/1.1 keeps framing simple and matches every simulator; the pool opens sockets on demand.
        allowH2: false,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
        connect: { keepAlive: true },
      }),
      users: 0,
    };
    pools.set(origin, entry);
  }
  entry.users += 1;
  const leased = entry;
  let released = false;
  return {
    pool: leased.pool,
    release: async () => {
      if (released) return;
      released = true;
      leased.users -= 1;
      if (leased.users > 0) return;
      if (pools.get(origin) === leased) pools.delete(origin);
      await leased.pool.close();
    },
  };
}
