import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Worker as Thread } from 'node:worker_threads';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../src/config/schema.ts';
import { startWorkerPool, type PoolSurroundings } from '../src/composition/worker-pool.ts';
import { startOneGateway, type RunningGateway } from '../src/main.ts';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, simModels, singleDeploymentGroup } from './support/gateway-config.ts';
import { slowNovaLiteWorld, startTestSimulator } from './support/simulator.ts';
import { waitFor } from './support/wait-for.ts';
import { metricSum, pinnedConnections, refused, send } from './support/worker-connections.ts';

// A worker thread that dies (`server.workers` > 1): the pool starts another in its place, and the
// concurrency slots its requests held in the main thread's state are given back when it dies, not
// when their leases expire. One that dies young stops the process (a crash loop). Without
// SO_REUSEPORT the pool runs one gateway in the main thread. The pool is started here with its
// surroundings replaced (platform, minimum lifetime, what giving up does) and each thread in hand,
// so a test can end one from outside.

let sim: RunningSimulator;
let directory: string;
beforeAll(async () => {
  sim = await startTestSimulator({ seed: 11, world: slowNovaLiteWorld, latencyScale: 1 });
  directory = await mkdtemp(join(tmpdir(), 'spillway-workers-replace-'));
});
afterAll(async () => {
  await sim.close();
  await rm(directory, { recursive: true, force: true });
});

/** A logger whose lines the test reads. */
function recordingLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines: () => lines };
}

/** A pool of `count` workers over a one-slot deployment; `threads` holds each seat's latest thread. */
async function startPool(
  name: string,
  count: number,
  surroundings: PoolSurroundings,
): Promise<{
  gateway: RunningGateway;
  threads: Map<number, Thread>;
  lines: () => Record<string, unknown>[];
}> {
  const threads = new Map<number, Thread>();
  const { logger, lines } = recordingLogger();
  const config = configSchema.parse({
    ...simGatewayConfig(sim.url, {
      models: {
        // One slot: while a request holds it, the next is refused.
        slow: {
          deployments: [
            { id: 'slow', provider: 'a1-us-east-1', model: simModels.novaLite, max_concurrency: 1 },
          ],
        },
      },
      server: { log_level: 'warn' },
    }),
    database: { path: join(directory, `${name}.db`) },
  });
  const gateway = await startWorkerPool(
    { config, port: 0, logger, accessLog: false, spoolDirectory: join(directory, `${name}-spool`) },
    count,
    (options) => startOneGateway(options),
    {
      ...surroundings,
      started: (index, thread) => {
        threads.set(index, thread);
        surroundings.started?.(index, thread);
      },
    },
  );
  return { gateway, threads, lines };
}

const ask = (maxTokens: number) => ({
  model: 'slow',
  messages: [{ role: 'user', content: 'Tell me a story' }],
  max_tokens: maxTokens,
});

