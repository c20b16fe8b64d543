import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './gateway-replica.ts';

const run = promisify(execFile);

/** The newest installed PostgreSQL's bin directory (Debian layout), if any. */
function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((version) => existsSync(join(root, version, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user. */
function postgresUserId(): number | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    return Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}

/** Whether this machine can run a private PostgreSQL cluster (binaries, and a non-root user to run them). */
export function throwawayPostgresAvailable(): boolean {
  return postgresBin() !== undefined && (process.getuid?.() !== 0 || postgresUserId() !== undefined);
}

const live = new Set<string>();
// Never leave a cluster behind if the test process ends without stopping it.
process.once('exit', () => {
  for (const pidFile of live) {
    try {
      const pid = Number(execFileSync('head', ['-1', pidFile], { encoding: 'utf8' }).trim());
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * A private PostgreSQL cluster (initdb in a temp dir, trust auth, no fsync, loopback on a free port)
 * that a test may SIGKILL and start again. Never the shared server.
 */
export class ThrowawayPostgres {
  readonly port: number;
  private readonly directory: string;
  private readonly bin: string;
  private readonly runAs: number | undefined;

  private constructor(port: number, directory: string, bin: string, runAs: number | undefined) {
    this.port = port;
    this.directory = directory;
    this.bin = bin;
    this.runAs = runAs;
  }

  static async start(): Promise<ThrowawayPostgres> {
    const bin = postgresBin();
    if (bin === undefined) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql');
    const runAs = postgresUserId();
    const directory = await mkdtemp(join(tmpdir(), 'spillway-pg-'));
    if (runAs !== undefined) await chown(directory, runAs, -1);
    const cluster = new ThrowawayPostgres(await freePort(), directory, bin, runAs);
    await cluster.command('initdb', [
      '-D',
      cluster.dataDirectory,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
    ]);
    await cluster.startServer();
    return cluster;
  }

  private get dataDirectory(): string {
    return join(this.directory, 'data');
  }

  private get pidFile(): string {
    return join(this.dataDirectory, 'postmaster.pid');
  }

  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private async command(name: string, args: readonly string[]): Promise<void> {
    const file = join(this.bin, name);
    if (this.runAs === undefined) await run(file, [...args], { timeout: 30_000 });
    else await run('runuser', ['-u', 'postgres', '--', file, ...args], { timeout: 30_000 });
  }

  /** Starts the server (again) on the same port and data; resolves once it accepts connections. */
  async startServer(): Promise<void> {
    const options = `-p ${this.port} -k ${this.directory} -c listen_addresses=127.0.0.1 -c fsync=off`;
    // After a SIGKILL, the old backends may take a moment to notice and release shared memory.
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.command('pg_ctl', [
          '-D',
          this.dataDirectory,
          '-o',
          options,
          '-l',
          join(this.directory, 'server.log'),
          '-w',
          '-t',
          '20',
          'start',
        ]);
        live.add(this.pidFile);
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /** SIGKILLs the postmaster (a crash, not a shutdown) and waits until it is gone. */
  async kill(): Promise<void> {
    const pid = Number((await readFile(this.pidFile, 'utf8')).split('\n')[0]);
    live.delete(this.pidFile);
    process.kill(pid, 'SIGKILL');
    for (let waited = 0; waited < 10_000; waited += 50) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`postmaster ${pid} did not exit`);
  }

  /** Stops the server at once (if running) and deletes the cluster. */
  async destroy(): Promise<void> {
    if (existsSync(this.pidFile)) {
      await this.command('pg_ctl', ['-D', this.dataDirectory, '-m', 'immediate', 'stop']).catch(
        () => undefined,
      );
    }
    live.delete(this.pidFile);
    await rm(this.directory, { recursive: true, force: true });
  }
}
