import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyMigrations } from './migrations.ts';
import type { KeyRecord, Repositories, SpendRecord } from './repositories.ts';
import type { SqlDriver } from './sql-driver.ts';

/** How a contract run reaches one database. */
export interface RepositoriesFixture {
  /** Opens (and migrates) the database; may be called again to reopen the same database. */
  open(): Promise<Repositories>;
  /** Empties every table. */
  reset(): Promise<void>;
  /** Removes the database after the suite. */
  dispose(): Promise<void>;
  /** A raw driver on the same database, not migrated (to build an older schema). */
  openDriver(): SqlDriver;
}

const day = 86_400_000;
const t0 = Date.UTC(2026, 0, 10, 12);

/** A spend record with defaults (its id is its request id unless given); override what a test is about. */
export function spendRecord(overrides: Partial<SpendRecord> & { requestId: string }): SpendRecord {
  return {
    id: overrides.requestId,
    time: t0,
    tenant: 'acme',
    keyId: 'key_1',
    requestedGroup: 'claude',
    servedGroup: 'claude',
    deployment: 'sonnet-east',
    provider: 'east',
    providerType: 'bedrock',
    region: 'us-east-1',
    account: 'east',
    model: 'us.anthropic.claude-sonnet-4-6',
    dialect: 'openai',
    endpoint: 'chat',
    stream: false,
    status: 200,
    attempts: 1,
    fallbacks: 0,
    inputTokens: 100,
    outputTokens: 50,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0.01,
    latencyMs: 420,
    firstTokenMs: 180,
    overheadMs: 3,
    usageEstimated: false,
    ...overrides,
  };
}

function keyRecord(overrides: Partial<KeyRecord> & { id: string; hash: string }): KeyRecord {
  return { prefix: 'sk-spw-abcd', tenant: 'acme', settings: {}, createdAt: t0, updatedAt: t0, ...overrides };
}

