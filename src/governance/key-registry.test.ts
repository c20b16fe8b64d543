import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Repositories } from '../persistence/repositories.ts';
import { SqliteDriver } from '../persistence/sqlite-driver.ts';
import { MemoryStateStore } from '../state/memory-state-store.ts';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { AuditLog } from './audit-log.ts';
import { openTemporaryRepositories } from '../../test/support/governance/governance-test-fixtures.ts';
import { KeyAdministration } from './key-administration.ts';
import { KeyRegistry } from './key-registry.ts';

const tenants = configSchema.parse({
  tenants: {
    acme: {
      keys: ['config-key-acme-1'],
      rpm: 3,
      budget: { usd: 5, period: 'day' },
      models: ['claude', 'gpt'],
      model_limits: { claude: { rpm: 2, max_concurrency: 4 } },
    },
  },
}).tenants;

function authError(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected authenticate to throw');
}

describe('KeyRegistry', () => {
  let clock: FakeClock;
  let store: MemoryStateStore;
  let fixture: Awaited<ReturnType<typeof openTemporaryRepositories>>;
  let repositories: Repositories;
  const registries: KeyRegistry[] = [];
  const start = async (
    overrides: Partial<Parameters<typeof KeyRegistry.start>[0]> = {},
  ): Promise<KeyRegistry> => {
    const registry = await KeyRegistry.start({
      tenants,
      repositories,
      store,
      clock,
      refreshIntervalMs: 60_000,
      ...overrides,
    });
    registries.push(registry);
    return registry;
  };
  const administration = (registry: KeyRegistry): KeyAdministration =>
    new KeyAdministration({
      repositories,
      registry,
      audit: new AuditLog({ audit: repositories.audit, clock }),
      configTenantNames: () => Object.keys(tenants),
      clock,
    });

  beforeEach(async () => {
    clock = new FakeClock(Date.UTC(2026, 0, 10));
    store = new MemoryStateStore(clock);
    fixture = await openTemporaryRepositories();
    repositories = fixture.repositories;
  });
  afterEach(async () => {
    for (const registry of registries.splice(0)) await registry.close();
    await store.close();
    await fixture.dispose();
  });

  it('authenticates a config key to its tenant principal', async () => {
    const registry = await start();
    const principal = registry.authenticate('config-key-acme-1');
    expect(principal).toMatchObject({
      tenant: 'acme',
      tenantLimits: { rpm: 3 },
      tenantBudget: { usd: 5, period: 'day' },
      allowedModels: ['claude', 'gpt'],
      logBodies: false,
    });
    expect(principal.keyId).toMatch(/^cfg_acme_[0-9a-f]{8}$/);
    expect(registry.authenticate('Bearer config-key-acme-1').keyId).toBe(principal.keyId);
  });

  it('rejects missing, unknown, expired and revoked keys with 401 and messages that do not say which', async () => {
    const registry = await start();
    const admin = administration(registry);
    const expiring = await admin.createKey(
      { tenant: 'acme', expiresAt: clock.now() + 60_000, settings: {} },
      'admin',
    );
    const revoked = await admin.createKey({ tenant: 'acme', settings: {} }, 'admin');
    await admin.revokeKey(revoked.view.id, 'admin');
    expect(registry.authenticate(expiring.key).keyId).toBe(expiring.view.id);
    await clock.advance(60_000);

    const missing = authError(() => registry.authenticate(undefined));
    expect(missing.status).toBe(401);
    expect(missing.code).toBe('authentication_failed');
    const messages = [`sk-spw-${'x'.repeat(43)}`, expiring.key, revoked.key].map((key) =>
      authError(() => registry.authenticate(key)),
    );
    for (const error of messages) {
      expect(error.status).toBe(401);
      expect(error.message).toBe('invalid API key');
    }
  });

  it('stores only the hash of a created key: the plain key is in no database row', async () => {
    const registry = await start();
    const created = await administration(registry).createKey(
      { tenant: 'acme', name: 'ci', settings: { rpm: 2, models: ['claude'] } },
      'admin',
    );
    expect(created.key).toMatch(/^sk-spw-[A-Za-z0-9_-]{43}$/);
    expect(registry.authenticate(created.key)).toMatchObject({
      tenant: 'acme',
      keyId: created.view.id,
      keyName: 'ci',
      keyLimits: { rpm: 2 },
      allowedModels: ['claude'],
    });

    const driver = new SqliteDriver(fixture.path);
    try {
      const dump: unknown[] = [];
      for (const table of ['api_keys', 'audit_records', 'tenants', 'spend_records'])
        dump.push((await driver.query(`SELECT * FROM ${table}`)).rows);
      const text = JSON.stringify(dump);
      expect(text).toContain(created.view.id);
      expect(text).not.toContain(created.key);
      expect(text).not.toContain(created.key.slice(12));
    } finally {
      await driver.close();
    }
  });

  it('propagates a revocation to another replica through the state store at once', async () => {
    const first = await start();
    const second = await start();
    const created = await administration(first).createKey({ tenant: 'acme', settings: {} }, 'admin');
    // The second replica learns of the new key through the change notice.
    await expect.poll(() => second.authenticate(created.key).keyId).toBe(created.view.id);
    await administration(first).revokeKey(created.view.id, 'admin');
    expect(() => second.authenticate(created.key)).toThrow('invalid API key');
    expect(() => first.authenticate(created.key)).toThrow('invalid API key');
  });

  it('applies database tenants over config tenants without restart', async () => {
    const registry = await start();
    const admin = administration(registry);
    await admin.updateTenant('acme', { rpm: 50, logBodies: true }, 'admin');
    expect(registry.authenticate('config-key-acme-1')).toMatchObject({
      tenantLimits: { rpm: 50 },
      logBodies: true,
      allowedModels: ['claude', 'gpt'],
    });
    await admin.createTenant('beta', { models: ['gpt'] }, 'admin');
    const key = await admin.createKey({ tenant: 'beta', settings: { models: ['gpt', 'claude'] } }, 'admin');
    expect(registry.authenticate(key.key).allowedModels).toEqual(['gpt']);
    await expect(admin.createTenant('acme', {}, 'admin')).rejects.toMatchObject({ status: 409 });
    await expect(admin.createKey({ tenant: 'nobody', settings: {} }, 'admin')).rejects.toMatchObject({
      status: 404,
    });
  });

  it('resolves per-model limits from the config, overridden by the database (stored and read back)', async () => {
    const registry = await start();
    expect(registry.authenticate('config-key-acme-1').modelLimits).toEqual({
      claude: { rpm: 2, tpm: undefined, maxConcurrency: 4 },
    });
    await administration(registry).updateTenant('acme', { modelLimits: { gpt: { tpm: 900 } } }, 'admin');
    expect(registry.authenticate('config-key-acme-1').modelLimits).toEqual({ gpt: { tpm: 900 } });
    expect((await repositories.tenants.get('acme'))?.settings.modelLimits).toEqual({ gpt: { tpm: 900 } });
  });

  it('allows anonymous use only when nothing is configured, or when allow_anonymous is true', async () => {
    const open = await start({ tenants: {} });
    expect(open.authenticate(undefined)).toMatchObject({ tenant: 'anonymous', keyId: 'anonymous' });
    expect(open.authenticate('sk-whatever-the-sdk-sends').tenant).toBe('anonymous');

    const closed = await start({ tenants: {}, allowAnonymous: false });
    expect(() => closed.authenticate(undefined)).toThrow(GatewayError);

    const mixed = await start({ allowAnonymous: true });
    expect(mixed.authenticate(undefined).tenant).toBe('anonymous');
    expect(() => mixed.authenticate('wrong-key-value')).toThrow('invalid API key');
    const strict = await start();
    expect(() => strict.authenticate(undefined)).toThrow('missing API key');
  });
});
