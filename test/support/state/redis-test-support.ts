import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/**
 * Test support for the Redis-backed stores: the shared test Redis, unique key prefixes with
 * cleanup, and a throwaway redis-server that a test may stop and restart (never the shared one).
 */

/** The shared Redis the tests use (loopback). */
export const testRedisUrl = process.env.SPILLWAY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A prefix no other test run uses, so parallel runs never see each other's keys. */
export function uniquePrefix(): string {
  return `spillway-test-${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key RedisStateStore wrote under `prefix`. */
export async function deleteKeysWithPrefix(prefix: string, url = testRedisUrl): Promise<void> {
  const client = new Redis(url);
  try {
    const pattern = `{${prefix.replace(/:$/, '')}}:*`;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A private redis-server on a free loopback port, without persistence, that can be stopped and started. */
export class ThrowawayRedis {
  /** The port it listens on (kept across restarts). */
  readonly port: number;
  private process: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  /** Starts one; requires `redis-server` on PATH. */
  static async start(): Promise<ThrowawayRedis> {
    const server = new ThrowawayRedis(await freePort());
    await server.startProcess();
    return server;
  }

  /** The URL to connect to it. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server again on the same port; resolves once it accepts connections. */
  async startProcess(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.process = child;
    // never leave a server behind if the test process ends without stopping it
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', kill);
    child.once('exit', () => process.off('exit', kill));
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => {
        reject(new Error(`redis-server did not start: ${output}`));
      }, 10_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${String(code)}: ${output}`));
      });
    });
  }

  /** Kills the server (as an outage would) and waits until it is gone. */
  async stopProcess(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}
