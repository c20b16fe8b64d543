/**
 * `server.workers`: throughput of one gateway process with N worker threads against the same
 * process with 1, at 64 connections, unpinned (the workers need every core), in interleaved rounds.
 * Part of `npm run bench` (--no-workers skips it); alone: `node bench/workers.ts [--duration S]
 * [--rounds N] [--workers N]`. The load generator (this process) and the upstream share the
 * machine's cores with the gateway, so on a small machine the ideal N x is out of reach: the report
 * says how many cores there were.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gatewayConfig, tenantKey } from './lib/gateway-config.ts';
import { median, runAutocannon } from './lib/load.ts';
import {
  cpuMs,
  freePort,
  startListening,
  startWithHealth,
  unpin,
  type BenchProcess,
} from './lib/processes.ts';

export interface WorkersBenchOptions {
  /** Worker threads of the multi-worker gateway (default: the cores available). */
  readonly workers: number;
  readonly rounds: number;
  readonly durationS: number;
  readonly connections: number;
}

export interface WorkersBenchResult {
  readonly cores: number;
  readonly workers: number;
  /** Requests per second of each round, one worker and N workers. */
  readonly one: readonly number[];
  readonly many: readonly number[];
  /** CPU milliseconds per request (all threads of the process), medians. */
  readonly oneCpuMs: number;
  readonly manyCpuMs: number;
  readonly errors: number;
}

export const defaultWorkersBenchOptions: WorkersBenchOptions = {
  workers: availableParallelism(),
  rounds: 3,
  durationS: 5,
  connections: 64,
};

async function startGateway(name: string, workers: number, upstreamPort: number, directory: string) {
  const port = await freePort();
  const configPath = join(directory, `${name}.yaml`);
  const databasePath = join(directory, `${name}.db`);
  writeFileSync(configPath, gatewayConfig({ port, upstreamPort, databasePath, redis: false }));
  return startWithHealth(
    name,
    ['bin/spillway.js', 'serve', '--config', configPath, '--workers', String(workers)],
    port,
    `http://127.0.0.1:${port}/health/ready`,
  );
}

export async function measureWorkers(options: WorkersBenchOptions): Promise<WorkersBenchResult> {
  const directory = mkdtempSync(join(tmpdir(), 'spillway-bench-workers-'));
  const processes: BenchProcess[] = [];
  // Unpinned means every core: `npm run bench` pinned this process to CPU 0 for its table, and
  // the processes started here would inherit that (the N-worker gateway then ran on one core).
  unpin(process.pid);
  const cores = cpus().length;
  try {
    const upstream = await startListening('upstream', [
      'bench/fast-upstream.ts',
      '--chunks',
      '64',
      '--gap-ms',
      '20',
    ]);
    processes.push(upstream);
    const one = await startGateway('one-worker', 1, upstream.port, directory);
    processes.push(one);
    const many = await startGateway('n-workers', options.workers, upstream.port, directory);
    processes.push(many);
    const auth = { authorization: `Bearer ${tenantKey}` };
    const targets = [one, many].map((gateway) => ({
      name: gateway.name,
      url: `http://127.0.0.1:${gateway.port}`,
      headers: auth,
      pid: gateway.child.pid ?? 0,
    }));
    for (const target of targets) await runAutocannon(target, 16, 2);
    const rates: [number[], number[]] = [[], []];
    const cpu: [number[], number[]] = [[], []];
    let errors = 0;
    for (let round = 0; round < options.rounds; round += 1) {
      for (const [index, target] of targets.entries()) {
        const before = cpuMs(target.pid);
        const result = await runAutocannon(target, options.connections, options.durationS);
        rates[index]?.push(result.requestsPerSecond);
        cpu[index]?.push((cpuMs(target.pid) - before) / Math.max(1, result.requests));
        errors += result.errors + result.non2xx;
        process.stderr.write(
          `workers ${target.name} round ${round + 1}: ${result.requestsPerSecond.toFixed(0)} req/s\n`,
        );
      }
    }
    return {
      cores,
      workers: options.workers,
      one: rates[0],
      many: rates[1],
      oneCpuMs: median(cpu[0]),
      manyCpuMs: median(cpu[1]),
      errors,
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    rmSync(directory, { recursive: true, force: true });
  }
}

export function formatWorkers(result: WorkersBenchResult, options: WorkersBenchOptions): string {
  const one = median(result.one);
  const many = median(result.many);
  const ratio = many / one;
  const list = (values: readonly number[]) => values.map((value) => value.toFixed(0)).join(', ');
  return [
    `Workers (server.workers), ${options.connections} connections, unpinned, ${options.rounds} interleaved rounds of ${options.durationS} s, ${result.cores} cores available (shared with the load generator and the upstream):`,
    `  1 worker:  ${one.toFixed(0)} req/s median (${list(result.one)}), ${result.oneCpuMs.toFixed(3)} ms CPU/request`,
    `  ${result.workers} workers: ${many.toFixed(0)} req/s median (${list(result.many)}), ${result.manyCpuMs.toFixed(3)} ms CPU/request`,
    `  ${result.workers} workers = ${ratio.toFixed(2)} x 1 worker (${(ratio / result.workers).toFixed(2)} x the ideal ${result.workers} x); errors/non-2xx: ${result.errors}`,
  ].join('\n');
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: String(defaultWorkersBenchOptions.durationS) },
      rounds: { type: 'string', default: String(defaultWorkersBenchOptions.rounds) },
      workers: { type: 'string', default: String(defaultWorkersBenchOptions.workers) },
    },
  });
  const options: WorkersBenchOptions = {
    ...defaultWorkersBenchOptions,
    durationS: Number(values.duration),
    rounds: Number(values.rounds),
    workers: Number(values.workers),
  };
  process.stdout.write(`${formatWorkers(await measureWorkers(options), options)}\n`);
}
