import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * A gateway on the embedded defaults (in-memory state, SQLite) does not load the Redis and
 * PostgreSQL clients: ioredis and pg are imported when the config names them, not before. Each case
 * runs in its own Node process, so nothing loaded by another test counts.
 */

const run = promisify(execFile);
const repository = join(import.meta.dirname, '..');
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'spillway-loaded-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/**
 * Starts a gateway with `state` in a fresh process, optionally runs `config check --connect`'s probe
 * of `database.url`, and returns the packages among ioredis and pg that the process loaded.
 */
async function loadedPackages(name: string, state: object, probeDatabaseUrl?: string): Promise<string[]> {
  const script = `
    import { createRequire } from 'node:module';
    import { configSchema } from './src/config/schema.ts';
    import { probeBackends, startGateway } from './src/main.ts';
    const config = configSchema.parse({
      server: { log_level: 'error' },
      providers: { up: { type: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key: 'sk-unused' } },
      models: { chat: { deployments: [{ id: 'd1', provider: 'up', model: 'gpt-4o-mini' }] } },
      database: { path: ${JSON.stringify(join(directory, `${name}.db`))} },
      state: ${JSON.stringify(state)},
    });
    const gateway = await startGateway({
      config, port: 0, workers: 1, spoolDirectory: ${JSON.stringify(join(directory, `${name}-spool`))},
    });
    const probe = ${JSON.stringify(probeDatabaseUrl ?? null)};
    if (probe !== null) await probeBackends(configSchema.parse({ ...config, database: { url: probe } }), 2000);
    const packages = new Set();
    for (const path of Object.keys(createRequire(import.meta.url).cache)) {
      const match = /node_modules\\/(ioredis|pg)\\//.exec(path);
      if (match !== null) packages.add(match[1]);
    }
    await gateway.close();
    process.stdout.write(JSON.stringify([...packages].sort()));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repository,
    timeout: 30_000,
  });
  return JSON.parse(stdout) as string[];
}

describe('backend clients load only when configured', () => {
  it('in-memory state and SQLite load neither ioredis nor pg', async () => {
    expect(await loadedPackages('embedded', {})).toEqual([]);
  });

  it('a Redis URL loads ioredis, and probing a PostgreSQL URL loads pg', async () => {
    expect(await loadedPackages('redis', { redis_url: 'redis://127.0.0.1:6379' })).toEqual(['ioredis']);
    expect(await loadedPackages('probe', {}, 'postgres://postgres@127.0.0.1:5432/postgres')).toEqual(['pg']);
  });
});
