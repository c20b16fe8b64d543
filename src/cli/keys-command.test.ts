import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../config/schema.ts';
import { AuditLog } from '../governance/audit-log.ts';
import {
  openTemporaryRepositories,
  requestFinished,
} from '../../test/support/governance/governance-test-fixtures.ts';
import { KeyAdministration } from '../governance/key-administration.ts';
import { KeyRegistry } from '../governance/key-registry.ts';
import { spendRecordFromEvent } from '../governance/spend-record-from-event.ts';
import { createAdminHandler } from '../server/admin/create-admin-handler.ts';
import { MemoryStateStore } from '../state/memory-state-store.ts';
import { registerKeysCommand } from './keys-command.ts';
import { registerSpendCommand } from './spend-command.ts';

describe('spillway keys and spend commands', () => {
  const store = new MemoryStateStore();
  const server = createServer();
  let fixture: Awaited<ReturnType<typeof openTemporaryRepositories>>;
  let registry: KeyRegistry;
  let url: string;

  beforeAll(async () => {
    fixture = await openTemporaryRepositories();
    const tenants = configSchema.parse({ tenants: { acme: { keys: ['config-key-acme-1'] } } }).tenants;
    registry = await KeyRegistry.start({ tenants, repositories: fixture.repositories, store });
    const administration = new KeyAdministration({
      repositories: fixture.repositories,
      registry,
      audit: new AuditLog({ audit: fixture.repositories.audit }),
      configTenantNames: () => ['acme'],
    });
    const handler = createAdminHandler({
      adminKey: () => 'admin-key-for-cli',
      administration,
      repositories: fixture.repositories,
    });
    server.on('request', (req, res) => void handler(req, res, new URL(req.url ?? '/', 'http://localhost')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await registry.close();
    await store.close();
    await fixture.dispose();
  });

  const run = async (
    ...args: string[]
  ): Promise<{ out: string; err: string; exitCode: number | undefined }> => {
    const program = new Command().exitOverride();
    registerKeysCommand(program);
    registerSpendCommand(program);
    let out = '';
    let err = '';
    const stdout = vi
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk) => ((out += String(chunk)), true));
    const stderr = vi
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk) => ((err += String(chunk)), true));
    process.exitCode = undefined;
    try {
      await program.parseAsync(['node', 'spillway', ...args]);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    const exitCode = typeof process.exitCode === 'number' ? process.exitCode : undefined;
    process.exitCode = undefined;
    return { out, err, exitCode };
  };

  it('creates, lists and revokes a key', async () => {
    const created = await run(
      'keys',
      'create',
      '--tenant',
      'acme',
      '--name',
      'ci',
      '--rpm',
      '5',
      '--expires-in',
      '30d',
      '--url',
      url,
      '--admin-key',
      'admin-key-for-cli',
    );
    const key = /^(sk-spw-\S+)$/m.exec(created.out)?.[1];
    expect(key).toBeDefined();
    const id = /id: (\S+)/.exec(created.out)?.[1] ?? '';
    expect(registry.authenticate(key).keyId).toBe(id);

    const listed = await run(
      'keys',
      'list',
      '--tenant',
      'acme',
      '--url',
      url,
      '--admin-key',
      'admin-key-for-cli',
    );
    expect(listed.out).toMatch(new RegExp(`${id}\\s+sk-spw-\\S+…\\s+acme\\s+ci\\s+active`));
    expect(listed.out).not.toContain(key);

    expect((await run('keys', 'revoke', id, '--url', url, '--admin-key', 'admin-key-for-cli')).out).toContain(
      `revoked ${id}`,
    );
    expect(() => registry.authenticate(key)).toThrow('invalid API key');
  });

  it('prints spend as a table and reports API errors on one line', async () => {
    await fixture.repositories.spend.insertMany([
      spendRecordFromEvent(requestFinished({ requestId: 'c1', startedAt: Date.now() - 1000, costUsd: 0.5 })),
      spendRecordFromEvent(
        requestFinished({
          requestId: 'c2',
          startedAt: Date.now() - 1000,

          target: undefined,
          costUsd: 0.25,
        }),
      ),
    ]);
    const result = await run(
      'spend',
      '--by',
      'tenant',
      '--since',
      '1h',
      '--url',
      url,
      '--admin-key',
      'admin-key-for-cli',
    );
    expect(result.out).toMatch(/TENANT\s+REQUESTS/);
    expect(result.out).toMatch(/acme\s+2\s+0\s+20\s+10\s+\$0\.7500/);
    await fixture.repositories.spend.insertMany([
      spendRecordFromEvent(
        requestFinished({
          requestId: 'c3',
          startedAt: Date.now() - 1000,
          keyId: 'key_tiny',
          costUsd: 0.000034,
        }),
      ),
    ]);
    const byKey = await run('spend', '--by', 'key', '--url', url, '--admin-key', 'admin-key-for-cli');
    expect(byKey.out).toMatch(/key_tiny\s+1\s+0\s+10\s+5\s+<\$0\.0001/);
    const denied = await run('keys', 'list', '--url', url, '--admin-key', 'wrong-admin-key');
    expect(denied.err).toContain('invalid or missing admin key (HTTP 401)');
    expect(denied.exitCode).toBe(1);
  });
});