describe('a worker that dies', () => {
  it('is replaced, and the concurrency slot its request held is free at once (not when the lease expires)', async () => {
    const { gateway, threads, lines } = await startPool('replaced', 2, { minimumLifetimeMs: 0 });
    let pins = await pinnedConnections(gateway.url, 2, 1);
    try {
      const [onSurvivor] = pins.byWorker.get(1) ?? [];
      const [onDying] = pins.byWorker.get(0) ?? [];
      // Worker 0 (the one that bound the port) holds the slot: 300 tokens at 15 a second is 20 s (the lease would outlive the test).
      const held = send(gateway.url, '/v1/chat/completions', onDying ?? false, ask(300)).then(
        (answer) => answer.status,
        (error: unknown) => (error as Error).message,
      );
      await waitFor(
        async () =>
          metricSum((await send(gateway.url, '/metrics', false)).body, 'spillway_requests_in_flight') === 1,
        { what: 'the slow request in flight' },
      );
      expect((await send(gateway.url, '/v1/chat/completions', onSurvivor ?? false, ask(1))).status).toBe(429);

      const dying = threads.get(0);
      await dying?.terminate();
      // Its client's connection is cut (the request dies with the worker).
      expect(await held).toMatch(/socket hang up|ECONNRESET/);
      await waitFor(() => threads.get(0) !== dying, { what: 'another worker 0 started' });
      await waitFor(
        () => lines().some((line) => String(line['msg']).includes('starting another in its place')),
        { what: 'the replacement logged' },
      );

      // The slot is back, on the surviving worker.
      expect((await send(gateway.url, '/v1/chat/completions', onSurvivor ?? false, ask(1))).status).toBe(200);
      // The replacement serves: once it listens, fresh connections reach both workers again.
      pins.close();
      await waitFor(
        async () => {
          const probe = await pinnedConnections(gateway.url, 2, 1, 16);
          probe.close();
          return probe.byWorker.has(0);
        },
        {
          what: 'the new worker 0 listening (on the port of the pool, not a new one: the configured port is 0)',
        },
      );
      pins = await pinnedConnections(gateway.url, 2, 1);
      expect([...pins.byWorker.keys()].sort()).toEqual([0, 1]);
      const [onReplacement] = pins.byWorker.get(0) ?? [];
      expect((await send(gateway.url, '/v1/chat/completions', onReplacement ?? false, ask(1))).status).toBe(
        200,
      );
      const ready = await send(gateway.url, '/health/ready', onReplacement ?? false);
      expect(ready.status).toBe(200);
      expect(ready.body).toContain('2 worker threads');
      expect(lines().filter((line) => line['level'] === 60)).toEqual([]);
    } finally {
      pins.close();
      await gateway.close();
    }
  });

  it('young (a crash loop): the process closes and gives up instead of starting another', async () => {
    let gaveUp = 0;
    let now = 0;
    const { gateway, threads, lines } = await startPool('young', 2, {
      minimumLifetimeMs: 10_000,
      now: () => now,
      giveUp: () => {
        gaveUp += 1;
      },
    });
    const first = threads.get(1);
    now = 9_999;
    await first?.terminate();
    await waitFor(() => gaveUp === 1, { what: 'the pool gave up' });
    expect(threads.get(1)).toBe(first);
    expect(await refused(gateway.port)).toBe(true);
    const fatal = lines().filter((line) => line['level'] === 60);
    expect(fatal.map((line) => line['msg'])).toEqual([
      'worker 1 exited (code 1) 9999 ms after it started; stopping',
    ]);
    await gateway.close();
  });

  it('while the others are still starting: the pool closes, gives up, and its start fails (no worker left running)', async () => {
    let gaveUp = 0;
    const threads = new Map<number, Thread>();
    const { logger, lines } = recordingLogger();
    const config = configSchema.parse({
      ...simGatewayConfig(sim.url, {
        models: { slow: singleDeploymentGroup('slow', 'a1-us-east-1', simModels.novaLite) },
      }),
      database: { path: join(directory, 'startup.db') },
    });
    const starting = startWorkerPool(
      { config, port: 0, logger, accessLog: false, spoolDirectory: join(directory, 'startup-spool') },
      3,
      (options) => startOneGateway(options),
      {
        giveUp: () => {
          gaveUp += 1;
        },
        started: (index, thread) => {
          threads.set(index, thread);
          // Worker 0 listens before the others start: it dies as worker 2 starts.
          if (index === 2) void threads.get(0)?.terminate();
        },
      },
    );
    // Either the others listened first (then the pool says a worker exited while they started) or
    // the pool's stop reached them while they were starting (then one says it exited before it listened).
    await expect(starting).rejects.toThrow(
      /a worker exited while the others started|exited \(code \d+\) before it listened/,
    );
    await waitFor(() => gaveUp === 1, { what: 'the pool gave up' });
    expect(
      lines()
        .filter((line) => line['level'] === 60)
        .map((line) => line['msg']),
    ).toEqual([expect.stringMatching(/^worker 0 exited \(code 1\) \d+ ms after it started; stopping$/)]);
    // Every thread has exited (threadId -1 once a Worker has stopped).
    await waitFor(() => [...threads.values()].every((thread) => thread.threadId === -1), {
      what: 'every worker thread exited',
    });
  });
});

it('without SO_REUSEPORT, one gateway serves in the main thread, with a warning', async () => {
  let singles = 0;
  const { logger, lines } = recordingLogger();
  const config = configSchema.parse({
    ...simGatewayConfig(sim.url, {
      models: { fast: { deployments: [{ id: 'fast', provider: 'a1-us-east-1', model: simModels.novaPro }] } },
    }),
    database: { path: join(directory, 'single.db') },
  });
  const started: number[] = [];
  const gateway = await startWorkerPool(
    { config, port: 0, logger, accessLog: false, spoolDirectory: join(directory, 'single-spool') },
    4,
    (options) => {
      singles += 1;
      expect(options.workers).toBe(1);
      return startOneGateway(options);
    },
    { platform: 'win32', started: (index) => started.push(index) },
  );
  try {
    expect(singles).toBe(1);
    expect(started).toEqual([]);
    const answer = await send(gateway.url, '/v1/chat/completions', false, {
      model: 'fast',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(answer.status).toBe(200);
    expect(lines().find((line) => line['level'] === 40)?.['msg']).toBe(
      'server.workers: 4 needs SO_REUSEPORT; running 1 worker',
    );
  } finally {
    await gateway.close();
  }
});
