/**
 * `node bench/concurrent-streams.ts`: the gateway relaying many concurrent streams to one origin
 * (issue 18), in two scenarios (docs/performance.md, "Concurrent streams"):
 *
 * - burst: `count` streams opened in the same instant, straight to the upstream and through the
 *   gateway (as `npm run bench` does); first-token latency then includes queueing behind the
 *   other `count - 1` request arrivals.
 * - steady: `count` background streams held open through the gateway (opened over --ramp-ms, each
 *   --background-tokens tokens --gap-ms apart, paced like a model), and while they all stream, short
 *   probe streams sent straight and through the gateway, interleaved. The probes' first-token
 *   latency through the gateway minus straight is the first-token latency the gateway adds while it
 *   relays `count` streams. The gateway's CPU time over the window divided by the events it relayed is
 *   its CPU per event.
 *
 * - long: --long-streams streams of --long-tokens tokens each at once through the gateway (the upstream
 *   sends them in 1,000 writes), the gateway's RSS sampled every 250 ms: what a long answer costs in
 *   memory while it streams (a relay that kept something per event grows with the tokens).
 *
 * Options: --streams 1000,5000, --scenarios burst,steady,long, --gap-ms 20, --background-tokens 400,
 * --long-streams 20, --long-tokens 50000,
 * --ramp-ms 2000, --probes 100, --profile (gateway under --cpu-prof; its figures are then not budget
 * figures), --no-pin. The upstream and the load generator run on CPU 0, the gateway on CPU 1.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMs, freePort, memoryMb, pinToCpu, startListening, startWithHealth } from './lib/processes.ts';
import { gatewayConfig, tenantKey } from './lib/gateway-config.ts';
import { holdLongStreams, holdStreams, holdSteadyStreams, probeFirstTokens } from './lib/streams.ts';
import type { Target } from './lib/load.ts';
import { failureCauses, formatLongStreams } from './lib/report.ts';
import { formatProfile, profileOfProcess, summariseProfile } from './lib/profile-summary.ts';

const { values } = parseArgs({
  allowNegative: true,
  options: {
    streams: { type: 'string', default: '1000,5000' },
    scenarios: { type: 'string', default: 'burst,steady,long' },
    'long-streams': { type: 'string', default: '20' },
    'long-tokens': { type: 'string', default: '50000' },
    'gap-ms': { type: 'string', default: '20' },
    'background-tokens': { type: 'string', default: '400' },
    'ramp-ms': { type: 'string', default: '2000' },
    probes: { type: 'string', default: '100' },
    profile: { type: 'boolean', default: false },
    pin: { type: 'boolean', default: true },
  },
});
const counts = values.streams.split(',').map(Number);
const scenarios = new Set(values.scenarios.split(','));
const gapMs = Number(values['gap-ms']);
const backgroundTokens = Number(values['background-tokens']);
const rampMs = Number(values['ramp-ms']);
const probes = Number(values.probes);
const burstChunks = 64;
const profileDirectory = join('bench', 'results', 'profiles');
const pin = (pid: number | undefined, cpu: number): void => {
  if (values.pin) pinToCpu(pid, cpu);
};
const fixed = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : '-');

const directory = mkdtempSync(join(tmpdir(), 'spillway-streams-'));
if (values.profile) mkdirSync(profileDirectory, { recursive: true });
// The upstream streams what each request asks (max_tokens), up to 100,000 chunks.
const upstream = await startListening('upstream', [
  'bench/fast-upstream.ts',
  '--chunks',
  '100000',
  '--gap-ms',
  String(gapMs),
]);
pin(process.pid, 0);
pin(upstream.child.pid, 0);
const port = await freePort();
const configPath = join(directory, 'gateway.yaml');
writeFileSync(
  configPath,
  gatewayConfig({
    port,
    upstreamPort: upstream.port,
    databasePath: join(directory, 'bench.db'),
    redis: false,
  }),
);
const gateway = await startWithHealth(
  'gateway',
  [
    ...(values.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDirectory] : []),
    'bin/spillway.js',
    'serve',
    '--config',
    configPath,
  ],
  port,
  `http://127.0.0.1:${port}/health/ready`,
);
const gatewayPid = gateway.child.pid ?? 0;
pin(gatewayPid, 1);
const direct: Target = { name: 'direct', url: `http://127.0.0.1:${upstream.port}`, headers: {} };
const through: Target = {
  name: 'gateway',
  url: `http://127.0.0.1:${port}`,
  headers: { authorization: `Bearer ${tenantKey}` },
};

const out: string[] = [
  `Concurrent streams (Node ${process.version}, tokens ${gapMs} ms apart per stream, ${new Date().toISOString()})`,
];
try {
  // Warm-up: both paths compiled before anything is measured.
  await probeFirstTokens([direct, through], 40);
  for (const count of counts) {
    if (scenarios.has('burst')) {
      process.stderr.write(`burst x${count}\n`);
      const straight = await holdStreams(direct, count, burstChunks, burstChunks);
      const cpuBefore = cpuMs(gatewayPid);
      const relayed = await holdStreams(through, count, burstChunks, burstChunks);
      const cpu = cpuMs(gatewayPid) - cpuBefore;
      out.push(
        `burst x${count} (all opened at once, ${burstChunks} tokens each):`,
        `  direct:  ${straight.completed} completed${failureCauses(straight.failures)}, ${straight.concurrentPeak} streaming at once, first token p50 ${fixed(straight.firstTokenP50Ms)} / p99 ${fixed(straight.firstTokenP99Ms)} ms`,
        `  gateway: ${relayed.completed} completed${failureCauses(relayed.failures)}, ${relayed.droppedChunks} chunks dropped, ${relayed.concurrentPeak} streaming at once, first token p50 ${fixed(relayed.firstTokenP50Ms)} / p99 ${fixed(relayed.firstTokenP99Ms)} ms; added p50 ${fixed(relayed.firstTokenP50Ms - straight.firstTokenP50Ms)} / p99 ${fixed(relayed.firstTokenP99Ms - straight.firstTokenP99Ms)} ms; gateway CPU ${fixed(cpu, 0)} ms, ${fixed((cpu * 1000) / Math.max(1, count * (burstChunks + 4)), 2)} µs per event`,
      );
    }
    if (scenarios.has('steady')) {
      process.stderr.write(`steady x${count}\n`);
      const steady = await holdSteadyStreams(through, count, backgroundTokens, rampMs, async () => {
        const cpuBefore = cpuMs(gatewayPid);
        const started = performance.now();
        const probed = await probeFirstTokens([direct, through], probes);
        return { probed, cpuMs: cpuMs(gatewayPid) - cpuBefore, windowMs: performance.now() - started };
      });
      const { probed, cpuMs: cpu, windowMs } = steady.during;
      const straight = probed.get('direct');
      const relayed = probed.get('gateway');
      const eventsPerS = (count * 1000) / gapMs;
      out.push(
        `steady x${count} (${count} streams of ${backgroundTokens} tokens through the gateway, opened over ${rampMs} ms; ${probes} probe streams each way while they stream):`,
        `  background: ${steady.completed}/${count} completed, ${steady.droppedChunks} chunks dropped, ${steady.concurrentPeak} streaming at once, ${steady.streamingDuringProbes.min}-${steady.streamingDuringProbes.max} streaming during the probes, ~${fixed(eventsPerS, 0)} events/s offered`,
        `  probes: direct first token p50 ${fixed(straight?.p50 ?? Number.NaN, 2)} / p99 ${fixed(straight?.p99 ?? Number.NaN, 2)} ms; gateway p50 ${fixed(relayed?.p50 ?? Number.NaN, 2)} / p99 ${fixed(relayed?.p99 ?? Number.NaN, 2)} ms; added p50 ${fixed((relayed?.p50 ?? Number.NaN) - (straight?.p50 ?? Number.NaN), 2)} / p99 ${fixed((relayed?.p99 ?? Number.NaN) - (straight?.p99 ?? Number.NaN), 2)} ms`,
        `  gateway: CPU ${fixed((100 * cpu) / windowMs, 0)}% of a core over ${fixed(windowMs / 1000, 1)} s, ${fixed((cpu * 1000) / Math.max(1, (eventsPerS * windowMs) / 1000), 2)} µs per event offered; peak RSS ${fixed(memoryMb(gatewayPid).peak, 0)} MB`,
      );
    }
    process.stdout.write(`${out.join('\n')}\n`);
    out.length = 0;
  }
  if (scenarios.has('long')) {
    const longStreams = Number(values['long-streams']);
    const longTokens = Number(values['long-tokens']);
    process.stderr.write(`long x${longStreams}\n`);
    const long = await holdLongStreams(through, gatewayPid, longStreams, longTokens);
    out.push(
      `long x${longStreams} (${longTokens} tokens each, all at once, through the gateway):`,
      `  ${formatLongStreams(long)}`,
    );
    process.stdout.write(`${out.join('\n')}\n`);
    out.length = 0;
  }
} finally {
  await Promise.all([upstream.stop(), gateway.stop()]);
}
if (values.profile) {
  const file = profileOfProcess(profileDirectory, gatewayPid);
  process.stdout.write(
    file === undefined ? 'no CPU profile was written\n' : `${formatProfile(summariseProfile(file))}\n`,
  );
}
