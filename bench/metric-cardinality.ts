/**
 * What unknown model names do to /metrics (issue 12, item 3): `node bench/metric-cardinality.ts
 * [--requests 5000]`. One `spillway serve` of this checkout (the benchmark config, access log off);
 * sends that many chat requests, each naming a different model the config does not know (each is
 * answered 404 unknown_model), and prints the number of series and bytes of /metrics, and the
 * V8 heap in use (after a GC, through --expose-gc on the gateway), before and after.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { gatewayConfig, tenantKey } from './lib/gateway-config.ts';
import { freePort, startListening, startWithHealth, type BenchProcess } from './lib/processes.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '5000' } } });

interface Exposition {
  readonly series: number;
  readonly bytes: number;
  readonly spillwaySeries: number;
  readonly heapUsedBytes: number;
}

async function scrape(url: string): Promise<Exposition> {
  const response = await request(`${url}/metrics`);
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`GET /metrics: ${response.statusCode}`);
  const samples = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  const heap = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1];
  return {
    series: samples.length,
    bytes: Buffer.byteLength(text),
    spillwaySeries: samples.filter((line) => line.startsWith('spillway_')).length,
    heapUsedBytes: Number(heap ?? Number.NaN),
  };
}

/** Asks the gateway process for a full GC (it runs with --expose-gc), then scrapes. */
async function scrapeAfterGc(url: string, pid: number | undefined): Promise<Exposition> {
  if (pid !== undefined) process.kill(pid, 'SIGUSR2');
  await new Promise((resolve) => setTimeout(resolve, 500));
  return scrape(url);
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'spillway-cardinality-'));
  const processes: BenchProcess[] = [];
  try {
    const upstream = await startListening('upstream', ['bench/fast-upstream.ts']);
    processes.push(upstream);
    const port = await freePort();
    const text = gatewayConfig({
      port,
      upstreamPort: upstream.port,
      databasePath: join(directory, 'gateway.db'),
      redis: false,
    }).replace(/telemetry: \{[^}]*\}/, 'telemetry: { metrics: true, access_log: false }');
    const configPath = join(directory, 'gateway.yaml');
    writeFileSync(configPath, text);
    const gateway = await startWithHealth(
      'gateway',
      // SIGUSR2 → global.gc(): heap figures after a full collection, not whenever V8 last ran one.
      [
        '--expose-gc',
        '--import',
        'data:text/javascript,process.on("SIGUSR2",()=>globalThis.gc?.())',
        'bin/spillway.js',
        'serve',
        '--config',
        configPath,
      ],
      port,
      `http://127.0.0.1:${port}/health/ready`,
    );
    processes.push(gateway);
    const url = `http://127.0.0.1:${port}`;
    // Warm up with one request to a known group, so the "before" already has the request path's series.
    await chat(url, 'bench');
    const before = await scrapeAfterGc(url, gateway.child.pid);
    const count = Number(values.requests);
    const statuses = new Map<number, number>();
    for (let index = 0; index < count; index += 1) {
      const status = await chat(url, `no-such-model-${index.toString().padStart(6, '0')}`);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    const after = await scrapeAfterGc(url, gateway.child.pid);
    const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(2);
    process.stdout.write(
      [
        `requests with distinct unknown model names: ${count} (statuses: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(', ')})`,
        `series        before ${before.series}  after ${after.series}  (+${after.series - before.series}; spillway_* ${before.spillwaySeries} → ${after.spillwaySeries})`,
        `/metrics      before ${before.bytes} B  after ${after.bytes} B  (+${after.bytes - before.bytes} B = ${mib(after.bytes - before.bytes)} MiB)`,
        `heap in use   before ${mib(before.heapUsedBytes)} MiB  after ${mib(after.heapUsedBytes)} MiB  (+${mib(after.heapUsedBytes - before.heapUsedBytes)} MiB, after a full GC)`,
        '',
      ].join('\n'),
    );
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}

async function chat(url: string, model: string): Promise<number> {
  const response = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tenantKey}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 }),
  });
  await response.body.dump();
  return response.statusCode;
}

await main();
