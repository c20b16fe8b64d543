/**
 * `npm run bench`: the gateway's performance budget, measured side by side in one run against the
 * same fast upstream called directly and through a no-op proxy (docs/performance.md).
 * Options: --duration S (per load run, default 10), --connections 1,16,64,256, --streams 1000,5000 (each count
 * opened at once to one origin, straight and through the gateway),
 * --long-streams 20 and --long-tokens 50000 (that many streams of that many tokens at once through the
 * gateway, its RSS sampled while they stream; 0 streams = skip; 5 with --quick),
 * --soak S (RSS over a steady-load soak; 0 = skip), --redis (also the Redis state path), --quick,
 * --no-first-token-tail (skips the TTFT-tail scenario, bench/first-token-tail.ts, run after the table),
 * --peers (also Portkey's gateway, bench/lib/peers.ts: a target in every table, plus --peer-rounds N
 * interleaved rounds, default 3, of no-op proxy / Spillway / Portkey at 64 connections),
 * --no-guardrails (skips the PII guardrail's added cost, bench/guardrails.ts), --no-workers (skips N
 * worker threads vs 1 at 64 connections, unpinned, bench/workers.ts, run last),
 * --no-pin (by default each target runs pinned to CPU 1 and the load generator and upstream to CPU 0,
 * so the process measured never shares its core with the load; unpinned, the gateway's CPU per
 * request on a 2-core VM measured 2-3x higher and moved ±20% between runs), --profile (runs the gateway under `--cpu-prof` and prints its top self-time functions; the
 * profiler slows the gateway, so a profiled run's figures are not budget figures).
 * Prints one table and writes bench/results/<time>.json. Loopback only; every run bounded in time.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  cpuMs,
  freePort,
  memoryMb,
  canPin,
  pinToCpu,
  startListening,
  startWithHealth,
  type BenchProcess,
} from './lib/processes.ts';
import { percentile, probeLatency, runAutocannon, type Target } from './lib/load.ts';
import { holdLongStreams, holdStreams, measureStreamsInterleaved } from './lib/streams.ts';
import { benchRedisUrl, gatewayConfig, tenantKey } from './lib/gateway-config.ts';
import { printReport, type BenchReport } from './lib/report.ts';
import { installPortkey, measurePeerRounds, startPortkey } from './lib/peers.ts';
import { formatProfile, profileOfProcess, summariseProfile } from './lib/profile-summary.ts';
import {
  defaultFirstTokenTailOptions,
  formatFirstTokenTail,
  measureFirstTokenTail,
} from './first-token-tail.ts';
import { defaultGuardrailBenchOptions, formatGuardrails, measureGuardrails } from './guardrails.ts';
import { defaultWorkersBenchOptions, formatWorkers, measureWorkers } from './workers.ts';
import { countRedisCommands } from './lib/redis-commands.ts';

const { values } = parseArgs({
  allowNegative: true,
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '1,16,64,256' },
    streams: { type: 'string', default: '1000,5000' },
    /** Streams of --long-tokens tokens at once through the gateway, its RSS sampled (0: skip). */
    'long-streams': { type: 'string', default: '20' },
    'long-tokens': { type: 'string', default: '50000' },
    soak: { type: 'string', default: '0' },
    redis: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    /** Each target on CPU 1, the load generator and the upstream on CPU 0 (--no-pin: unpinned). */
    pin: { type: 'boolean', default: true },
    /** Portkey's gateway measured in the same run (docs/performance.md, Peers). */
    peers: { type: 'boolean', default: false },
    'peer-rounds': { type: 'string', default: '3' },
    /** Time to first token p50/p99 with a hanging / slow-first-token deployment, hedging off and on. */
    'first-token-tail': { type: 'boolean', default: true },
    /** CPU per request and stream first-token delay the PII guardrail adds on a 4 KB prompt. */
    guardrails: { type: 'boolean', default: true },
    /** N worker threads (the cores available) vs 1 at 64 connections, unpinned (bench/workers.ts). */
    workers: { type: 'boolean', default: true },
  },
});
const pin = (pid: number | undefined, cpu: number): void => {
  if (values.pin) pinToCpu(pid, cpu);
};
const durationS = values.quick ? 3 : Number(values.duration);
const connectionLevels = values.connections.split(',').map(Number);
/** Streams opened at once to one origin, per round (e.g. 1000,5000). */
const streamCounts = values.streams
  .split(',')
  .map(Number)
  .filter((count) => Number.isInteger(count) && count > 0);
const chunks = 64;
const longStreams = values.quick
  ? Math.min(5, Number(values['long-streams']))
  : Number(values['long-streams']);
const longTokens = Number(values['long-tokens']);
const gapMs = 20;
const profileDirectory = join('bench', 'results', 'profiles');

