import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../src/governance/virtual-key.ts';
import { createTestDatabase } from './support/persistence/postgres-test-database.ts';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, simModels, singleDeploymentGroup } from './support/gateway-config.ts';
import { runSpillway, startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { runId } from './support/replicas/scenario-config.ts';
import { startTestSimulator } from './support/simulator.ts';

// Issue 5 acceptance: virtual keys made and revoked with the `spillway keys` CLI over the admin API
// of a real gateway process; a revoked key is refused within a second, on the replica that revoked it
// and on another replica sharing Redis; the plain key is never stored, logged or returned again.

const sharedRedisUrl = process.env['SPILLWAY_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const run = runId();
const adminKey = `admin-${run}-keys-key`;

let sim: RunningSimulator;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  sim = await startTestSimulator();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}, 30_000);

afterAll(async () => {
  await sim.close();
});

/** Everything the admin API answered during a test, for the final search for the plain key. */
const adminResponses: string[] = [];

async function adminGet(gateway: GatewayProcess, path: string): Promise<unknown> {
  const response = await request(`${gateway.url}${path}`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  const text = await response.body.text();
  adminResponses.push(text);
  expect(response.statusCode, text).toBe(200);
  return JSON.parse(text) as unknown;
}

/** `spillway keys ...` against a gateway; fails the test on a non-zero exit. */
async function keysCommand(gateway: GatewayProcess, args: readonly string[]): Promise<string> {
  const result = await runSpillway(['keys', ...args, '--url', gateway.url, '--admin-key', adminKey]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

/** Creates a key with the CLI; returns the key (printed once) and its id. */
async function createKey(gateway: GatewayProcess, tenant: string): Promise<{ key: string; id: string }> {
  const output = await keysCommand(gateway, ['create', '--tenant', tenant, '--name', `e2e-${run}`]);
  const key = output.split('\n')[0] ?? '';
  const id = /id: (\S+)/.exec(output)?.[1] ?? '';
  expect(key).toMatch(/^sk-spw-[A-Za-z0-9_-]{43}$/);
  expect(id).toMatch(/^key_/);
  return { key, id };
}

/** Status of one chat request with `key`. */
async function chatStatus(gateway: GatewayProcess, key: string): Promise<number> {
  const response = await request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await response.body.dump();
  return response.statusCode;
}

/** Polls until `key` is refused with 401; returns how long that took (bounded at 2 s). */
async function refusedWithin(gateway: GatewayProcess, key: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    const status = await chatStatus(gateway, key);
    if (status === 401) return Date.now() - started;
    expect(status).toBe(200);
    if (Date.now() - started > 2000) throw new Error('key still accepted 2 s after its revocation');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function configFor(tenant: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...simGatewayConfig(sim.url, {
      server: { admin_key: adminKey },
      models: { gpt: singleDeploymentGroup('gpt', 'openai', simModels.gpt) },
      // The config key makes keys required; the CLI-made keys join this tenant.
      tenants: { [tenant]: { keys: [`sk-config-${tenant}`] } },
    }),
    ...extra,
  };
}

async function started(config: Record<string, unknown>): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess({ config });
  cleanups.push(() => gateway.stop());
  return gateway;
}

/** Reads every admin view a user might open after the key was made. */
async function readAdminViews(gateway: GatewayProcess): Promise<void> {
  for (const path of ['/admin/keys', '/admin/tenants', '/admin/audit', '/admin/spend?group_by=key']) {
    await adminGet(gateway, path);
  }
  await adminGet(gateway, '/admin/spend/records');
}

function expectNowhere(key: string, places: Record<string, string | Buffer>): void {
  for (const [place, content] of Object.entries(places)) {
    const found = typeof content === 'string' ? content.includes(key) : content.includes(Buffer.from(key));
    expect(found, `the plain key appears in ${place}`).toBe(false);
  }
}

describe('virtual keys with the spillway keys CLI', () => {
  it('create, use, list, revoke: refused within a second; the plain key is never seen again', async () => {
    const tenant = `keys-${run}`;
    const gateway = await started(configFor(tenant));
    adminResponses.length = 0;

    const { key, id } = await createKey(gateway, tenant);
    expect(await chatStatus(gateway, key)).toBe(200);

    const listed = await keysCommand(gateway, ['list', '--tenant', tenant]);
    expect(listed).toContain(id);
    expect(listed).toContain(key.slice(0, 12));
    expect(listed).not.toContain(key);
    expect(listed).not.toContain(hashKey(key));

    const revoked = await keysCommand(gateway, ['revoke', id]);
    expect(revoked).toContain(`revoked ${id}`);
    expect(await refusedWithin(gateway, key)).toBeLessThan(2000);
    expect(await chatStatus(gateway, `sk-config-${tenant}`)).toBe(200);

    await readAdminViews(gateway);
    const keys = (await adminGet(gateway, `/admin/keys?tenant=${tenant}`)) as {
      data: { id: string; status: string }[];
    };
    expect(keys.data.find((entry) => entry.id === id)?.status).toBe('revoked');

    // Stored: only the hash; never the key, in the database file or its write-ahead log.
    const database = await readFile(join(gateway.directory, 'spillway.db'));
    const wal = await readFile(join(gateway.directory, 'spillway.db-wal')).catch(() => Buffer.alloc(0));
    expect(Buffer.concat([database, wal]).includes(Buffer.from(hashKey(key)))).toBe(true);
    expectNowhere(key, {
      'spillway.db': database,
      'spillway.db-wal': wal,
      'gateway stdout/stderr': gateway.output(),
      'keys list output': listed,
      'keys revoke output': revoked,
      'admin API responses': adminResponses.join('\n'),
    });
  });

  it('two replicas on one Redis: a key revoked on replica 1 is refused on replica 2 within a second', async () => {
    const tenant = `keys-redis-${run}`;
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const config = configFor(tenant, {
      state: { redis_url: sharedRedisUrl, redis_timeout_ms: 1000 },
      database: { url: database.url },
    });
    const first = await started(config);
    const second = await started(config);
    adminResponses.length = 0;

    const { key, id } = await createKey(first, tenant);
    expect(await chatStatus(first, key)).toBe(200);
    // Replica 2 learns of a new key from the change notice (or its poll): wait for it, bounded.
    const deadline = Date.now() + 10_000;
    while ((await chatStatus(second, key)) !== 200) {
      if (Date.now() > deadline) throw new Error('replica 2 never accepted the new key');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    await keysCommand(first, ['revoke', id]);
    expect(await refusedWithin(second, key)).toBeLessThan(2000);
    expect(await chatStatus(first, key)).toBe(401);

    await readAdminViews(first);
    await readAdminViews(second);
    expectNowhere(key, {
      'replica 1 stdout/stderr': first.output(),
      'replica 2 stdout/stderr': second.output(),
      'admin API responses': adminResponses.join('\n'),
    });
  });
});