/** The one suite every Repositories implementation passes. */
export function runRepositoriesContract(name: string, fixture: RepositoriesFixture): void {
  describe(`repositories contract: ${name}`, () => {
    let repos: Repositories;
    beforeEach(async () => {
      repos = await fixture.open();
      await fixture.reset();
    });
    afterEach(async () => {
      await repos.close();
    });
    afterAll(async () => {
      await fixture.dispose();
    });

    it('reopening applies no migration twice and keeps the data', async () => {
      await repos.tenants.upsert('acme', { rpm: 5 }, t0);
      const again = await fixture.open();
      try {
        expect((await again.tenants.get('acme'))?.settings).toEqual({ rpm: 5 });
      } finally {
        await again.close();
      }
    });

    it('upserts tenants, keeping createdAt and replacing settings', async () => {
      const created = await repos.tenants.upsert('acme', { rpm: 5, budget: { usd: 10, period: 'day' } }, t0);
      expect(created).toEqual({
        name: 'acme',
        settings: { rpm: 5, budget: { usd: 10, period: 'day' } },
        createdAt: t0,
        updatedAt: t0,
      });
      const updated = await repos.tenants.upsert(
        'acme',
        { tpm: 1000, models: ['claude'], logBodies: true },
        t0 + 5,
      );
      expect(updated).toEqual({
        name: 'acme',
        settings: { tpm: 1000, models: ['claude'], logBodies: true },
        createdAt: t0,
        updatedAt: t0 + 5,
      });
      await repos.tenants.upsert('beta', {}, t0);
      expect((await repos.tenants.list()).map((tenant) => tenant.name)).toEqual(['acme', 'beta']);
      expect(await repos.tenants.get('nobody')).toBeUndefined();
    });

    it('stores keys, rejects a duplicate hash, revokes once and deletes', async () => {
      const key = keyRecord({
        id: 'key_a',
        hash: 'a'.repeat(64),
        name: 'ci',
        expiresAt: t0 + day,
        settings: { rpm: 3, models: ['claude'] },
      });
      await repos.keys.insert(key);
      await repos.keys.insert(keyRecord({ id: 'key_b', hash: 'b'.repeat(64), createdAt: t0 + 1 }));
      await expect(repos.keys.insert(keyRecord({ id: 'key_c', hash: 'a'.repeat(64) }))).rejects.toThrow();
      expect(await repos.keys.get('key_a')).toEqual({ ...key, revokedAt: undefined });
      expect((await repos.keys.list()).map((k) => k.id)).toEqual(['key_a', 'key_b']);

      expect(await repos.keys.revoke('key_a', t0 + 10)).toBe(true);
      expect(await repos.keys.revoke('key_a', t0 + 20)).toBe(true);
      expect((await repos.keys.get('key_a'))?.revokedAt).toBe(t0 + 10);
      expect(await repos.keys.revoke('missing', t0)).toBe(false);

      expect(await repos.keys.delete('key_b')).toBe(true);
      expect(await repos.keys.delete('key_b')).toBe(false);
      expect((await repos.keys.list()).map((k) => k.id)).toEqual(['key_a']);
    });

    it('inserts spend records exactly once per record id and reads them back unchanged', async () => {
      const first = spendRecord({
        requestId: 'req_1',
        stream: true,
        errorCode: undefined,
        costUsd: 0.0123456,
      });
      const failed = spendRecord({
        requestId: 'req_2',
        time: t0 + 1,
        status: 503,
        errorCode: 'no_capacity',
        costUsd: undefined,
        firstTokenMs: undefined,
      });
      expect(await repos.spend.insertMany([first, failed])).toBe(2);
      expect(
        await repos.spend.insertMany([first, failed, spendRecord({ requestId: 'req_3', time: t0 + 2 })]),
      ).toBe(1);
      expect(
        await repos.spend.insertMany([
          spendRecord({ requestId: 'req_4', time: t0 + 3 }),
          spendRecord({ requestId: 'req_4', time: t0 + 3 }),
        ]),
      ).toBe(1);
      const listed = await repos.spend.list({ limit: 10 });
      expect(listed.map((r) => r.requestId)).toEqual(['req_1', 'req_2', 'req_3', 'req_4']);
      expect(listed[0]).toEqual(first);
      expect(listed[1]).toEqual(failed);
    });

    it('keeps every record that shares a client request id, within and across tenants', async () => {
      const shared = Array.from({ length: 20 }, (_, i) =>
        spendRecord({ id: `gw_${i}`, requestId: 'client-id-1', time: t0 + i }),
      );
      const otherTenant = spendRecord({ id: 'gw_beta', requestId: 'client-id-1', tenant: 'beta' });
      expect(await repos.spend.insertMany([...shared, otherTenant])).toBe(21);
      // A replay of the same records (same gateway ids) stores nothing new.
      expect(await repos.spend.insertMany(shared)).toBe(0);
      const listed = await repos.spend.list({ limit: 100 });
      expect(listed).toHaveLength(21);
      expect(new Set(listed.map((r) => r.requestId))).toEqual(new Set(['client-id-1']));
      expect((await repos.spend.list({ tenant: 'beta', limit: 10 })).map((r) => r.id)).toEqual(['gw_beta']);
      const estimated = spendRecord({ id: 'gw_cut', requestId: 'cut', usageEstimated: true });
      await repos.spend.insertMany([estimated]);
      expect((await repos.spend.list({ limit: 100 })).find((r) => r.id === 'gw_cut')).toEqual(estimated);
      // A cache hit: no deployment, cost 0, the stage that answered and what it saved.
      const hit = spendRecord({
        id: 'gw_hit',
        requestId: 'hit',
        costUsd: 0,
        answeredBy: 'cache',
        savedUsd: 0.0042,
        route: 'auto:cheap',
      });
      await repos.spend.insertMany([hit]);
      expect((await repos.spend.list({ limit: 100 })).find((r) => r.id === 'gw_hit')).toEqual(hit);
    });

    it('migrates a database whose records were keyed by the request id, keeping its records', async () => {
      await repos.close();
      const driver = fixture.openDriver();
      try {
        for (const table of ['tenants', 'api_keys', 'spend_records', 'audit_records', 'schema_migrations']) {
          await driver.query(`DROP TABLE IF EXISTS ${table}`);
        }
        expect(await applyMigrations(driver, t0, 1)).toEqual([1]);
        await driver.query(
          `INSERT INTO spend_records (request_id, time_ms, tenant, key_id, requested_group, served_group,
             deployment, provider, provider_type, region, account, model, dialect, endpoint, stream, status,
             error_code, attempts, fallbacks, input_tokens, output_tokens, cache_read_tokens,
             cache_write_tokens, cost_usd, latency_ms, first_token_ms, overhead_ms)
           VALUES ('old-1', ?, 'acme', 'key_1', 'claude', 'claude', 'sonnet-east', 'east', 'bedrock',
             'us-east-1', 'east', 'us.anthropic.claude-sonnet-4-6', 'openai', 'chat', 0, 200, NULL, 1, 0,
             100, 50, 0, 0, 0.01, 420, 180, 3)`,
          [t0],
        );
      } finally {
        await driver.close();
      }
      repos = await fixture.open();
      expect(await repos.spend.list({ limit: 10 })).toEqual([spendRecord({ requestId: 'old-1' })]);
      // The old request id is the old record's id; a new request reusing it is stored beside it.
      expect(await repos.spend.insertMany([spendRecord({ requestId: 'old-1' })])).toBe(0);
      expect(
        await repos.spend.insertMany([spendRecord({ id: 'gw_new', requestId: 'old-1', time: t0 + 1 })]),
      ).toBe(1);
      expect((await repos.spend.list({ limit: 10 })).map((r) => r.id)).toEqual(['old-1', 'gw_new']);
    });

    it('inserts large batches', async () => {
      const records = Array.from({ length: 1200 }, (_, i) =>
        spendRecord({ requestId: `req_${i}`, time: t0 + i }),
      );
      expect(await repos.spend.insertMany(records)).toBe(1200);
      expect(await repos.spend.list({ limit: 5000 })).toHaveLength(1200);
    });

    it('sums spend by every grouping over a window', async () => {
      await repos.spend.insertMany([
        spendRecord({
          requestId: 'r1',
          tenant: 'acme',
          keyId: 'k1',
          costUsd: 1.5,
          inputTokens: 10,
          outputTokens: 1,
        }),
        spendRecord({
          requestId: 'r2',
          tenant: 'acme',
          keyId: 'k2',
          costUsd: 0.5,
          servedGroup: 'haiku',
          deployment: 'haiku-west',
          region: 'us-west-2',
          account: 'acct-2',
          time: t0 + day,
        }),
        spendRecord({
          requestId: 'r3',
          tenant: 'beta',
          keyId: 'k3',
          costUsd: undefined,
          status: 429,
          errorCode: 'rate_limited',
          time: t0 + 2 * day,
        }),
        spendRecord({ requestId: 'r4', tenant: 'beta', keyId: 'k3', costUsd: 4, time: t0 - day }),
      ]);
      const window = { since: t0, until: t0 + 3 * day };
      expect(await repos.spend.sum({ groupBy: 'tenant', ...window })).toEqual([
        {
          key: 'acme',
          requests: 2,
          errors: 0,
          inputTokens: 110,
          outputTokens: 51,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          costUsd: 2,
        },
        {
          key: 'beta',
          requests: 1,
          errors: 1,
          inputTokens: 100,
          outputTokens: 50,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          costUsd: 0,
        },
      ]);
      const keys = await repos.spend.sum({ groupBy: 'key', ...window });
      expect(keys.map((s) => [s.key, s.costUsd])).toEqual([
        ['k1', 1.5],
        ['k2', 0.5],
        ['k3', 0],
      ]);
      expect(
        (await repos.spend.sum({ groupBy: 'group', ...window })).map((s) => [s.key, s.requests]),
      ).toEqual([
        ['claude', 2],
        ['haiku', 1],
      ]);
      expect((await repos.spend.sum({ groupBy: 'deployment', ...window })).map((s) => s.key)).toEqual([
        'sonnet-east',
        'haiku-west',
      ]);
      expect((await repos.spend.sum({ groupBy: 'region', ...window })).map((s) => s.key)).toEqual([
        'us-east-1',
        'us-west-2',
      ]);
      expect((await repos.spend.sum({ groupBy: 'account', ...window })).map((s) => s.key)).toEqual([
        'east',
        'acct-2',
      ]);
      expect((await repos.spend.sum({ groupBy: 'day' })).map((s) => [s.key, s.costUsd])).toEqual([
        ['2026-01-09', 4],
        ['2026-01-10', 1.5],
        ['2026-01-11', 0.5],
        ['2026-01-12', 0],
      ]);
      expect(
        (await repos.spend.sum({ groupBy: 'tenant', tenant: 'beta' })).map((s) => [s.key, s.requests]),
      ).toEqual([['beta', 2]]);
      expect(await repos.spend.sum({ groupBy: 'tenant', since: t0 + 10 * day })).toEqual([]);
    });

    it('lists raw spend records over a window with a limit', async () => {
      await repos.spend.insertMany(
        [0, 1, 2, 3].map((i) =>
          spendRecord({ requestId: `r${i}`, time: t0 + i * 1000, tenant: i === 3 ? 'beta' : 'acme' }),
        ),
      );
      expect(
        (await repos.spend.list({ since: t0 + 1000, until: t0 + 3000, limit: 10 })).map((r) => r.requestId),
      ).toEqual(['r1', 'r2']);
      expect((await repos.spend.list({ limit: 2 })).map((r) => r.requestId)).toEqual(['r0', 'r1']);
      expect((await repos.spend.list({ tenant: 'beta', limit: 10 })).map((r) => r.requestId)).toEqual(['r3']);
    });

    it('stores audit records and lists them newest first, filtered', async () => {
      await repos.audit.insert({
        id: 'a1',
        time: t0,
        actor: 'admin',
        action: 'key.created',
        target: 'key_a',
        details: { tenant: 'acme', name: 'ci' },
      });
      await repos.audit.insert({
        id: 'a2',
        time: t0 + 1,
        actor: 'admin',
        action: 'key.revoked',
        target: 'key_a',
        details: {},
      });
      await repos.audit.insert({
        id: 'a3',
        time: t0 + 2,
        actor: 'system',
        action: 'config.reloaded',
        target: 'spillway.yaml',
        details: { nested: { ok: true } },
      });
      expect((await repos.audit.list({ limit: 10 })).map((r) => r.id)).toEqual(['a3', 'a2', 'a1']);
      expect(await repos.audit.list({ action: 'key.created', limit: 10 })).toEqual([
        {
          id: 'a1',
          time: t0,
          actor: 'admin',
          action: 'key.created',
          target: 'key_a',
          details: { tenant: 'acme', name: 'ci' },
        },
      ]);
      expect((await repos.audit.list({ since: t0 + 1, limit: 1 })).map((r) => r.id)).toEqual(['a3']);
    });
  });
}
