/**
 * The response cache's hit path (issue 17): requests per second and latency of the gateway answering
 * from its cache (exact, and semantic with its embedding call through the gateway's own pipeline),
 * against the same fast upstream called directly, through the no-op proxy, and through the gateway
 * without a cache. Every request of a run is the same body, so after the warm-up all are hits:
 * exact; semantic with the identical prompt (found by its hash, no embedding call); and semantic
 * with a near-duplicate (warmed with another prompt: each request embeds, the fixed vector of the
 * fast upstream makes the similarity 1).
 * Then the semantic index's linear scan alone: one lookup over N stored vectors of 1536 dimensions.
 * `node bench/cache-hit.ts [--duration 5] [--connections 16] [--scan-only]`. Loopback only; `npm run bench:cache`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { FakeClock } from '../test/support/fake-clock.ts';
import { unitVector, VectorIndex } from '../src/stages/cache/vector-index.ts';
import { gatewayConfig, tenantKey } from './lib/gateway-config.ts';
import { chatBody, percentile, probeLatency, runAutocannon, type Target } from './lib/load.ts';
import { freePort, startListening, startWithHealth, type BenchProcess } from './lib/processes.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
    /** Only the index's scan (no processes). */
    'scan-only': { type: 'boolean', default: false },
  },
});
const durationS = Number(values.duration);
const connections = Number(values.connections);

async function startGateway(
  name: string,
  upstreamPort: number,
  directory: string,
  cache: 'exact' | 'semantic' | undefined,
): Promise<BenchProcess> {
  const port = await freePort();
  const configPath = join(directory, `${name}.yaml`);
  const databasePath = join(directory, `${name}.db`);
  writeFileSync(configPath, gatewayConfig({ port, upstreamPort, databasePath, redis: false, cache }));
  return startWithHealth(
    name,
    ['bin/spillway.js', 'serve', '--config', configPath],
    port,
    `http://127.0.0.1:${port}/health/ready`,
  );
}

/** Another prompt than the load's: the near-duplicate gateway is warmed with it. */
const otherBody = chatBody.replace('Say hello.', 'Say hello, please.');

/** The cache header of one request (the warm-up proves the cached gateways answer hits). */
async function cacheHeader(target: Target, body = chatBody): Promise<string> {
  const answer = await request(`${target.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body,
  });
  await answer.body.arrayBuffer();
  const header = answer.headers['x-spillway-cache'];
  return `${String(answer.statusCode)} ${typeof header === 'string' ? header : '-'}`;
}

/** Microseconds per `nearest` over `entries` unit vectors of `dimensions` (one shape). */
function scanMicros(entries: number, dimensions: number): number {
  const clock = new FakeClock(0);
  const index = new VectorIndex({ maxEntries: entries, clock });
  const random = (): Float32Array =>
    unitVector(Array.from({ length: dimensions }, () => Math.random() - 0.5)) ?? new Float32Array(dimensions);
  for (let i = 0; i < entries; i += 1)
    index.add('s', { key: `k${String(i)}`, vector: random(), expiresAt: 1e15 });
  const probe = random();
  const rounds = Math.max(10, Math.round(50_000 / entries));
  for (let i = 0; i < 10; i += 1) index.nearest('s', probe);
  // The best of 7 repetitions: on a shared machine the others mostly measure waiting for the CPU.
  let best = Number.POSITIVE_INFINITY;
  for (let repetition = 0; repetition < 7; repetition += 1) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < rounds; i += 1) index.nearest('s', probe);
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e3 / rounds);
  }
  return best;
}

async function measureHttp(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'spillway-cache-bench-'));
  const processes: BenchProcess[] = [];
  try {
    const upstream = await startListening('upstream', ['bench/fast-upstream.ts']);
    processes.push(upstream);
    const upstreamUrl = `http://127.0.0.1:${String(upstream.port)}`;
    const proxy = await startListening('noop-proxy', ['bench/noop-proxy.ts', '--upstream', upstreamUrl]);
    processes.push(proxy);
    const auth = { authorization: `Bearer ${tenantKey}` };
    const targets: Target[] = [
      { name: 'direct', url: upstreamUrl, headers: {} },
      { name: 'noop-proxy', url: `http://127.0.0.1:${String(proxy.port)}`, headers: {} },
    ];
    for (const [name, cache] of [
      ['gateway (no cache)', undefined],
      ['gateway exact hit', 'exact'],
      ['gateway semantic hit (identical)', 'semantic'],
      ['gateway semantic hit (near, embeds)', 'semantic'],
    ] as const) {
      const gateway = await startGateway(name.replace(/\W+/g, '-'), upstream.port, directory, cache);
      processes.push(gateway);
      targets.push({ name, url: `http://127.0.0.1:${String(gateway.port)}`, headers: auth });
    }
    for (const target of targets) {
      const near = target.name.includes('near');
      const first = await cacheHeader(target, near ? otherBody : chatBody);
      const second = await cacheHeader(target);
      process.stderr.write(`${target.name}: first ${first}, second ${second}\n`);
      await runAutocannon(target, connections, 1);
    }
    const rows: string[] = [];
    for (const target of targets) {
      const result = await runAutocannon(target, connections, durationS);
      rows.push(
        `| ${target.name} | ${result.requestsPerSecond.toFixed(0)} | ${String(result.p50Ms)} | ${String(result.p99Ms)} | ${String(result.errors + result.non2xx)} |`,
      );
    }
    const samples = await probeLatency(targets, 5, 400);
    const proxyP50 = percentile(samples.get('noop-proxy') ?? [], 50);
    process.stdout.write(
      `\nCache-hit path, ${String(connections)} connections, ${String(durationS)} s each\n\n` +
        '| target | req/s | p50 ms | p99 ms | errors |\n| --- | ---: | ---: | ---: | ---: |\n' +
        `${rows.join('\n')}\n\nOne connection (sequential), latency and added latency against the no-op proxy\n\n` +
        '| target | p50 ms | p99 ms | p50 vs no-op proxy ms |\n| --- | ---: | ---: | ---: |\n',
    );
    for (const target of targets) {
      const list = samples.get(target.name) ?? [];
      const p50 = percentile(list, 50);
      process.stdout.write(
        `| ${target.name} | ${p50.toFixed(3)} | ${percentile(list, 99).toFixed(3)} | ${(p50 - proxyP50).toFixed(3)} |\n`,
      );
    }
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}

async function main(): Promise<void> {
  if (!values['scan-only']) await measureHttp();
  process.stdout.write(
    '\nSemantic index, one lookup (linear scan, 1536 dimensions, best of 7)\n\n| entries | µs |\n| ---: | ---: |\n',
  );
  for (const entries of [100, 1000, 2000, 10_000]) {
    process.stdout.write(`| ${String(entries)} | ${scanMicros(entries, 1536).toFixed(1)} |\n`);
  }
}

await main();
