/**
 * Issue 5's "one tenant at its limit adds no latency to the others", measured: a gateway with a noisy
 * tenant A (rpm 3) and a normal tenant B (unlimited), in front of the fast upstream. B's latency at one
 * connection (hrtime probe) is measured alone, then while A floods at a fixed rate (open loop, so the
 * flood is a load the gateway can carry, not a saturation test), in alternating rounds.
 * `node bench/tenant-isolation.ts [--rate 1000] [--rounds 4] [--requests 1000]`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { gatewayConfig, tenantKey } from './lib/gateway-config.ts';
import { chatBody, percentile, probeLatency, type Target } from './lib/load.ts';
import { freePort, startListening, startWithHealth, type BenchProcess } from './lib/processes.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '4' },
    requests: { type: 'string', default: '1000' },
  },
});
const noisyKey = 'sk-bench-noisy-tenant-key-0000001';

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'spillway-isolation-'));
  const processes: BenchProcess[] = [];
  try {
    const upstream = await startListening('upstream', ['bench/fast-upstream.ts']);
    processes.push(upstream);
    const port = await freePort();
    const config = gatewayConfig({
      port,
      upstreamPort: upstream.port,
      databasePath: join(directory, 'isolation.db'),
      redis: false,
    }).replace('tenants:\n', `tenants:\n  noisy: { keys: ["${noisyKey}"], rpm: 3 }\n`);
    const configPath = join(directory, 'isolation.yaml');
    writeFileSync(configPath, config);
    const gateway = await startWithHealth(
      'gateway',
      ['bin/spillway.js', 'serve', '--config', configPath],
      port,
      `http://127.0.0.1:${port}/health/ready`,
    );
    processes.push(gateway);
    const url = `http://127.0.0.1:${port}`;
    const normal: Target = { name: 'B', url, headers: { authorization: `Bearer ${tenantKey}` } };
    const alone: number[] = [];
    const flooded: number[] = [];
    let floodStatus = { ok: 0, limited: 0, other: 0 };
    for (let round = 0; round < Number(values.rounds); round += 1) {
      alone.push(...((await probeLatency([normal], 2, Number(values.requests))).get('B') ?? []));
      let finish: (result: autocannon.Result) => void = () => undefined;
      const finished = new Promise<autocannon.Result>((resolve) => {
        finish = resolve;
      });
      const flood = autocannon(
        {
          url: `${url}/v1/chat/completions`,
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${noisyKey}` },
          body: chatBody,
          connections: 20,
          overallRate: Number(values.rate),
          duration: 600,
        },
        (_error, result) => {
          finish(result);
        },
      );
      const during = await probeLatency([normal], 2, Number(values.requests));
      flood.stop();
      const result = await finished;
      floodStatus = {
        ok: floodStatus.ok + result['2xx'],
        limited: floodStatus.limited + result['4xx'],
        other: floodStatus.other + result['5xx'] + result.errors,
      };
      flooded.push(...(during.get('B') ?? []));
    }
    alone.sort((a, b) => a - b);
    flooded.sort((a, b) => a - b);
    const line = (name: string, list: number[]) =>
      `${name.padEnd(28)} p50 ${percentile(list, 50).toFixed(3)} ms  p99 ${percentile(list, 99).toFixed(3)} ms  (${list.length} requests)`;
    process.stdout.write(
      `${line('B alone', alone)}\n${line(`B while A floods at ${values.rate}/s`, flooded)}\n`,
    );
    process.stdout.write(
      `A's flood: ${floodStatus.ok} admitted, ${floodStatus.limited} rejected with 4xx, ${floodStatus.other} other\n`,
    );
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}

await main();
