/**
 * Peers in the benchmark (`npm run bench -- --peers`): Portkey's open-source gateway, measured in the
 * same run, against the same fast upstream, in the same interleaved rounds as the no-op proxy and
 * Spillway (docs/performance.md, "Peers").
 *
 * Portkey is not one of Spillway's dependencies: its package declares an install script
 * (`postinstall: patch-package`) and pins majors that clash with ours (zod 3, ioredis 5). It is
 * installed from the npm registry on first use, apart, into `.spillway/peers/portkey-<lock hash>`,
 * from the exact lockfile in `bench/peers/portkey/` with `npm ci --ignore-scripts` (the published
 * tarball ships no `patches/` folder, so the skipped `patch-package` would apply nothing).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpuMs, freePort, startWithHealth, type BenchProcess } from './processes.ts';
import { median, runAutocannon, type Target, type ThroughputResult } from './load.ts';

const manifestDirectory = resolve('bench', 'peers', 'portkey');
const loopbackPreload = resolve('bench', 'peers', 'loopback.ts');

export interface PeerInstall {
  /** The gateway's entry point (build/start-server.js). */
  readonly entry: string;
  /** Exact versions as installed, e.g. `@portkey-ai/gateway 1.15.2, @hono/node-server 1.13.5`. */
  readonly versions: Record<string, string>;
}

const versionIn = (directory: string, name: string): string =>
  (
    JSON.parse(readFileSync(join(directory, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

/**
 * Installs Portkey's gateway once per lockfile (npm ci, no install scripts, bounded to 5 minutes)
 * and returns its entry point and installed versions.
 */
export function installPortkey(cacheRoot = resolve('.spillway', 'peers')): PeerInstall {
  const lock = readFileSync(join(manifestDirectory, 'package-lock.json'));
  const key = createHash('sha256').update(lock).digest('hex').slice(0, 12);
  const directory = join(cacheRoot, `portkey-${key}`);
  if (!existsSync(join(directory, '.installed'))) {
    const staging = `${directory}.staging-${String(process.pid)}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    for (const file of ['package.json', 'package-lock.json'])
      copyFileSync(join(manifestDirectory, file), join(staging, file));
    process.stderr.write(`installing Portkey's gateway into ${directory} (npm ci --ignore-scripts)\n`);
    execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: staging,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 300_000,
    });
    copyFileSync(join(staging, 'package-lock.json'), join(staging, '.installed'));
    rmSync(directory, { recursive: true, force: true });
    renameSync(staging, directory);
  }
  return {
    entry: join(directory, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js'),
    versions: Object.fromEntries(
      ['@portkey-ai/gateway', '@hono/node-server', 'hono'].map((name) => [name, versionIn(directory, name)]),
    ),
  };
}

/**
 * Starts Portkey (headless, bound to 127.0.0.1 by bench/peers/loopback.ts) and returns it with the
 * target that sends the benchmark's requests through it to the fast upstream as an OpenAI provider
 * with a custom host. Throws unless one plain and one streamed request come back whole.
 */
export async function startPortkey(
  install: PeerInstall,
  upstreamUrl: string,
): Promise<{ process: BenchProcess; target: Target }> {
  const port = await freePort();
  const started = await startWithHealth(
    'portkey',
    ['--import', loopbackPreload, install.entry, `--port=${String(port)}`, '--headless'],
    port,
    `http://127.0.0.1:${String(port)}/`,
    { NODE_ENV: 'production' },
  );
  const target: Target = {
    name: 'portkey',
    url: `http://127.0.0.1:${String(port)}`,
    headers: {
      authorization: 'Bearer sk-bench-upstream',
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `${upstreamUrl}/v1`,
    },
  };
  try {
    await checkAnswers(target);
  } catch (error) {
    await started.stop();
    throw error;
  }
  return { process: started, target };
}

async function checkAnswers(target: Target): Promise<void> {
  for (const stream of [false, true]) {
    const answer = await fetch(`${target.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...target.headers },
      body: JSON.stringify({
        model: 'bench',
        messages: [{ role: 'user', content: 'Say hello.' }],
        max_tokens: 4,
        stream,
      }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await answer.text();
    const whole = stream ? text.includes('data: [DONE]') : text.includes('"chat.completion"');
    if (answer.status !== 200 || !whole)
      throw new Error(
        `portkey: a ${stream ? 'streamed' : 'plain'} request failed (${String(answer.status)}): ${text.slice(0, 200)}`,
      );
  }
}

/** One target's figures over the interleaved peer rounds (medians; req/s range across rounds). */
export interface PeerFigures {
  readonly target: string;
  readonly requestsPerSecond: number;
  readonly minRequestsPerSecond: number;
  readonly maxRequestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuPerRequestMs: number;
  readonly errors: number;
}

/**
 * `rounds` closed-loop runs per target at `connections`, interleaved (A B C A B C ...) so machine
 * noise hits every target alike; each target's medians over the rounds.
 */
export async function measurePeerRounds(
  targets: readonly (Target & { pid: number })[],
  connections: number,
  rounds: number,
  durationS: number,
): Promise<PeerFigures[]> {
  const runs = new Map<string, (ThroughputResult & { cpuPerRequestMs: number })[]>(
    targets.map((t) => [t.name, []]),
  );
  for (let round = 0; round < rounds; round += 1) {
    for (const target of targets) {
      const before = cpuMs(target.pid);
      const result = await runAutocannon(target, connections, durationS);
      const cpuPerRequestMs = (cpuMs(target.pid) - before) / Math.max(1, result.requests);
      runs.get(target.name)?.push({ ...result, cpuPerRequestMs });
      process.stderr.write(
        `peers round ${String(round + 1)} ${target.name}: ${result.requestsPerSecond.toFixed(0)} req/s\n`,
      );
    }
  }
  return targets.map((target) => {
    const list = runs.get(target.name) ?? [];
    const rps = list.map((r) => r.requestsPerSecond);
    return {
      target: target.name,
      requestsPerSecond: median(rps),
      minRequestsPerSecond: Math.min(...rps),
      maxRequestsPerSecond: Math.max(...rps),
      p50Ms: median(list.map((r) => r.p50Ms)),
      p99Ms: median(list.map((r) => r.p99Ms)),
      cpuPerRequestMs: median(list.map((r) => r.cpuPerRequestMs)),
      errors: list.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
    };
  });
}
