/**
 * Interleaved A/B of gateway checkouts for performance work: `node bench/ab.ts [--root DIR]...
 * [--rounds 5] [--duration 5] [--connections 64] [--profile]`. Starts the fast upstream, the no-op
 * proxy and one gateway per --root (default: this checkout; a baseline is e.g. `git archive HEAD |
 * tar -x -C /tmp/base` with node_modules linked in), then runs closed-loop autocannon rounds in
 * turn (noop, A, B, noop, A, B, ...) so machine noise hits all alike. Prints req/s and CPU ms per
 * request for every round, their medians, and the gateways' ratios to the no-op proxy. With
 * --profile, every target (the no-op proxy too) runs under --cpu-prof: each gateway's hottest
 * functions, then one table of each target's main-thread time per request split into its own code,
 * node internals, packages, native code, GC and V8.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  cpuMs,
  cpuSplitMs,
  freePort,
  memoryMb,
  pinToCpu,
  startListening,
  startWithHealth,
  type BenchProcess,
} from './lib/processes.ts';
import { median, runAutocannon, type Target } from './lib/load.ts';
import { Redis } from 'ioredis';
import { benchRedisUrl, gatewayConfig, tenantKey } from './lib/gateway-config.ts';
import {
  formatProfile,
  profileGroups,
  profileOfProcess,
  splitProfile,
  summariseProfile,
  type ProfileGroup,
} from './lib/profile-summary.ts';

const { values } = parseArgs({
  allowNegative: true,
  options: {
    root: { type: 'string', multiple: true },
    /** Node/V8 flags of the gateway of the --root at the same position (e.g. --flags="--max-semi-space-size=32"). */
    flags: { type: 'string', multiple: true },
    /** Environment of the gateway of the --root at the same position, `NAME=value` separated by spaces (e.g. --env=SPILLWAY_RUN=source). */
    env: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
    profile: { type: 'boolean', default: false },
    redis: { type: 'boolean', default: false },
    /** Targets on CPU 1, this process (the load generator) and the upstream on CPU 0. */
    pin: { type: 'boolean', default: true },
  },
});
const roots = (values.root ?? ['.']).map((root) => resolve(root));
const profileDirectory = resolve('bench', 'results', 'profiles');

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'spillway-ab-'));
  const processes: BenchProcess[] = [];
  // Every request each target served, warm-up included: its profile spans them all.
  const served = new Map<string, number>();
  try {
    const upstream = await startListening('upstream', ['bench/fast-upstream.ts']);
    processes.push(upstream);
    if (values.pin) {
      pinToCpu(process.pid, 0);
      pinToCpu(upstream.child.pid, 0);
    }
    if (values.profile) mkdirSync(profileDirectory, { recursive: true });
    const profileArgs = values.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDirectory] : [];
    const proxy = await startListening('noop-proxy', [
      ...profileArgs,
      'bench/noop-proxy.ts',
      '--upstream',
      `http://127.0.0.1:${upstream.port}`,
    ]);
    processes.push(proxy);
    if (values.pin) pinToCpu(proxy.child.pid, 1);
    const targets: (Target & { pid: number })[] = [
      { name: 'noop-proxy', url: `http://127.0.0.1:${proxy.port}`, headers: {}, pid: proxy.child.pid ?? 0 },
    ];
    for (const [index, root] of roots.entries()) {
      const name = `gateway-${String.fromCharCode(65 + index)}`;
      const port = await freePort();
      const configPath = join(directory, `${name}.yaml`);
      writeFileSync(
        configPath,
        gatewayConfig({
          port,
          upstreamPort: upstream.port,
          databasePath: join(directory, `${name}.db`),
          redis: values.redis,
        }),
      );
      const gateway = await startWithHealth(
        name,
        [
          ...profileArgs,
          ...(values.flags?.[index] ?? '').split(' ').filter((flag) => flag !== ''),
          join(root, 'bin/spillway.js'),
          'serve',
          '--config',
          configPath,
        ],
        port,
        `http://127.0.0.1:${port}/health/ready`,
        Object.fromEntries(
          (values.env?.[index] ?? '')
            .split(' ')
            .filter((pair) => pair.includes('='))
            .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
        ),
      );
      processes.push(gateway);
      if (values.pin) pinToCpu(gateway.child.pid, 1);
      targets.push({
        name,
        url: `http://127.0.0.1:${port}`,
        headers: { authorization: `Bearer ${tenantKey}` },
        pid: gateway.child.pid ?? 0,
      });
      process.stderr.write(`${name}: ${root} ${values.flags?.[index] ?? ''} ${values.env?.[index] ?? ''}\n`);
    }
    const connections = Number(values.connections);
    // With --redis, the Redis server's own CPU per request too (it shares this machine's cores).
    const redisPid = values.redis ? await redisServerPid(benchRedisUrl) : undefined;
    for (const target of targets)
      served.set(target.name, (await runAutocannon(target, connections, 5)).requests);
    const rps = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    const cpu = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    for (let round = 0; round < Number(values.rounds); round += 1) {
      const line: string[] = [];
      for (const target of targets) {
        const before = cpuSplitMs(target.pid);
        const redisBefore = redisPid === undefined ? 0 : cpuMs(redisPid);
        const loadBefore = cpuMs(process.pid) + cpuMs(upstream.child.pid ?? 0);
        const started = performance.now();
        const result = await runAutocannon(target, connections, Number(values.duration));
        const after = cpuSplitMs(target.pid);
        const requests = Math.max(1, result.requests);
        const perRequest = (after.user + after.system - before.user - before.system) / requests;
        // The kernel's share (system time: sockets, files) against the process's own (user time).
        const systemPerRequest = (after.system - before.system) / requests;
        // Busy share of the load side (autocannon + upstream): near 100% with --pin means the load
        // generator, not the target, bounded this round's req/s.
        const loadBusy =
          (cpuMs(process.pid) + cpuMs(upstream.child.pid ?? 0) - loadBefore) / (performance.now() - started);
        rps.get(target.name)?.push(result.requestsPerSecond);
        served.set(target.name, (served.get(target.name) ?? 0) + result.requests);
        cpu.get(target.name)?.push(perRequest);
        const failed = result.errors + result.non2xx;
        const redisPerRequest =
          redisPid === undefined || target.name === 'noop-proxy'
            ? ''
            : ` redis ${((cpuMs(redisPid) - redisBefore) / Math.max(1, result.requests)).toFixed(3)} cpu-ms/req`;
        line.push(
          `${target.name} ${result.requestsPerSecond.toFixed(0)} req/s ${perRequest.toFixed(3)} cpu-ms/req (sys ${systemPerRequest.toFixed(3)})${redisPerRequest} load ${(loadBusy * 100).toFixed(0)}%${failed > 0 ? ` ${failed} FAILED` : ''}`,
        );
      }
      process.stdout.write(`round ${round + 1}: ${line.join(' | ')}\n`);
    }
    const noop = median(rps.get('noop-proxy') ?? []);
    const noopCpu = median(cpu.get('noop-proxy') ?? []);
    process.stdout.write(`\nmedians over ${values.rounds} rounds at ${connections} connections:\n`);
    for (const target of targets) {
      const r = median(rps.get(target.name) ?? []);
      const c = median(cpu.get(target.name) ?? []);
      process.stdout.write(
        `  ${target.name.padEnd(10)} ${r.toFixed(0).padStart(6)} req/s  x noop ${(r / noop).toFixed(2)}  ${c.toFixed(3)} cpu-ms/req (${(c / noopCpu).toFixed(2)}x noop)  peak RSS ${memoryMb(target.pid).peak.toFixed(0)} MB  (req/s range ${Math.min(...(rps.get(target.name) ?? [])).toFixed(0)}-${Math.max(...(rps.get(target.name) ?? [])).toFixed(0)})\n`,
      );
    }
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
  if (values.profile) {
    for (const p of processes.filter((p) => p.name.startsWith('gateway'))) {
      const file = profileOfProcess(profileDirectory, p.child.pid ?? 0);
      if (file !== undefined)
        process.stdout.write(`\n${p.name}: ${formatProfile(summariseProfile(file, 30))}\n`);
    }
    process.stdout.write(`\n${formatSplits(processes, served)}\n`);
  }
}

