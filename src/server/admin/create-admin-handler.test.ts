import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema } from '../../config/schema.ts';
import { AuditLog } from '../../governance/audit-log.ts';
import {
  openTemporaryRepositories,
  requestFinished,
} from '../../../test/support/governance/governance-test-fixtures.ts';
import { KeyAdministration } from '../../governance/key-administration.ts';
import { KeyRegistry } from '../../governance/key-registry.ts';
import { spendRecordFromEvent } from '../../governance/spend-record-from-event.ts';
import { MemoryStateStore } from '../../state/memory-state-store.ts';
import { FakeClock } from '../../../test/support/fake-clock.ts';
import { createAdminHandler } from './create-admin-handler.ts';

const adminKey = 'admin-secret-key-123';

/**
 * What these tests read of an admin answer. Loose: every other field is kept for expect() to check,
 * and an answer that is not a JSON object fails the parse (and the test).
 */
const adminBodySchema = z.looseObject({
  id: z.string().optional(),
  key: z.string().optional(),
  data: z.array(z.looseObject({})).optional(),
  openapi: z.string().optional(),
  paths: z.record(z.string(), z.unknown()).optional(),
});

describe('admin API over HTTP', () => {
  let fixture: Awaited<ReturnType<typeof openTemporaryRepositories>>;
  let registry: KeyRegistry;
  let store: MemoryStateStore;
  let server: Server;
  let base: string;
  let currentAdminKey: string | undefined;
  const clock = new FakeClock(Date.UTC(2026, 0, 10, 12));

  beforeEach(async () => {
    fixture = await openTemporaryRepositories();
    store = new MemoryStateStore(clock);
    const tenants = configSchema.parse({
      tenants: { acme: { keys: ['config-key-acme-1'], rpm: 3 } },
    }).tenants;
    registry = await KeyRegistry.start({ tenants, repositories: fixture.repositories, store, clock });
    const administration = new KeyAdministration({
      repositories: fixture.repositories,
      registry,
      audit: new AuditLog({ audit: fixture.repositories.audit, clock }),
      configTenantNames: () => Object.keys(tenants),
      clock,
    });
    currentAdminKey = adminKey;
    const handler = createAdminHandler({
      adminKey: () => currentAdminKey,
      administration,
      repositories: fixture.repositories,
      clock,
    });
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      void handler(req, res, url);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    await registry.close();
    await store.close();
    await fixture.dispose();
  });

  const call = async (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    key: string | null = adminKey,
  ) => {
    const response = await request(`${base}${path}`, {
      method,
      headers: {
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.statusCode, body: adminBodySchema.parse(await response.body.json()) };
  };

  it('refuses a missing or wrong admin key with 401, and answers 404 when no admin key is set', async () => {
    expect(await call('GET', '/admin/keys', undefined, null)).toMatchObject({
      status: 401,
      body: { error: { code: 'authentication_failed', type: 'authentication_error' } },
    });
    expect((await call('GET', '/admin/keys', undefined, 'admin-secret-key-124')).status).toBe(401);
    currentAdminKey = undefined;
    expect(await call('GET', '/admin/keys')).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
  });

  it('creates a key shown once, lists it without secrets, authenticates it, revokes and deletes it', async () => {
    const created = await call('POST', '/admin/keys', {
      tenant: 'acme',
      name: 'ci',
      rpm: 2,
      expires_in: '30d',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      tenant: 'acme',
      name: 'ci',
      rpm: 2,
      status: 'active',
      expires_at: new Date(clock.now() + 30 * 86_400_000).toISOString(),
    });
    const key = String(created.body.key);
    expect(registry.authenticate(key).keyId).toBe(created.body.id);

    const listed = await call('GET', '/admin/keys?tenant=acme');
    expect(listed.body.data).toHaveLength(1);
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(key);
    expect(text).not.toContain('hash');

    await clock.advance(1);
    const revoked = await call('POST', `/admin/keys/${String(created.body.id)}/revoke`);
    expect(revoked).toMatchObject({ status: 200, body: { status: 'revoked' } });
    expect(() => registry.authenticate(key)).toThrow('invalid API key');
    await clock.advance(1);
    expect(await call('DELETE', `/admin/keys/${String(created.body.id)}`)).toMatchObject({
      status: 200,
      body: { deleted: true },
    });
    expect((await call('DELETE', `/admin/keys/${String(created.body.id)}`)).status).toBe(404);

    const audit = await call('GET', '/admin/audit?limit=10');
    expect(audit.body.data?.map((record) => record.action)).toEqual([
      'key.deleted',
      'key.revoked',
      'key.created',
    ]);
    expect(JSON.stringify(audit.body)).not.toContain(key);
  });

  it('validates bodies with errors naming the parameter', async () => {
    expect(await call('POST', '/admin/keys', { tenant: 'acme', rpm: -1 })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request', param: 'rpm' } },
    });
    expect(await call('POST', '/admin/keys', { tenant: 'nobody' })).toMatchObject({ status: 404 });
    expect(await call('POST', '/admin/keys', { tenant: 'acme', expires_in: 'soon' })).toMatchObject({
      status: 400,
      body: { error: { param: 'expires_in' } },
    });
    expect(await call('POST', '/admin/tenants', { name: 'bad name' })).toMatchObject({
      status: 400,
      body: { error: { param: 'name' } },
    });
    expect(await call('GET', '/admin/nothing')).toMatchObject({ status: 404 });
  });

  it('answers a malformed %-escape in the path with 400 in its error shape, not 500', async () => {
    for (const path of ['/admin/tenants/%E0%A4%A', '/admin/keys/%zz', '/admin/tenants/a%']) {
      expect(await call('PATCH', path, { rpm: 1 })).toMatchObject({
        status: 400,
        body: { error: { code: 'invalid_request', type: 'invalid_request_error' } },
      });
    }
  });

  it('creates and patches tenants, config and database merged', async () => {
    expect(
      await call('POST', '/admin/tenants', { name: 'beta', rpm: 10, budget: { usd: 5, period: 'day' } }),
    ).toMatchObject({ status: 201, body: { name: 'beta', source: 'database', rpm: 10 } });
    expect((await call('POST', '/admin/tenants', { name: 'acme' })).status).toBe(409);
    expect(await call('PATCH', '/admin/tenants/acme', { tpm: 9000, log_bodies: true })).toMatchObject({
      status: 200,
      body: { name: 'acme', source: 'config+database', rpm: 3, tpm: 9000, log_bodies: true },
    });
    expect((await call('PATCH', '/admin/tenants/ghost', { rpm: 1 })).status).toBe(404);
    const tenants = await call('GET', '/admin/tenants');
    expect(tenants.body.data?.map((tenant) => tenant.name)).toEqual(['acme', 'beta']);
    expect(registry.authenticate('config-key-acme-1').tenantLimits.tpm).toBe(9000);
  });

  it('reports spend sums and raw records over a window', async () => {
    const now = clock.now();
    await fixture.repositories.spend.insertMany([
      spendRecordFromEvent(requestFinished({ requestId: 'r1', startedAt: now - 3_600_000, costUsd: 1.25 })),
      spendRecordFromEvent(
        requestFinished({ requestId: 'r2', startedAt: now - 60_000, tenant: 'beta', costUsd: 2 }),
      ),
      spendRecordFromEvent(
        requestFinished({ requestId: 'r3', startedAt: now - 3 * 86_400_000, costUsd: 100 }),
      ),
    ]);
    const byTenant = await call('GET', '/admin/spend?group_by=tenant&since=24h');
    expect(byTenant.body.data?.map((row) => [row.key, row.cost_usd])).toEqual([
      ['beta', 2],
      ['acme', 1.25],
    ]);
    const byDay = await call('GET', '/admin/spend?group_by=day&tenant=acme');
    expect(byDay.body.data?.map((row) => row.key)).toEqual(['2026-01-07', '2026-01-10']);
    const records = await call(
      'GET',
      `/admin/spend/records?since=${new Date(now - 86_400_000).toISOString()}&limit=10`,
    );
    expect(records.body.data?.map((row) => row.request_id)).toEqual(['r1', 'r2']);
    expect(records.body.data?.[0]).toMatchObject({
      tenant: 'acme',
      deployment: 'sonnet-east',
      cost_usd: 1.25,
      stream: false,
    });
    expect(await call('GET', '/admin/spend?group_by=planet')).toMatchObject({
      status: 400,
      body: { error: { param: 'group_by' } },
    });
    expect(await call('GET', '/admin/spend?since=yesterday-ish')).toMatchObject({
      status: 400,
      body: { error: { param: 'since' } },
    });
  });

  it('serves its OpenAPI description', async () => {
    const doc = await call('GET', '/admin/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths ?? {})).toEqual(
      expect.arrayContaining([
        '/admin/keys',
        '/admin/keys/{id}/revoke',
        '/admin/spend',
        '/admin/spend/records',
        '/admin/audit',
        '/admin/dashboard/summary',
        '/admin/dashboard/history',
      ]),
    );
  });
});
