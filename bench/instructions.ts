/**
 * Instructions per request, counted by valgrind's callgrind: the steady figure on a shared VM where
 * CPU time moves ±20% between runs (reference: `valgrind --tool=callgrind` counts instructions, not
 * seconds, whatever else the machine is doing).
 *
 * `node bench/instructions.ts [--variants on,off,metrics,log,noop] [--requests 2000] [--warmup 1500]
 * [--connections 8] [--node-flags="--max-semi-space-size=16"]`
 *
 * Each variant is one server process run under callgrind with instrumentation off; after `warmup`
 * requests (so the JIT has tiered up) instrumentation is switched on with `callgrind_control`, exactly
 * `requests` requests are sent at `connections` concurrency, the counters are dumped, and the
 * instructions of that window are divided by `requests`. V8 runs `--single-threaded` so compilation and
 * GC happen on the counted thread in a repeatable order (three runs of the same script agree within
 * ~0.5%). Variants: the gateway with telemetry `on` (metrics + access log, the default), `off` (neither),
 * `metrics` only, `log` only, and `noop` (the no-op proxy of bench/noop-proxy.ts, the issue 8 ceiling).
 * Every variant sees the same fast upstream (a normal process, not counted).
 *
 * Valgrind slows the counted process ~30-60×: a run of five variants takes a few minutes. The figures
 * are instructions, not time; `ns` estimates are not printed on purpose.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gatewayConfig, tenantKey } from './lib/gateway-config.ts';
import { sendRequests } from './lib/load.ts';
import { freePort, startListening, type BenchProcess } from './lib/processes.ts';

const { values } = parseArgs({
  options: {
    variants: { type: 'string', default: 'on,off,noop' },
    requests: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '1500' },
    connections: { type: 'string', default: '8' },
    /** V8/Node flags of the measured process instead of the gateway's defaults (space separated). */
    'node-flags': { type: 'string', default: '--max-semi-space-size=16' },
    /** Keep the callgrind output files (for callgrind_annotate) and print their directory. */
    keep: { type: 'boolean', default: false },
  },
});

type Variant = 'on' | 'off' | 'metrics' | 'log' | 'noop';
const telemetrySetting: Record<Exclude<Variant, 'noop'>, string> = {
  on: 'telemetry: { metrics: true, access_log: true }',
  off: 'telemetry: { metrics: false, access_log: false }',
  metrics: 'telemetry: { metrics: true, access_log: false }',
  log: 'telemetry: { metrics: false, access_log: true }',
};

const valgrindArgs = (outFile: string): string[] => [
  '--tool=callgrind',
  '--instr-atstart=no',
  `--callgrind-out-file=${outFile}`,
  // V8 writes its JIT code into pages it then executes: valgrind must notice every such change.
  '--smc-check=all-non-file',
];
const nodeFlags = ['--single-threaded', ...values['node-flags'].split(' ').filter((flag) => flag !== '')];

async function waitFor(
  url: string,
  child: ChildProcess,
  headers: Record<string, string> = {},
): Promise<void> {
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited early (${String(child.exitCode)})`);
    try {
      const answer = await fetch(url, { headers });
      if (answer.status < 500) return;
    } catch {
      // not yet listening
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within 240 s`);
}

/** The `totals:` (or `summary:`) instruction count of a callgrind dump. */
function instructionsIn(file: string): number {
  const text = readFileSync(file, 'utf8');
  const match = /^(?:totals|summary):\s+(\d+)/m.exec(text);
  if (match?.[1] === undefined) throw new Error(`no totals in ${file}`);
  return Number(match[1]);
}

async function measure(
  variant: Variant,
  directory: string,
  upstreamPort: number,
): Promise<{ perRequest: number; total: number }> {
  const port = await freePort();
  const outBase = join(directory, `${variant}.callgrind`);
  let args: string[];
  let headers: Record<string, string> = {};
  if (variant === 'noop') {
    args = [
      'bench/noop-proxy.ts',
      '--port',
      String(port),
      '--upstream',
      `http://127.0.0.1:${String(upstreamPort)}`,
    ];
  } else {
    const text = gatewayConfig({
      port,
      upstreamPort,
      databasePath: join(directory, `${variant}.db`),
      redis: false,
    }).replace(/telemetry: \{[^}]*\}/, telemetrySetting[variant]);
    const configPath = join(directory, `${variant}.yaml`);
    writeFileSync(configPath, text);
    args = ['bin/spillway.js', 'serve', '--config', configPath];
    headers = { authorization: `Bearer ${tenantKey}` };
  }
  const child = spawn('valgrind', [...valgrindArgs(outBase), process.execPath, ...nodeFlags, ...args], {
    env: { ...process.env, SPILLWAY_V8_FLAGS: 'off' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (part: Buffer) => {
    stderr += part.toString('utf8');
  });
  const pid = child.pid ?? 0;
  try {
    const url = `http://127.0.0.1:${String(port)}`;
    await waitFor(variant === 'noop' ? `${url}/` : `${url}/health/ready`, child);
    await sendRequests(url, headers, Number(values.warmup), Number(values.connections));
    execFileSync('callgrind_control', ['--instr=on', String(pid)], { stdio: 'ignore' });
    await sendRequests(url, headers, Number(values.requests), Number(values.connections));
    execFileSync('callgrind_control', ['--dump', String(pid)], { stdio: 'ignore' });
    const dumps = readdirSync(directory)
      .filter((name) => name.startsWith(`${variant}.callgrind.`))
      .sort();
    const last = dumps.at(-1);
    if (last === undefined) throw new Error(`no callgrind dump for ${variant}: ${stderr.slice(-2000)}`);
    const total = instructionsIn(join(directory, last));
    return { perRequest: total / Number(values.requests), total };
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(undefined);
      else child.once('exit', resolve);
    });
  }
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'spillway-instructions-'));
  const variants = values.variants.split(',').map((v) => v.trim()) as Variant[];
  for (const variant of variants) {
    if (!['on', 'off', 'metrics', 'log', 'noop'].includes(variant))
      throw new Error(`unknown variant ${variant}`);
  }
  let upstream: BenchProcess | undefined;
  try {
    upstream = await startListening('upstream', ['bench/fast-upstream.ts']);
    const results = new Map<Variant, number>();
    for (const variant of variants) {
      const { perRequest } = await measure(variant, directory, upstream.port);
      results.set(variant, perRequest);
      console.log(
        `${variant.padEnd(8)} ${Math.round(perRequest).toLocaleString('en-US').padStart(12)} instructions/request`,
      );
    }
    const on = results.get('on');
    const off = results.get('off');
    if (on !== undefined && off !== undefined) {
      console.log(
        `telemetry: +${Math.round(on - off).toLocaleString('en-US')} instructions/request, ${(((on - off) / on) * 100).toFixed(1)}% of the gateway's (throughput cost if CPU-bound)`,
      );
    }
    for (const part of ['metrics', 'log'] as const) {
      const value = results.get(part);
      if (value !== undefined && off !== undefined) {
        console.log(
          `  ${part} alone: +${Math.round(value - off).toLocaleString('en-US')} instructions/request`,
        );
      }
    }
    const noop = results.get('noop');
    if (noop !== undefined && on !== undefined) {
      console.log(
        `gateway / no-op proxy: ${(on / noop).toFixed(2)}× the instructions; throughput if CPU-bound: ${(noop / on).toFixed(2)}× the no-op`,
      );
    }
    if (values.keep) console.log(`callgrind files: ${directory}`);
  } finally {
    await upstream?.stop();
  }
}

await main();
