import { Redis } from 'ioredis';

/**
 * Redis commands a run cost, read from the server's `INFO commandstats` before and after it (the
 * bench's Redis gateway is the only client of that server while it runs; the two INFO calls are
 * taken out). Commands a script runs inside the server are counted too (Redis 7 counts them), so
 * `scripts` is the round trips a request's script calls made and `commands` what the server did.
 */
export interface RedisCommandCount {
  /** EVAL/EVALSHA/FCALL calls. */
  readonly scripts: number;
  /** Every command the server ran, those inside scripts included. */
  readonly commands: number;
  /** The same by command name, largest first. */
  readonly byCommand: readonly (readonly [string, number])[];
}

/** `INFO commandstats` as calls per command name. */
function parseCommandStats(text: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match !== null) calls.set(match[1]!, Number(match[2]));
  }
  return calls;
}

const scriptCommands = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

/** Counts the commands `redisUrl`'s server runs between `start()` and `stop()`. */
export function countRedisCommands(redisUrl: string): {
  start(): Promise<void>;
  stop(): Promise<RedisCommandCount>;
  close(): Promise<void>;
} {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let before = new Map<string, number>();
  const read = async (): Promise<Map<string, number>> => parseCommandStats(await client.info('commandstats'));
  return {
    async start() {
      if (client.status === 'wait') await client.connect();
      before = await read();
    },
    async stop() {
      const after = await read();
      const delta = new Map<string, number>();
      for (const [name, calls] of after) {
        const added = calls - (before.get(name) ?? 0) - (name === 'info' ? 1 : 0);
        if (added > 0) delta.set(name, added);
      }
      const total = (names: (name: string) => boolean) =>
        [...delta].filter(([name]) => names(name)).reduce((sum, [, calls]) => sum + calls, 0);
      return {
        scripts: total((name) => scriptCommands.has(name)),
        commands: total(() => true),
        byCommand: [...delta].sort((a, b) => b[1] - a[1]),
      };
    },
    async close() {
      client.disconnect();
      await Promise.resolve();
    },
  };
}
