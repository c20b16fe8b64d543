/**
 * Bytes allocated per request and by which functions: `node bench/allocations.ts [--target gateway|noop]
 * [--requests 10000] [--warmup 20000] [--connections 64] [--top 40] [--redis]`.
 *
 * The target runs with bench/lib/heap-sampling.ts preloaded; after a warm-up, V8's sampling heap
 * profiler records every allocation (including objects already collected, which is what young
 * garbage is) while exactly `requests` requests are sent, and the profile is summed per function:
 * self bytes per request, and inclusive bytes for Spillway's own functions. Allocation drives the
 * scavenger (GC was 10-16% of the gateway's CPU profile), and unlike CPU time on this VM the figure
 * repeats from run to run within a few percent.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gatewayConfig, tenantKey } from './lib/gateway-config.ts';
import { sendRequests } from './lib/load.ts';
import { freePort, startListening, type BenchProcess } from './lib/processes.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'gateway' },
    requests: { type: 'string', default: '10000' },
    warmup: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '64' },
    top: { type: 'string', default: '40' },
    /** The gateway keeps its shared state in the machine's Redis (127.0.0.1:6379). */
    redis: { type: 'boolean', default: false },
    /**
     * Only what outlived a scavenge (bench/lib/heap-sampling.ts): what the scavenger copies and
     * promotes, which is what the GC's time goes on, not all that was allocated.
     */
    survivors: { type: 'boolean', default: false },
  },
});

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

function waitForLine(child: ReturnType<typeof spawn>, pattern: RegExp): Promise<void> {
  return new Promise((resolvePromise) => {
    const onData = (part: Buffer): void => {
      if (pattern.test(part.toString('utf8'))) {
        child.stderr?.off('data', onData);
        resolvePromise();
      }
    };
    child.stderr?.on('data', onData);
  });
}

function summarise(file: string, requests: number, top: number): string {
  const root = JSON.parse(readFileSync(file, 'utf8')) as { head: ProfileNode };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const cwd = `${process.cwd()}/`;
  const walk = (node: ProfileNode, stack: readonly string[]): void => {
    const frame = node.callFrame;
    const where = frame.url.replace(/^file:\/\//, '').replace(cwd, '');
    const key = `${frame.functionName === '' ? '(anonymous)' : frame.functionName} ${where}:${String(frame.lineNumber + 1)}`;
    total += node.selfSize;
    self.set(key, (self.get(key) ?? 0) + node.selfSize);
    const path = stack.includes(key) ? stack : [...stack, key];
    for (const name of new Set(path)) inclusive.set(name, (inclusive.get(name) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child, path);
  };
  walk(root.head, []);
  const perRequest = (bytes: number): string =>
    `${Math.round(bytes / requests)
      .toLocaleString('en-US')
      .padStart(7)} B`;
  const list = (map: Map<string, number>, filter: (name: string) => boolean): string =>
    [...map]
      .filter(([name]) => filter(name))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([name, bytes]) =>
          `  ${perRequest(bytes)}  ${((bytes / total) * 100).toFixed(1).padStart(5)}%  ${name}`,
      )
      .join('\n');
  return [
    `${values.survivors ? 'outlived a scavenge' : 'allocated'}: ${perRequest(total).trim()} per request (${String(requests)} requests sampled)`,
    'self, per request:',
    list(self, () => true),
    'inclusive, Spillway functions (src/, or dist/ when the gateway runs compiled), per request:',
    list(inclusive, (name) => name.includes(' src/') || name.includes(' dist/')),
  ].join('\n');
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'spillway-allocations-'));
  const profileFile = join(directory, 'allocations.heapprofile');
  let upstream: BenchProcess | undefined;
  const port = await freePort();
  let args: string[];
  let headers: Record<string, string> = {};
  try {
    upstream = await startListening('upstream', ['bench/fast-upstream.ts']);
    if (values.target === 'noop') {
      args = [
        'bench/noop-proxy.ts',
        '--port',
        String(port),
        '--upstream',
        `http://127.0.0.1:${String(upstream.port)}`,
      ];
    } else {
      const configPath = join(directory, 'gateway.yaml');
      writeFileSync(
        configPath,
        gatewayConfig({
          port,
          upstreamPort: upstream.port,
          databasePath: join(directory, 'gateway.db'),
          redis: values.redis,
        }),
      );
      args = ['bin/spillway.js', 'serve', '--config', configPath];
      headers = { authorization: `Bearer ${tenantKey}` };
    }
    const child = spawn(
      process.execPath,
      ['--max-semi-space-size=16', '--import', resolve('bench/lib/heap-sampling.ts'), ...args],
      {
        env: {
          ...process.env,
          SPILLWAY_V8_FLAGS: 'off',
          SPILLWAY_HEAP_SAMPLING_OUT: profileFile,
          SPILLWAY_HEAP_SAMPLING_SURVIVORS: values.survivors ? '1' : '0',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    try {
      const url = `http://127.0.0.1:${String(port)}`;
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (Date.now() > deadline) throw new Error('target did not start');
        try {
          await fetch(values.target === 'noop' ? url : `${url}/health/live`);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await sendRequests(url, headers, Number(values.warmup), Number(values.connections));
      const started = waitForLine(child, /heap-sampling: started/);
      child.kill('SIGUSR2');
      await started;
      await sendRequests(url, headers, Number(values.requests), Number(values.connections));
      const written = waitForLine(child, /heap-sampling: written/);
      child.kill('SIGUSR2');
      await written;
    } finally {
      child.kill('SIGKILL');
    }
    console.log(`${values.target}: ${summarise(profileFile, Number(values.requests), Number(values.top))}`);
  } finally {
    await upstream?.stop();
  }
}

await main();
