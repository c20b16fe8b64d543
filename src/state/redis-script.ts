import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-connection.ts';

/**
 * A Lua script run with EVALSHA (one round trip, the script body is not resent); when the server
 * does not know the script yet (first call, or after a restart or failover emptied its cache) it
 * falls back to EVAL once, which also caches it.
 */
export class RedisScript {
  /** The Lua source. */
  readonly source: string;
  /** SHA-1 of the source, as Redis names cached scripts. */
  readonly sha: string;

  constructor(source: string) {
    this.source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script with these keys and arguments; resolves to the raw Redis reply. */
  async run(
    client: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await client.call('EVALSHA', this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await client.call('EVAL', this.source, keys.length, ...keys, ...args);
    }
  }
}
