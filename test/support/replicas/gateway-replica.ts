import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';

/** The spillway command of this checkout, as an absolute path (the process runs in its own cwd). */
export const spillwayBin = new URL('../../../bin/spillway.js', import.meta.url).pathname;

/** A `spillway serve` child process on a free loopback port, with a caller-owned working directory. */
export interface GatewayReplica {
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly port: number;
  /** Its working directory: SQLite file and `.spillway/spool` live here; it survives stop(). */
  readonly directory: string;
  /** The replica id it reports on /version (and in /admin/replicas). */
  readonly replicaId: string;
  /** Resolves with the exit code (null after a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, wait for the exit (SIGKILL after `killAfterMs`, default 15 s). Safe to call twice. */
  stop(killAfterMs?: number): Promise<number | null>;
}

const children = new Set<ChildProcess>();
// A test worker that dies must not leave gateways behind.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** A port the OS just handed out on loopback (free now; the caller retries if another process wins it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const response = await request(url, { headers, headersTimeout: 2000, bodyTimeout: 2000 });
  return { status: response.statusCode, body: await response.body.text() };
}

/** GET a JSON document from the gateway; throws unless 200. */
export async function getJson(url: string, adminKey?: string): Promise<unknown> {
  const response = await get(url, adminKey === undefined ? {} : { authorization: `Bearer ${adminKey}` });
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${response.body}`);
  return JSON.parse(response.body) as unknown;
}

async function startOnce(
  directory: string,
  configPath: string,
  port: number,
  readyTimeoutMs: number,
  workers: number,
) {
  const child = spawn(
    process.execPath,
    [
      spillwayBin,
      'serve',
      '--config',
      configPath,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      ...(workers === 0 ? [] : ['--workers', String(workers)]),
    ],
    { cwd: directory, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let text = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      children.delete(child);
      exitCode = code;
      resolve(code);
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  while (exitCode === undefined && Date.now() < deadline) {
    const ready = await get(`${url}/health/ready`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) break;
    await sleep(25);
  }
  return { child, exited, url, output: () => text, started: exitCode === undefined && Date.now() < deadline };
}

/**
 * Writes `config` (as YAML) into `directory` and starts `node <abs>/bin/spillway.js serve` there on a
 * free port; resolves once GET /health/ready is 200. A lost race for the port is retried on another.
 */
export async function startReplica(
  directory: string,
  config: unknown,
  options: {
    readonly readyTimeoutMs?: number;
    /** `--workers N` (default 1: one thread per replica, as these tests count per replica; 0: the command's default). */
    readonly workers?: number;
  } = {},
): Promise<GatewayReplica> {
  const configPath = join(directory, 'spillway.yaml');
  await writeFile(configPath, stringify(config));
  let lastOutput = '';
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const started = await startOnce(
      directory,
      configPath,
      port,
      options.readyTimeoutMs ?? 20_000,
      options.workers ?? 1,
    );
    if (!started.started) {
      started.child.kill('SIGKILL');
      await started.exited;
      lastOutput = started.output();
      if (lastOutput.includes('EADDRINUSE')) continue;
      throw new Error(`gateway did not get ready:\n${lastOutput}`);
    }
    const version = (await getJson(`${started.url}/version`)) as { replica: string };
    let stopping: Promise<number | null> | undefined;
    return {
      url: started.url,
      port,
      directory,
      replicaId: version.replica,
      exited: started.exited,
      output: started.output,
      stop(killAfterMs = 15_000) {
        stopping ??= (async () => {
          started.child.kill('SIGTERM');
          const timer = setTimeout(() => started.child.kill('SIGKILL'), killAfterMs);
          const code = await started.exited;
          clearTimeout(timer);
          return code;
        })();
        return stopping;
      },
    };
  }
  throw new Error(`gateway could not get a port:\n${lastOutput}`);
}

/** Polls `check` every 50 ms until it returns true; throws `what` after `timeoutMs`. */
export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