async function startGateway(
  name: string,
  upstreamPort: number,
  directory: string,
  redis: boolean,
): Promise<BenchProcess> {
  const port = await freePort();
  const configPath = join(directory, `${name}.yaml`);
  writeFileSync(
    configPath,
    gatewayConfig({
      port,
      upstreamPort,
      databasePath: join(directory, redis ? 'bench-redis.db' : 'bench.db'),
      redis,
    }),
  );
  const profileArgs = values.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDirectory] : [];
  return startWithHealth(
    name,
    // One worker thread: the table measures one pinned thread; N workers are bench/workers.ts's row.
    [...profileArgs, 'bin/spillway.js', 'serve', '--config', configPath, '--workers', '1'],
    port,
    `http://127.0.0.1:${port}/health/ready`,
  );
}

/** Installs (once) and starts Portkey's gateway; its installed versions go in the report. */
async function startPeer(upstreamUrl: string) {
  const install = installPortkey();
  process.stderr.write(
    `portkey: ${Object.entries(install.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}\n`,
  );
  return { ...(await startPortkey(install, upstreamUrl)), versions: install.versions };
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'spillway-bench-'));
  const processes: BenchProcess[] = [];
  let redisCounterClose: (() => Promise<void>) | undefined;
  if (values.profile) mkdirSync(profileDirectory, { recursive: true });
  try {
    const upstream = await startListening('upstream', [
      'bench/fast-upstream.ts',
      // Each stream asks for what it wants (max_tokens); the long streams want the most.
      '--chunks',
      String(Math.max(chunks, longTokens)),
      '--gap-ms',
      String(gapMs),
    ]);
    processes.push(upstream);
    pin(process.pid, 0);
    pin(upstream.child.pid, 0);
    const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
    const proxy = await startListening('noop-proxy', ['bench/noop-proxy.ts', '--upstream', upstreamUrl]);
    processes.push(proxy);
    pin(proxy.child.pid, 1);
    const gateway = await startGateway('gateway', upstream.port, directory, false);
    processes.push(gateway);
    pin(gateway.child.pid, 1);
    const gatewayRedis = values.redis
      ? await startGateway('gateway-redis', upstream.port, directory, true)
      : undefined;
    if (gatewayRedis !== undefined) processes.push(gatewayRedis);
    pin(gatewayRedis?.child.pid, 1);

    const portkey = values.peers ? await startPeer(upstreamUrl) : undefined;
    if (portkey !== undefined) {
      processes.push(portkey.process);
      pin(portkey.process.child.pid, 1);
    }

    const auth = { authorization: `Bearer ${tenantKey}` };
    const targets: Target[] = [
      { name: 'direct', url: upstreamUrl, headers: {} },
      { name: 'noop-proxy', url: `http://127.0.0.1:${proxy.port}`, headers: {} },
      { name: 'gateway', url: `http://127.0.0.1:${gateway.port}`, headers: auth },
    ];
    if (gatewayRedis !== undefined)
      targets.push({ name: 'gateway-redis', url: `http://127.0.0.1:${gatewayRedis.port}`, headers: auth });
    if (portkey !== undefined) targets.push(portkey.target);
    const pidOf = new Map<string, number>(processes.map((p) => [p.name, p.child.pid ?? 0]));
    pidOf.set('direct', upstream.child.pid ?? 0);

    const report: BenchReport = {
      startedAt: new Date().toISOString(),
      node: process.version,
      durationS,
      pinned: values.pin && canPin(),
      throughput: [],
      latency: [],
      fixedRate: [],
      streaming: [],
      concurrentStreams: [],
      redisCommands: [],
      memory: [],
      ...(portkey === undefined ? {} : { peers: { versions: portkey.versions, rounds: [] } }),
    };

    const redisCounter = gatewayRedis === undefined ? undefined : countRedisCommands(benchRedisUrl);
    redisCounterClose = redisCounter === undefined ? undefined : () => redisCounter.close();
    process.stderr.write('warming up\n');
    for (const target of targets) await runAutocannon(target, 16, 2);

    for (const connections of connectionLevels) {
      for (const target of targets) {
        const pid = pidOf.get(target.name) ?? 0;
        const counting = target.name === 'gateway-redis' ? redisCounter : undefined;
        await counting?.start();
        const cpuBefore = cpuMs(pid);
        const result = await runAutocannon(target, connections, durationS);
        const cpuPerRequestMs = (cpuMs(pid) - cpuBefore) / Math.max(1, result.requests);
        const counted = await counting?.stop();
        if (counted !== undefined) {
          // Autocannon stops counting at the deadline; requests still in flight then are few (<= connections).
          const requests = Math.max(1, result.requests);
          report.redisCommands.push({
            connections,
            requests: result.requests,
            scriptsPerRequest: counted.scripts / requests,
            commandsPerRequest: counted.commands / requests,
            top: counted.byCommand.slice(0, 8).map(([name, calls]) => [name, calls / requests] as const),
          });
        }
        report.throughput.push({
          target: target.name,
          connections,
          ...result,
          cpuPerRequestMs,
          peakRssMb: memoryMb(pid).peak,
        });
        process.stderr.write(
          `${target.name} c=${connections}: ${result.requestsPerSecond.toFixed(0)} req/s\n`,
        );
      }
    }

    process.stderr.write('latency probe at 1 connection (interleaved)\n');
    const samples = await probeLatency(targets, values.quick ? 4 : 11, values.quick ? 300 : 1000);
    for (const target of targets) {
      const list = samples.get(target.name) ?? [];
      report.latency.push({
        target: target.name,
        samples: list.length,
        p50Ms: percentile(list, 50),
        p99Ms: percentile(list, 99),
      });
    }

    if (report.peers !== undefined) {
      process.stderr.write('peers: interleaved rounds at 64 connections\n');
      const peerTargets = ['noop-proxy', 'gateway', 'portkey'].flatMap((name) => {
        const target = targets.find((t) => t.name === name);
        return target === undefined ? [] : [{ ...target, pid: pidOf.get(name) ?? 0 }];
      });
      report.peers.rounds = await measurePeerRounds(
        peerTargets,
        64,
        values.quick ? 2 : Number(values['peer-rounds']),
        durationS,
      );
    }

    const noopAt64 = report.throughput.find((r) => r.target === 'noop-proxy' && r.connections === 64);
    const rate = Math.max(100, Math.round((noopAt64?.requestsPerSecond ?? 2000) * 0.5));
    for (const target of targets.filter((t) => t.name !== 'direct')) {
      const result = await runAutocannon(target, 64, durationS, rate);
      report.fixedRate.push({ target: target.name, rate, ...result });
    }

    process.stderr.write('streaming (interleaved)\n');
    const streamLatency = await measureStreamsInterleaved(
      targets,
      values.quick ? 3 : 6,
      values.quick ? 20 : 50,
    );
    for (const target of targets) {
      const latency = streamLatency.get(target.name);
      if (latency !== undefined) report.streaming.push({ target: target.name, ...latency });
    }
    const gatewayTarget = targets[2];
    if (gatewayTarget !== undefined) {
      const directTarget = targets[0];
      for (const count of streamCounts) {
        process.stderr.write(`${count} concurrent streams\n`);
        if (directTarget !== undefined) {
          const direct = await holdStreams(directTarget, count, chunks, chunks);
          report.concurrentStreams.push({ target: 'direct', ...direct, peakRssMb: Number.NaN });
        }
        const held = await holdStreams(gatewayTarget, count, chunks, chunks);
        report.concurrentStreams.push({
          target: 'gateway',
          ...held,
          peakRssMb: memoryMb(gateway.child.pid ?? 0).peak,
        });
      }
    }

    if (gatewayTarget !== undefined && longStreams > 0) {
      process.stderr.write(`${longStreams} long streams\n`);
      report.longStreams = await holdLongStreams(
        gatewayTarget,
        gateway.child.pid ?? 0,
        longStreams,
        longTokens,
      );
    }

    const soakS = Number(values.soak);
    if (soakS > 0 && gatewayTarget !== undefined) {
      process.stderr.write(`soak ${soakS}s\n`);
      const pid = gateway.child.pid ?? 0;
      for (let elapsed = 0; elapsed < soakS; elapsed += 30) {
        await runAutocannon(gatewayTarget, 64, Math.min(30, soakS - elapsed));
        report.memory.push({ atS: elapsed + Math.min(30, soakS - elapsed), rssMb: memoryMb(pid).rss });
      }
    }
    for (const p of processes)
      report.memory.push({
        process: p.name,
        rssMb: memoryMb(p.child.pid ?? 0).rss,
        peakMb: memoryMb(p.child.pid ?? 0).peak,
      });

    printReport(report);
    const file = join('bench', 'results', `${report.startedAt.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`\nresults written to ${file}\n`);
  } finally {
    await redisCounterClose?.();
    await Promise.all(processes.map((p) => p.stop()));
  }
  if (values.profile) {
    // Each profiled gateway writes its profile as it exits.
    for (const p of processes.filter((p) => p.name.startsWith('gateway'))) {
      const file = profileOfProcess(profileDirectory, p.child.pid ?? 0);
      process.stdout.write(
        file === undefined
          ? `\n${p.name}: no CPU profile was written\n`
          : `\n${p.name}: ${formatProfile(summariseProfile(file))}\n`,
      );
    }
  }
}

await main();
if (values['first-token-tail']) {
  const tailOptions = {
    ...defaultFirstTokenTailOptions,
    ...(values.quick ? { requests: 100, warmup: 40 } : {}),
  };
  process.stdout.write(`\n${formatFirstTokenTail(await measureFirstTokenTail(tailOptions), tailOptions)}\n`);
}
if (values.guardrails) {
  const guardrailOptions = {
    ...defaultGuardrailBenchOptions,
    ...(values.quick ? { requests: 500 } : {}),
  };
  process.stdout.write(
    `\n${formatGuardrails(await measureGuardrails(guardrailOptions), guardrailOptions)}\n`,
  );
}
if (values.workers) {
  const workersOptions = {
    ...defaultWorkersBenchOptions,
    ...(values.quick ? { rounds: 2, durationS: 3 } : {}),
  };
  process.stdout.write(`\n${formatWorkers(await measureWorkers(workersOptions), workersOptions)}\n`);
}
