import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';
import type { GatewayConfigInput } from './gateway-config.ts';
import { waitFor } from './wait-for.ts';

/** The spillway command of this checkout. */
export const spillwayBin = new URL('../../bin/spillway.js', import.meta.url).pathname;

/** How a child process ended. */
export interface ProcessExit {
  /** Exit code, or null when a signal ended it. */
  readonly code: number | null;
  /** The signal that ended it, or null. */
  readonly signal: NodeJS.Signals | null;
}

/** One parsed JSON log line of the gateway (pino and access log lines alike). */
export type LogLine = Readonly<Record<string, unknown>>;

export interface GatewayProcessOptions {
  /** The configuration: an object (written as YAML) or the raw YAML text. */
  readonly config: GatewayConfigInput | string;
  /** Extra environment variables for the process (on top of this process's environment). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Work in this existing directory (kept by stop) instead of a fresh temp one: a second process on
   * the same directory restarts on the same SQLite file and spool.
   */
  readonly directory?: string;
  /** `--workers N` (default 1: one thread, as these tests were written for; 0: the command's default). */
  readonly workers?: number;
  /** How long to wait for the `listening` line and a 200 from /health/ready (default 20 s). */
  readonly readyTimeoutMs?: number;
}

/** A `spillway serve` child process on an OS-chosen loopback port, in its own temp directory. */
export interface GatewayProcess {
  /** http://127.0.0.1:port of the gateway. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** The working directory of the process (its SQLite file and spool live here). */
  readonly directory: string;
  /** The config file the process was started with (and reloads from). */
  readonly configPath: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** stdout lines that parse as JSON objects, in order. */
  logLines(): LogLine[];
  /**
   * Resolves with the first log line matching `predicate`, among the lines from index `since`
   * (default 0: the start; pass `logLines().length` for lines still to come); rejects after
   * `timeoutMs` (default 10 s) with the process output.
   */
  waitForLog(
    predicate: (line: LogLine) => boolean,
    options?: { readonly since?: number; readonly timeoutMs?: number },
  ): Promise<LogLine>;
  /** Replaces the config file (the gateway reloads it on SIGHUP and on file change). */
  writeConfig(config: GatewayConfigInput | string): Promise<void>;
  /** Sends a signal to the process. */
  signal(signal: NodeJS.Signals): void;
  /**
   * SIGTERM and wait for the exit (SIGKILL after `killAfterMs`, default 10 s), then removes the
   * temp directory (not one given in the options). Safe to call twice.
   */
  stop(killAfterMs?: number): Promise<ProcessExit>;
}

const running = new Set<ChildProcess>();
// A test worker that dies must not leave gateways behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** YAML text of a config given as an object or as text. */
export function configText(config: GatewayConfigInput | string): string {
  return typeof config === 'string' ? config : stringify(config);
}

function parseLines(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        lines.push(parsed as LogLine);
      }
    } catch {
      // A line cut by a pending write; it is read again once complete.
    }
  }
  return lines;
}

/** GET /health/ready: its HTTP status and body (`{ status, checks }`). */
export async function readinessOf(url: string): Promise<{
  httpStatus: number;
  status: string;
  checks: Record<string, { status: string; detail: string }>;
}> {
  const response = await request(`${url}/health/ready`, { headersTimeout: 2000, bodyTimeout: 2000 });
  const body = (await response.body.json()) as {
    status: string;
    checks: Record<string, { status: string; detail: string }>;
  };
  return { httpStatus: response.statusCode, ...body };
}

/** True once GET /health/ready answers 200. */
export async function isReady(url: string): Promise<boolean> {
  try {
    const response = await request(`${url}/health/ready`, { headersTimeout: 2000, bodyTimeout: 2000 });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}

/**
 * Starts `node bin/spillway.js serve --config FILE --port 0 --host 127.0.0.1` and resolves once it
 * logged its URL and /health/ready answers 200. Rejects (after killing it) with its output when it
 * exits or does not get ready in time.
 */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'spillway-e2e-')));
  const configPath = join(directory, 'spillway.yaml');
  await writeFile(configPath, configText(options.config));
  const child = spawn(
    process.execPath,
    [
      spillwayBin,
      'serve',
      '--config',
      configPath,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      ...(options.workers === 0 ? [] : ['--workers', String(options.workers ?? 1)]),
    ],
    { cwd: directory, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let exit: ProcessExit | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      exit = { code, signal };
      resolve(exit);
    });
  });
  const output = (): string => `${stdout}${stderr === '' ? '' : `\n--- stderr ---\n${stderr}`}`;
  const logLines = (): LogLine[] => parseLines(stdout);

  let stopping: Promise<ProcessExit> | undefined;
  const stop = (killAfterMs = 10_000): Promise<ProcessExit> => {
    stopping ??= (async () => {
      if (exit === undefined) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      const result = await exited;
      clearTimeout(timer);
      if (ownDirectory) await rm(directory, { recursive: true, force: true });
      return result;
    })();
    return stopping;
  };

  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  let url: string | undefined;
  try {
    await waitFor(
      async () => {
        if (exit !== undefined) throw new Error(`gateway exited (${JSON.stringify(exit)}) before ready`);
        url ??= logLines().find((line) => line['msg'] === 'listening')?.['url'] as string | undefined;
        return url !== undefined && (await isReady(url));
      },
      { timeoutMs: readyTimeoutMs, intervalMs: 20, what: 'gateway ready' },
    );
  } catch (error) {
    await stop(1000);
    throw new Error(`${(error as Error).message}\n${output()}`, { cause: error });
  }
  const readyUrl = url ?? '';
  const port = Number(new URL(readyUrl).port);
  const pid = child.pid ?? 0;

  return {
    url: readyUrl,
    port,
    pid,
    directory,
    configPath,
    exited,
    output,
    logLines,
    async waitForLog(predicate, { since = 0, timeoutMs = 10_000 } = {}) {
      let found: LogLine | undefined;
      await waitFor(
        () => {
          found = logLines().slice(since).find(predicate);
          return found !== undefined;
        },
        { timeoutMs, what: 'log line' },
      ).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\n${output()}`, { cause: error });
      });
      return found ?? {};
    },
    async writeConfig(config) {
      await writeFile(configPath, configText(config));
    },
    signal(signal) {
      child.kill(signal);
    },
    stop,
  };
}

export interface RunSpillwayResult extends ProcessExit {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node bin/spillway.js ...args` to completion (killed after `timeoutMs`, default 20 s). */
export function runSpillway(
  args: readonly string[],
  options: { readonly cwd?: string; readonly timeoutMs?: number } = {},
): Promise<RunSpillwayResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [spillwayBin, ...args], {
      cwd: options.cwd ?? tmpdir(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
