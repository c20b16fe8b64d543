/** The benchmark's result shape and its one printed table. */
import type { PeerFigures } from './peers.ts';
import type { LongStreams } from './streams.ts';

/** " (ECONNRESET 3, incomplete 1)": why streams failed, largest first; "" when none did. */
export function failureCauses(failures: Readonly<Record<string, number>>): string {
  const causes = Object.entries(failures).sort((a, b) => b[1] - a[1]);
  return causes.length === 0 ? '' : ` (${causes.map(([cause, count]) => `${cause} ${count}`).join(', ')})`;
}

/** One line on long streams: how many completed, and the gateway's RSS before, while and after. */
export function formatLongStreams(long: LongStreams): string {
  const mb = (value: number): string => value.toFixed(0);
  return `${long.completed}/${long.opened} completed${failureCauses(long.failures)}, ${long.droppedChunks} chunks dropped, in ${long.seconds.toFixed(1)} s; gateway RSS ${mb(long.rssBeforeMb)} MB before, ${mb(long.rssMaxMb)} MB at most while streaming (+${mb(long.rssMaxMb - long.rssBeforeMb)}), ${mb(long.rssAfterMb)} MB after`;
}

export interface BenchReport {
  startedAt: string;
  node: string;
  durationS: number;
  /** Targets pinned to CPU 1, load generator and upstream to CPU 0. */
  pinned: boolean;
  throughput: {
    target: string;
    connections: number;
    requestsPerSecond: number;
    p50Ms: number;
    p99Ms: number;
    requests: number;
    errors: number;
    non2xx: number;
    cpuPerRequestMs: number;
    peakRssMb: number;
  }[];
  latency: { target: string; samples: number; p50Ms: number; p99Ms: number }[];
  fixedRate: {
    target: string;
    rate: number;
    requestsPerSecond: number;
    p50Ms: number;
    p99Ms: number;
    errors: number;
    non2xx: number;
  }[];
  streaming: {
    target: string;
    samples: number;
    firstTokenP50Ms: number;
    firstTokenP99Ms: number;
    gapP50Ms: number;
    gapP99Ms: number;
  }[];
  /** N streams opened at once to one origin, straight to the upstream and through the gateway. */
  concurrentStreams: {
    target: string;
    opened: number;
    completed: number;
    failed: number;
    failures: Readonly<Record<string, number>>;
    droppedChunks: number;
    concurrentPeak: number;
    firstTokenP50Ms: number;
    firstTokenP99Ms: number;
    peakRssMb: number;
  }[];
  /** Long streams at once through the gateway, with its RSS while they streamed (--long-streams). */
  longStreams?: LongStreams | undefined;
  /** With --redis: what the Redis gateway's throughput runs cost the Redis server, per request. */
  redisCommands: {
    connections: number;
    requests: number;
    /** EVAL/EVALSHA calls (round trips a request's script calls made). */
    scriptsPerRequest: number;
    /** Every command the server ran, those inside scripts included. */
    commandsPerRequest: number;
    top: (readonly [string, number])[];
  }[];
  memory: ({ atS: number; rssMb: number } | { process: string; rssMb: number; peakMb: number })[];
  /** With --peers: the peers' installed versions and the interleaved rounds at 64 connections. */
  peers?: { versions: Record<string, string>; rounds: PeerFigures[] };
}

