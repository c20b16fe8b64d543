import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * A gateway on the embedded defaults (in-memory state, SQLite) does not load the Redis and
 * PostgreSQL clients: ioredis and pg are imported when the config names them, not before. Nor does
 * it load Bedrock's signing and credential packages without a Bedrock guardrail (build-stages.ts), or
 * Node's bundled undici (an ESM import of node:http would: src/core/node-http.ts). Each case runs in
 * its own Node process, so nothing loaded by another test counts.
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
 * of `database.url`, and returns which of those packages the process loaded (`node-bundled-undici`:
 * Node's own copy of undici).
 */
async function loadedPackages(name: string, state: object, probeDatabaseUrl?: string): Promise<string[]> {
  const script = `
    import { registerHooks } from 'node:module';
    // Every module resolved from here on, imported or required.
    const resolved = new Set();
    registerHooks({
      resolve(specifier, context, nextResolve) {
        const result = nextResolve(specifier, context);
        resolved.add(result.url);
        return result;
      },
    });
    const { configSchema } = await import('./src/config/schema.ts');
    const { probeBackends, startGateway } = await import('./src/main.ts');
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
    for (const url of resolved) {
      const match = /node_modules\\/(ioredis|pg|@smithy\\/signature-v4|@aws-sdk\\/credential-providers)\\//.exec(url);
      if (match !== null) packages.add(match[1]);
    }
    if (process.moduleLoadList.some((name) => name.includes('deps/undici'))) packages.add('node-bundled-undici');
    await gateway.close();
    process.stdout.write(JSON.stringify([...packages].sort()));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repository,
    timeout: 30_000,
  });
  return JSON.parse(stdout) as string[];
}

describe('what a gateway loads', () => {
  it("in-memory state and SQLite load no ioredis, pg, Bedrock signing or Node's bundled undici", async () => {
    expect(await loadedPackages('embedded', {})).toEqual([]);
  });

  it('a Redis URL loads ioredis, and probing a PostgreSQL URL loads pg', async () => {
    expect(await loadedPackages('redis', { redis_url: 'redis://127.0.0.1:6379' })).toEqual(['ioredis']);
    expect(await loadedPackages('probe', {}, 'postgres://postgres@127.0.0.1:5432/postgres')).toEqual(['pg']);
  });
});
