/** Child processes for the benchmark: start, wait until ready, read CPU time and memory from /proc. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { createServer } from 'node:net';

export interface BenchProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Every child a benchmark started and has not seen exit. A benchmark stopped by Ctrl-C, SIGTERM
 * or `timeout` must not leave its upstream and gateways running (they would skew the next run):
 * the first child started installs handlers that kill them all and exit.
 */
const running = new Set<ChildProcess>();
let handlersInstalled = false;

function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (handlersInstalled) return;
  handlersInstalled = true;
  const killAll = (): void => {
    for (const each of running) each.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the benchmark's processes\n`);
      killAll();
      process.exit(code);
    });
}

/** A free loopback port (the OS picks; the short race is acceptable for a benchmark). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = address !== null && typeof address === 'object' ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** Starts `node args...` and resolves once it prints `listening <port>`. */
export function startListening(
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<BenchProcess> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  track(child);
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (data: Buffer): void => {
      buffered += data.toString('utf8');
      const match = /listening (\d+)/.exec(buffered);
      if (match?.[1] === undefined) return;
      child.stdout.off('data', onData);
      child.stdout.resume();
      resolve({ name, child, port: Number(match[1]), stop: () => stopChild(child) });
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      reject(new Error(`${name} exited early with code ${String(code)}`));
    });
  });
}

/** Starts a process that listens on a known port and resolves once `readyUrl` answers 200. */
export async function startWithHealth(
  name: string,
  args: readonly string[],
  port: number,
  readyUrl: string,
  env: NodeJS.ProcessEnv = {},
): Promise<BenchProcess> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  track(child);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited before it was ready`);
    try {
      const answer = await fetch(readyUrl);
      if (answer.ok) return { name, child, port, stop: () => stopChild(child) };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} was not ready within 30 s`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

const ticksPerSecond = 100;

/** CPU time (user + system) of a process in milliseconds, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const { user, system } = cpuSplitMs(pid);
  return user + system;
}

/** User and system CPU time of a process in milliseconds, from /proc/<pid>/stat. */
export function cpuSplitMs(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[11] and [12] are utime and stime (fields 14 and 15 of proc(5), counted from after the name)
  return {
    user: (Number(fields[11]) * 1000) / ticksPerSecond,
    system: (Number(fields[12]) * 1000) / ticksPerSecond,
  };
}

/** Resident set size now and its peak, in MB, from /proc/<pid>/status. */
export function memoryMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const read = (field: string): number =>
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: read('VmRSS'), peak: read('VmHWM') };
}

/**
 * Moves every thread of process `pid` onto CPU `cpu` (taskset). The benchmarks pin the process
 * measured to one core and the load generator and upstream to the other, so the target never shares
 * its core with the load it is measured under (on a 2-core machine, unpinned runs measured 2-3× the
 * CPU per request: the scheduler moves the target between cores shared with autocannon).
 */
export function pinToCpu(pid: number | undefined, cpu: number): void {
  if (!canPin()) return;
  if (pid === undefined) return;
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}

let pinnable: boolean | undefined;
/** True when the machine has two or more CPUs and `taskset` works. */
/**
 * Lets `pid` (every thread of it) run on every CPU of the machine again. A child inherits its
 * parent's pinning: a benchmark that runs after `npm run bench` pinned itself to CPU 0 would
 * otherwise start its processes on that one CPU.
 */
export function unpin(pid: number): void {
  if (!canPin()) return;
  execFileSync('taskset', ['-a', '-p', '-c', `0-${cpus().length - 1}`, String(pid)], { stdio: 'ignore' });
}

export function canPin(): boolean {
  if (pinnable === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      pinnable = availableParallelism() >= 2;
    } catch {
      pinnable = false;
    }
  }
  return pinnable;
}