/**
 * Main-thread time per request of each profiled target, in coarse groups (profiling slows all alike;
 * read the ratios). The last lines ask what the gateway would cost with its own code free: the rest is
 * node:http, undici, GC and V8, which the no-op proxy pays too.
 */
function formatSplits(processes: readonly BenchProcess[], served: ReadonlyMap<string, number>): string {
  const rows: { name: string; busyUs: number; us: Record<ProfileGroup, number> }[] = [];
  for (const p of processes.filter((p) => p.name === 'noop-proxy' || p.name.startsWith('gateway'))) {
    const file = profileOfProcess(profileDirectory, p.child.pid ?? 0);
    const requests = served.get(p.name) ?? 0;
    if (file === undefined || requests === 0) continue;
    const split = splitProfile(file);
    const perRequest = (ms: number): number => (1000 * ms) / requests;
    rows.push({
      name: p.name,
      busyUs: perRequest(split.busyMs),
      us: Object.fromEntries(profileGroups.map((g) => [g, perRequest(split.ms[g])])) as Record<
        ProfileGroup,
        number
      >,
    });
  }
  const noop = rows.find((row) => row.name === 'noop-proxy');
  const lines = [
    'Main-thread µs per request by group (all requests of the run, warm-up included):',
    `  ${'target'.padEnd(11)} ${'busy'.padStart(6)}  ${profileGroups.map((g) => g.padStart(g.length)).join('  ')}`,
    ...rows.map(
      (row) =>
        `  ${row.name.padEnd(11)} ${row.busyUs.toFixed(1).padStart(6)}  ${profileGroups.map((g) => row.us[g].toFixed(1).padStart(g.length)).join('  ')}`,
    ),
  ];
  if (noop !== undefined)
    for (const row of rows.filter((row) => row !== noop)) {
      const withoutOwn = row.busyUs - row.us['own code'];
      lines.push(
        `  ${row.name}: ${(row.busyUs / noop.busyUs).toFixed(2)}x the no-op's busy time; with its own code free ${withoutOwn.toFixed(1)} µs = ${(withoutOwn / noop.busyUs).toFixed(2)}x`,
      );
    }
  return lines.join('\n');
}

/** The pid of the Redis server at `url` (INFO server's process_id), for its CPU time: it runs on this machine. */
async function redisServerPid(url: string): Promise<number | undefined> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const match = /process_id:(\d+)/.exec(await client.info('server'));
    return match === null ? undefined : Number(match[1]);
  } finally {
    client.disconnect();
  }
}

await main();
