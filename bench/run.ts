/**
 * `npm run bench`: the gateway's performance budget, measured side by side in one run against the
 * same fast upstream called directly and through a no-op proxy (reference/benchmarking.md).
 * Options: --duration S (per load run, default 10), --connections 1,16,64,256, --streams 1000,
 * --soak S (RSS over a steady-load soak; 0 = skip), --redis (also the Redis state path), --quick.
 * Prints one table and writes bench/results/<time>.json. Loopback only; every run bounded in time.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  cpuMs,
  freePort,
  memoryMb,
  startListening,
  startWithHealth,
  type BenchProcess,
} from './lib/processes.ts';
import { percentile, probeLatency, runAutocannon, type Target } from './lib/load.ts';
import { holdStreams, measureStreams } from './lib/streams.ts';
import { printReport, type BenchReport } from './lib/report.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '1,16,64,256' },
    streams: { type: 'string', default: '1000' },
    soak: { type: 'string', default: '0' },
    redis: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
  },
});
const durationS = values.quick ? 3 : Number(values.duration);
const connectionLevels = values.connections.split(',').map(Number);
const streamCount = Number(values.streams);
const chunks = 64;
const gapMs = 20;
const tenantKey = 'sk-bench-tenant-key-000000000001';

function gatewayConfig(port: number, upstreamPort: number, directory: string, redis: boolean): string {
  const deployment = (id: string) =>
    `      - { id: ${id}, provider: upstream, model: bench-model, rpm: 100000000, tpm: 100000000000, max_concurrency: 100000, price: { input: 1, output: 2 } }`;
  return [
    'server:',
    `  port: ${port}`,
    '  log_level: warn',
    '  admin_key: bench-admin-key-0001',
    'providers:',
    `  upstream: { type: openai, base_url: "http://127.0.0.1:${upstreamPort}/v1", api_key: sk-bench-upstream }`,
    'models:',
    '  bench:',
    '    strategy: weighted',
    '    deployments:',
    deployment('bench-a'),
    deployment('bench-b'),
    deployment('bench-c'),
    'tenants:',
    `  bench: { keys: ["${tenantKey}"], rpm: 100000000, tpm: 100000000000, max_concurrency: 100000 }`,
    `database: { path: "${join(directory, redis ? 'bench-redis.db' : 'bench.db')}" }`,
    redis ? 'state: { redis_url: "redis://127.0.0.1:6379" }' : '',
    '',
  ].join('\n');
}

async function startGateway(
  name: string,
  upstreamPort: number,
  directory: string,
  redis: boolean,
): Promise<BenchProcess> {
  const port = await freePort();
  const configPath = join(directory, `${name}.yaml`);
  writeFileSync(configPath, gatewayConfig(port, upstreamPort, directory, redis));
  return startWithHealth(
    name,
    ['bin/spillway.js', 'serve', '--config', configPath],
    port,
    `http://127.0.0.1:${port}/health/ready`,
  );
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'spillway-bench-'));
  const processes: BenchProcess[] = [];
  try {
    const upstream = await startListening('upstream', [
      'bench/fast-upstream.ts',
      '--chunks',
      String(chunks),
      '--gap-ms',
      String(gapMs),
    ]);
    processes.push(upstream);
    const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
    const proxy = await startListening('noop-proxy', ['bench/noop-proxy.ts', '--upstream', upstreamUrl]);
    processes.push(proxy);
    const gateway = await startGateway('gateway', upstream.port, directory, false);
    processes.push(gateway);
    const gatewayRedis = values.redis
      ? await startGateway('gateway-redis', upstream.port, directory, true)
      : undefined;
    if (gatewayRedis !== undefined) processes.push(gatewayRedis);

    const auth = { authorization: `Bearer ${tenantKey}` };
    const targets: Target[] = [
      { name: 'direct', url: upstreamUrl, headers: {} },
      { name: 'noop-proxy', url: `http://127.0.0.1:${proxy.port}`, headers: {} },
      { name: 'gateway', url: `http://127.0.0.1:${gateway.port}`, headers: auth },
    ];
    if (gatewayRedis !== undefined)
      targets.push({ name: 'gateway-redis', url: `http://127.0.0.1:${gatewayRedis.port}`, headers: auth });
    const pidOf = new Map<string, number>(processes.map((p) => [p.name, p.child.pid ?? 0]));
    pidOf.set('direct', upstream.child.pid ?? 0);

    const report: BenchReport = {
      startedAt: new Date().toISOString(),
      node: process.version,
      durationS,
      throughput: [],
      latency: [],
      fixedRate: [],
      streaming: [],
      memory: [],
    };

    process.stderr.write('warming up\n');
    for (const target of targets) await runAutocannon(target, 16, 2);

    for (const connections of connectionLevels) {
      for (const target of targets) {
        const pid = pidOf.get(target.name) ?? 0;
        const cpuBefore = cpuMs(pid);
        const result = await runAutocannon(target, connections, durationS);
        const cpuPerRequestMs = (cpuMs(pid) - cpuBefore) / Math.max(1, result.requests);
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

    const noopAt64 = report.throughput.find((r) => r.target === 'noop-proxy' && r.connections === 64);
    const rate = Math.max(100, Math.round((noopAt64?.requestsPerSecond ?? 2000) * 0.5));
    for (const target of targets.filter((t) => t.name !== 'direct')) {
      const result = await runAutocannon(target, 64, durationS, rate);
      report.fixedRate.push({ target: target.name, rate, ...result });
    }

    process.stderr.write('streaming\n');
    for (const target of targets.filter((t) => t.name !== 'noop-proxy')) {
      const latency = await measureStreams(target, values.quick ? 10 : 40);
      report.streaming.push({ target: target.name, ...latency });
    }
    const gatewayTarget = targets[2];
    if (gatewayTarget !== undefined) {
      const held = await holdStreams(gatewayTarget, streamCount, chunks);
      report.concurrentStreams = {
        target: 'gateway',
        ...held,
        peakRssMb: memoryMb(gateway.child.pid ?? 0).peak,
      };
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
    await Promise.all(processes.map((p) => p.stop()));
  }
}

await main();