const fixed = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : '-');

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function printReport(report: BenchReport): void {
  const out: string[] = [];
  const noop = (connections: number) =>
    report.throughput.find((r) => r.target === 'noop-proxy' && r.connections === connections);
  const direct = (connections: number) =>
    report.throughput.find((r) => r.target === 'direct' && r.connections === connections);
  out.push(
    `Spillway benchmark, ${report.startedAt}, node ${report.node}, ${report.durationS} s per run, one process each${report.pinned ? ', targets pinned to CPU 1, load and upstream to CPU 0' : ', unpinned'}\n`,
  );
  out.push(
    table(
      [
        'target',
        'conns',
        'req/s',
        'x noop',
        'p50 ms',
        'p99 ms',
        '+p50 vs direct',
        '+p50 vs noop',
        'cpu ms/req',
        'peak RSS MB',
        'errors',
      ],
      report.throughput.map((r) => [
        r.target,
        String(r.connections),
        fixed(r.requestsPerSecond, 0),
        fixed(r.requestsPerSecond / (noop(r.connections)?.requestsPerSecond ?? Number.NaN)),
        fixed(r.p50Ms),
        fixed(r.p99Ms),
        fixed(r.p50Ms - (direct(r.connections)?.p50Ms ?? Number.NaN)),
        fixed(r.p50Ms - (noop(r.connections)?.p50Ms ?? Number.NaN)),
        fixed(r.cpuPerRequestMs, 3),
        fixed(r.peakRssMb, 0),
        String(r.errors + r.non2xx),
      ]),
    ),
  );
  out.push(...formatFootprintBudget(report));
  if (report.redisCommands.length > 0) {
    out.push(
      '\nRedis commands per request (gateway-redis; INFO commandstats, script-internal commands included):',
    );
    out.push(
      table(
        ['conns', 'requests', 'script calls/req', 'commands/req', 'largest'],
        report.redisCommands.map((r) => [
          String(r.connections),
          String(r.requests),
          fixed(r.scriptsPerRequest),
          fixed(r.commandsPerRequest, 1),
          r.top.map(([name, perRequest]) => `${name} ${fixed(perRequest, 1)}`).join(', '),
        ]),
      ),
    );
  }
  const probe = (name: string) => report.latency.find((r) => r.target === name);
  out.push('\nLatency at 1 connection (hrtime probe, interleaved):');
  out.push(
    table(
      ['target', 'samples', 'p50 ms', 'p99 ms', 'added p50 vs noop', 'added p99 vs noop'],
      report.latency.map((r) => [
        r.target,
        String(r.samples),
        fixed(r.p50Ms, 3),
        fixed(r.p99Ms, 3),
        fixed(r.p50Ms - (probe('noop-proxy')?.p50Ms ?? Number.NaN), 3),
        fixed(r.p99Ms - (probe('noop-proxy')?.p99Ms ?? Number.NaN), 3),
      ]),
    ),
  );
  out.push('\nFixed rate (open loop, 64 connections):');
  out.push(
    table(
      ['target', 'rate/s', 'achieved', 'p50 ms', 'p99 ms', 'errors'],
      report.fixedRate.map((r) => [
        r.target,
        String(r.rate),
        fixed(r.requestsPerSecond, 0),
        fixed(r.p50Ms),
        fixed(r.p99Ms),
        String(r.errors + r.non2xx),
      ]),
    ),
  );
  const stream = (name: string) => report.streaming.find((r) => r.target === name);
  const noopStream = stream('noop-proxy');
  out.push(
    '\nStreaming (interleaved sequential streams of 4 chunks 20 ms apart; TTFT to the first content chunk, ms):',
  );
  out.push(
    table(
      [
        'target',
        'samples',
        'TTFT p50',
        'TTFT p99',
        'gap p50',
        'gap p99',
        '+TTFT p50 vs no-op',
        '+TTFT p99 vs no-op',
      ],
      report.streaming.map((r) => [
        r.target,
        String(r.samples),
        fixed(r.firstTokenP50Ms, 3),
        fixed(r.firstTokenP99Ms, 3),
        fixed(r.gapP50Ms, 3),
        fixed(r.gapP99Ms, 3),
        fixed(r.firstTokenP50Ms - (noopStream?.firstTokenP50Ms ?? Number.NaN), 3),
        fixed(r.firstTokenP99Ms - (noopStream?.firstTokenP99Ms ?? Number.NaN), 3),
      ]),
    ),
  );
  if (report.concurrentStreams.length > 0) {
    out.push(
      '\nConcurrent streams to one origin (all opened at once; streaming at once = past first token, not ended):',
    );
    for (const c of report.concurrentStreams) {
      const direct = report.concurrentStreams.find((d) => d.target === 'direct' && d.opened === c.opened);
      const added =
        c.target === 'direct' || direct === undefined
          ? ''
          : `, added first-token p99 ${fixed(c.firstTokenP99Ms - direct.firstTokenP99Ms, 1)} ms`;
      out.push(
        `  ${c.target} x${c.opened}: ${c.completed} completed, ${c.failed} failed${failureCauses(c.failures)}, ${c.droppedChunks} chunks dropped, ${c.concurrentPeak} streaming at once, first token p50 ${fixed(c.firstTokenP50Ms, 1)} / p99 ${fixed(c.firstTokenP99Ms, 1)} ms${added}${c.target === 'direct' ? '' : `, peak RSS ${fixed(c.peakRssMb, 0)} MB`}`,
      );
    }
  }
  if (report.longStreams !== undefined) {
    const long = report.longStreams;
    out.push(
      `\nLong streams (${long.opened} of ${long.tokens} tokens each, all at once, through the gateway):`,
      `  ${formatLongStreams(long)}`,
    );
  }
  if (report.peers !== undefined) out.push(...formatPeers(report));
  out.push('\nMemory (MB):');
  for (const m of report.memory) {
    out.push(
      'process' in m
        ? `  ${m.process}: RSS ${fixed(m.rssMb, 0)}, peak ${fixed(m.peakMb, 0)}`
        : `  soak t=${m.atS}s: RSS ${fixed(m.rssMb, 0)}`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

/** The peers section: medians of the interleaved rounds and Spillway's ratios to Portkey. */
export function formatPeers(report: BenchReport): string[] {
  const peers = report.peers;
  if (peers === undefined) return [];
  const versions = Object.entries(peers.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  const figures = (name: string) => peers.rounds.find((r) => r.target === name);
  const noop = figures('noop-proxy');
  const spillway = figures('gateway');
  const portkey = figures('portkey');
  const out = [`\nPeers (${versions}; medians of interleaved rounds at 64 connections):`];
  out.push(
    table(
      ['target', 'req/s', 'req/s range', 'x noop', 'p50 ms', 'p99 ms', 'cpu ms/req', 'errors'],
      peers.rounds.map((r) => [
        r.target,
        fixed(r.requestsPerSecond, 0),
        `${fixed(r.minRequestsPerSecond, 0)}-${fixed(r.maxRequestsPerSecond, 0)}`,
        fixed(r.requestsPerSecond / (noop?.requestsPerSecond ?? Number.NaN)),
        fixed(r.p50Ms),
        fixed(r.p99Ms),
        fixed(r.cpuPerRequestMs, 3),
        String(r.errors),
      ]),
    ),
  );
  if (spillway !== undefined && portkey !== undefined) {
    const stream = (name: string) => report.streaming.find((r) => r.target === name);
    const probe = (name: string) => report.latency.find((r) => r.target === name);
    out.push(
      `Spillway / Portkey: throughput ${fixed(spillway.requestsPerSecond / portkey.requestsPerSecond)}x (goal >= 5x), ` +
        `CPU per request ${fixed(portkey.cpuPerRequestMs / spillway.cpuPerRequestMs)}x less, ` +
        `latency at 1 connection p50 ${fixed(probe('gateway')?.p50Ms ?? Number.NaN, 3)} vs ${fixed(probe('portkey')?.p50Ms ?? Number.NaN, 3)} ms, ` +
        `streaming TTFT p50 ${fixed(stream('gateway')?.firstTokenP50Ms ?? Number.NaN, 3)} vs ${fixed(stream('portkey')?.firstTokenP50Ms ?? Number.NaN, 3)} ms`,
    );
  }
  return out;
}

/**
 * Issue 18's two lines at 64 connections, per gateway: CPU per request as a multiple of the no-op
 * proxy's (goal <= 1.7x, i.e. one pinned core serves >= 0.6x the no-op's requests) and the peak RSS
 * so far (goal <= 150 MB on default settings; the runs go 1, 16, 64, ... connections, so it is the
 * peak up to and including the 64-connection run).
 */
export function formatFootprintBudget(report: BenchReport): string[] {
  const at64 = report.throughput.filter((r) => r.connections === 64);
  const noop = at64.find((r) => r.target === 'noop-proxy');
  if (noop === undefined) return [];
  const lines = at64
    .filter((r) => r.target.startsWith('gateway'))
    .map((r) => {
      const ratio = r.cpuPerRequestMs / noop.cpuPerRequestMs;
      return (
        `${r.target} at 64 connections: CPU ${fixed(r.cpuPerRequestMs, 3)} ms/request = ${fixed(ratio)}x the no-op's ${fixed(noop.cpuPerRequestMs, 3)} ` +
        `(goal <= 1.7x; per core ${fixed(1 / ratio)}x the no-op, goal >= 0.6), peak RSS ${fixed(r.peakRssMb, 0)} MB (goal <= 150)`
      );
    });
  const memory = at64.find((r) => r.target === 'gateway');
  const redis = at64.find((r) => r.target === 'gateway-redis');
  const commands = report.redisCommands.find((r) => r.connections === 64);
  if (memory !== undefined && redis !== undefined)
    lines.push(
      `gateway-redis at 64 connections: ${fixed(redis.requestsPerSecond / memory.requestsPerSecond)}x the in-memory gateway's throughput (goal >= 0.8)` +
        (commands === undefined
          ? ''
          : `, ${fixed(commands.scriptsPerRequest)} script calls and ${fixed(commands.commandsPerRequest, 1)} Redis commands per request`),
    );
  return lines.length === 0 ? [] : ['\nFootprint budget (issue 18):', ...lines];
}
