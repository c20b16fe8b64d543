import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './load-config.ts';
import { planReload } from './plan-reload.ts';

const base = `
server: { port: 4000, admin_key: admin-key-0001 }
providers:
  openai: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: sk-x }
models:
  gpt:
    deployments: [{ id: gpt, provider: openai, model: gpt-4o-mini }]
tenants:
  team: { keys: [sk-team-key-0001] }
state: { redis_url: "redis://127.0.0.1:6379" }
database: { path: ./a.db }
`;
const current = parseConfig(base, 'test', {});
const keysRequired = { before: true, after: true };

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((problem) => problem.path);
    throw error;
  }
  return [];
}

describe('planReload', () => {
  it('rejects an empty file: no model groups, and keys would stop being required', () => {
    const empty = parseConfig('', 'test', {});
    expect(problemsOf(() => planReload(current, empty, { before: true, after: false }))).toEqual([
      'models',
      'tenants',
    ]);
  });

  it('accepts dropping keys only with server.allow_anonymous: true in the new file', () => {
    const open = parseConfig(base.replace(/tenants:\n.*\n/, ''), 'test', {});
    expect(problemsOf(() => planReload(current, open, { before: true, after: false }))).toEqual(['tenants']);
    const explicit = parseConfig(
      base
        .replace(/tenants:\n.*\n/, '')
        .replace('admin_key: admin-key-0001', 'admin_key: admin-key-0001, allow_anonymous: true'),
      'test',
      {},
    );
    expect(planReload(current, explicit, { before: true, after: false }).notApplied).toEqual([]);
  });

  it('keeps restart-only values, names them, and applies the rest', () => {
    const next = parseConfig(
      base
        .replace('port: 4000', 'port: 4100')
        .replace('6379', '6380')
        .replace('./a.db', './b.db')
        .replace('tenants:', 'telemetry: { metrics_port: 9464 }\ntenants:')
        .replace('team: {', 'other: { keys: [sk-other-key-0001] }\n  team: {'),
      'test',
      {},
    );
    const plan = planReload(current, next, keysRequired);
    expect(plan.notApplied).toEqual([
      'server.port',
      'state.redis_url',
      'database.path',
      'telemetry.metrics_port',
    ]);
    expect(plan.config.server.port).toBe(4000);
    expect(plan.config.state?.redis_url).toBe('redis://127.0.0.1:6379');
    expect(plan.config.database?.path).toBe('./a.db');
    expect(plan.config.telemetry?.metrics_port).toBeUndefined();
    expect(Object.keys(plan.config.tenants)).toEqual(['other', 'team']);
  });
});
