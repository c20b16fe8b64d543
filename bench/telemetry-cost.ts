/**
 * What metrics and the access log cost (issue 7: "no more than a few percent of throughput"):
 * `node bench/telemetry-cost.ts [--rounds 5] [--duration 5] [--connections 64]`. Two gateways of
 * this checkout, identical but for `telemetry` (on: metrics + access log at info; off: neither),
 * driven in interleaved rounds (on, off, on, off, ...) so machine noise hits both alike. Prints the
 * median req/s and CPU ms per request of each and the cost of telemetry as a share of throughput.
 * `--parts` adds a gateway with metrics only and one with the access log only.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gatewayConfig, tenantKey } from './lib/gateway-config.ts';
import { median, runAutocannon, type Target } from './lib/load.ts';
import {
  cpuSplitMs,
  freePort,
  pinToCpu,
  startListening,
  startWithHealth,
  type BenchProcess,
} from './lib/processes.ts';

const { values } = parseArgs({
  allowNegative: true,
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
    /** Also measure metrics alone and the access log alone. */
    parts: { type: 'boolean', default: false },
    /** Pin the gateways to CPU 1 and the load generator and upstream to CPU 0 (taskset), so the
     * process measured does not share its core with the load it is measured under. */
    pin: { type: 'boolean', default: true },
  },
});

/** Moves every thread of `pid` to `cpu` (only with --pin). */
function pin(pid: number | undefined, cpu: number): void {
  if (values.pin) pinToCpu(pid, cpu);
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'spillway-telemetry-cost-'));
  const processes: BenchProcess[] = [];
  try {
    const upstream = await startListening('upstream', ['bench/fast-upstream.ts']);
    processes.push(upstream);
    pin(process.pid, 0);
    pin(upstream.child.pid, 0);
    const targets: (Target & { pid: number })[] = [];
    const variants = values.parts
      ? (['telemetry-on', 'telemetry-off', 'metrics-only', 'log-only'] as const)
      : (['telemetry-on', 'telemetry-off'] as const);
    for (const variant of variants) {
      const port = await freePort();
      let text = gatewayConfig({
        port,
        upstreamPort: upstream.port,
        databasePath: join(directory, `${variant}.db`),
        redis: false,
      });
      const setting = {
        'telemetry-on': 'telemetry: { metrics: true, access_log: true }',
        'telemetry-off': 'telemetry: { metrics: false, access_log: false }',
        'metrics-only': 'telemetry: { metrics: true, access_log: false }',
        'log-only': 'telemetry: { metrics: false, access_log: true }',
      }[variant];
      text = text.replace(/telemetry: \{[^}]*\}/, setting);
      const configPath = join(directory, `${variant}.yaml`);
      writeFileSync(configPath, text);
      const gateway = await startWithHealth(
        variant,
        ['bin/spillway.js', 'serve', '--config', configPath],
        port,
        `http://127.0.0.1:${port}/health/ready`,
      );
      processes.push(gateway);
      pin(gateway.child.pid, 1);
      targets.push({
        name: variant,
        url: `http://127.0.0.1:${port}`,
        headers: { authorization: `Bearer ${tenantKey}` },
        pid: gateway.child.pid ?? 0,
      });
    }
    const connections = Number(values.connections);
    for (const target of targets) await runAutocannon(target, connections, 3);
    const rps = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    const cpu = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    const system = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    for (let round = 0; round < Number(values.rounds); round += 1) {
      for (const target of targets) {
        const before = cpuSplitMs(target.pid);
        const result = await runAutocannon(target, connections, Number(values.duration));
        rps.get(target.name)?.push(result.requestsPerSecond);
        const after = cpuSplitMs(target.pid);
        const requests = Math.max(1, result.requests);
        cpu.get(target.name)?.push((after.user + after.system - before.user - before.system) / requests);
        system.get(target.name)?.push((after.system - before.system) / requests);
      }
    }
    const on = median(rps.get('telemetry-on') ?? []);
    const off = median(rps.get('telemetry-off') ?? []);
    for (const target of targets) {
      process.stdout.write(
        `${target.name.padEnd(14)} ${median(rps.get(target.name) ?? []).toFixed(0)} req/s  ${median(cpu.get(target.name) ?? []).toFixed(3)} cpu-ms/req (system ${median(system.get(target.name) ?? []).toFixed(3)})  (req/s ${(rps.get(target.name) ?? []).map((v) => v.toFixed(0)).join(', ')})\n`,
      );
    }
    process.stdout.write(
      `metrics + access log cost ${(((off - on) / off) * 100).toFixed(1)}% of throughput at ${connections} connections\n`,
    );
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}

await main();
