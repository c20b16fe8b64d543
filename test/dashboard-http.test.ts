import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardSummary } from '../src/dashboard/dashboard-summary.ts';
import type { DashboardHistory } from '../src/dashboard/history-view.ts';
import {
  startDashboardTestGateway,
  type DashboardTestGateway,
} from './support/dashboard/dashboard-test-gateway.ts';

// The dashboard as served by a real gateway (in this process): the static page and its assets with
// their content types and ETags, nothing outside them reachable, and the summary endpoint behind the
// admin key with the numbers of the requests actually sent through the simulator.

let world: DashboardTestGateway;

beforeAll(async () => {
  world = await startDashboardTestGateway();
});

afterAll(async () => {
  await world.close();
});

async function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${world.gateway.url}${path}`, { headers, redirect: 'manual' });
}

async function summary(): Promise<DashboardSummary> {
  const response = await get('/admin/dashboard/summary', { authorization: `Bearer ${world.adminKey}` });
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return (await response.json()) as DashboardSummary;
}

describe('static page', () => {
  it('serves the page at /dashboard and /dashboard/ without needing a key', async () => {
    for (const path of ['/dashboard', '/dashboard/', '/dashboard/index.html']) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await response.text();
      expect(html).toContain('<title>Spillway dashboard</title>');
      expect(html).toContain('src="/dashboard/dashboard.js"');
    }
  });

  it('serves assets with their content types, an ETag and 304 on revalidation', async () => {
    const expected: Record<string, string> = {
      '/dashboard/dashboard.js': 'text/javascript; charset=utf-8',
      '/dashboard/render.js': 'text/javascript; charset=utf-8',
      '/dashboard/dashboard.css': 'text/css; charset=utf-8',
      '/dashboard/charts.js': 'text/javascript; charset=utf-8',
      '/dashboard/history-panels.js': 'text/javascript; charset=utf-8',
      '/dashboard/charts.css': 'text/css; charset=utf-8',
      '/dashboard/favicon.svg': 'image/svg+xml',
    };
    for (const [path, type] of Object.entries(expected)) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toBe(type);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      const etag = response.headers.get('etag');
      expect(etag).toMatch(/^"[\w-]+"$/);
      expect(Number(response.headers.get('content-length'))).toBe((await response.arrayBuffer()).byteLength);
      const again = await get(path, { 'if-none-match': etag! });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
    }
    const head = await fetch(`${world.gateway.url}/dashboard/dashboard.css`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const post = await fetch(`${world.gateway.url}/dashboard/dashboard.css`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('answers 404 to traversal attempts and unknown files', async () => {
    const attempts = [
      '/dashboard/../package.json',
      '/dashboard/%2e%2e/package.json',
      '/dashboard/..%2fpackage.json',
      '/dashboard/%2e%2e%2f%2e%2e%2fpackage.json',
      '/dashboard/..%5c..%5cpackage.json',
      '/dashboard/static/index.html',
      '/dashboard//etc/passwd',
      '/dashboard/dashboard-routes.ts',
      '/dashboard/nope.js',
      '/dashboardx',
    ];
    for (const path of attempts) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).not.toContain('"name": "spillway"');
    }
  });
});

describe('GET /admin/dashboard/summary', () => {
  it('needs the admin key', async () => {
    expect((await get('/admin/dashboard/summary')).status).toBe(401);
    expect((await get('/admin/dashboard/summary', { authorization: 'Bearer wrong-key-123' })).status).toBe(
      401,
    );
    const tenantKey = await get('/admin/dashboard/summary', { authorization: `Bearer ${world.tenant.key}` });
    expect(tenantKey.status).toBe(401);
    expect(JSON.stringify(await tenantKey.json())).not.toContain('requests_total');
  });

  it('reports the requests sent, per group, and every deployment with its breaker state and region', async () => {
    const first = await summary();
    expect(first.deployments.map((deployment) => deployment.id).sort()).toEqual([
      'gpt-openai',
      'legacy-down',
      'sonnet-euw1',
      'sonnet-use1',
    ]);
    const before = new Map(first.groups.map((group) => [group.name, group.requests_total]));

    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await world.chat('sonnet'));
    for (let i = 0; i < 2; i++) statuses.push(await world.chat('gpt'));
    statuses.push(await world.chat('legacy'));
    expect(statuses.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(statuses[6]).toBe(502);

    // Rates need a sample at least a second old: ask until the summary has one (bounded by the poll).
    let second = await summary();
    await expect
      .poll(
        async () => {
          second = await summary();
          return second.window_seconds;
        },
        { timeout: 5000, interval: 250 },
      )
      .toBeGreaterThanOrEqual(1);
    const groups = new Map(second.groups.map((group) => [group.name, group]));
    expect([...groups.keys()].sort()).toEqual(['gpt', 'legacy', 'sonnet']);
    const sonnet = groups.get('sonnet')!;
    expect(sonnet.requests_total - (before.get('sonnet') ?? 0)).toBe(4);
    expect(sonnet.errors_total).toBe(0);
    expect(sonnet.error_ratio).toBe(0);
    expect(sonnet.requests_per_second).toBeGreaterThan(0);
    expect(sonnet.ttft_p50_ms).toBeGreaterThan(0);
    expect(sonnet.ttft_p95_ms).toBeGreaterThanOrEqual(sonnet.ttft_p50_ms!);
    expect(sonnet.ttft_scope).toBe('window');
    expect(sonnet.description).toBe('Claude Sonnet on Bedrock, two regions');
    expect(groups.get('gpt')!.requests_total - (before.get('gpt') ?? 0)).toBe(2);
    const legacy = groups.get('legacy')!;
    expect(legacy.errors_total).toBe(1);
    expect(legacy.error_ratio).toBe(1);
    expect(legacy.ttft_p50_ms).toBeNull();
    expect(second.totals.requests_total).toBe(
      second.groups.reduce((sum, group) => sum + group.requests_total, 0),
    );
    expect(second.totals.errors_total).toBe(1);
    expect(second.totals.in_flight).toBe(0);

    const deployments = new Map(second.deployments.map((deployment) => [deployment.id, deployment]));
    const use1 = deployments.get('sonnet-use1')!;
    const euw1 = deployments.get('sonnet-euw1')!;
    expect(use1).toMatchObject({
      group: 'sonnet',
      region: 'us-east-1',
      account: '111111111111',
      circuit: 'closed',
    });
    expect(euw1.region).toBe('eu-west-1');
    expect(use1.attempts.success + euw1.attempts.success).toBe(4);
    expect(deployments.get('gpt-openai')!.attempts).toEqual({ success: 2, error: 0 });
    const down = deployments.get('legacy-down')!;
    expect(down.region).toBe('us-west-2');
    expect(down.attempts.success).toBe(0);
    // Its one request failed (connection refused) and, with min_requests 1, opened its breaker; a
    // refused connection is not a 429, so it did not cool the deployment down.
    expect(down.attempts.error).toBe(1);
    expect(down.circuit).toBe('open');
    expect(down.cooldowns_total).toBe(0);
  });

  it('is not confused with other admin routes', async () => {
    const other = await get('/admin/dashboard/summaryx', { authorization: `Bearer ${world.adminKey}` });
    expect(other.status).toBe(404);
    const keys = await get('/admin/keys', { authorization: `Bearer ${world.adminKey}` });
    expect(keys.status).toBe(200);
  });
});

describe('GET /admin/dashboard/history', () => {
  const history = async (range: string): Promise<DashboardHistory> => {
    const response = await get(`/admin/dashboard/history?range=${range}`, {
      authorization: `Bearer ${world.adminKey}`,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    return (await response.json()) as DashboardHistory;
  };
  const sum = (values: readonly number[] | undefined): number =>
    (values ?? []).reduce((total, value) => total + value, 0);

  it('needs the admin key and one of the ranges it offers', async () => {
    expect((await get('/admin/dashboard/history')).status).toBe(401);
    const tenantKey = await get('/admin/dashboard/history', { authorization: `Bearer ${world.tenant.key}` });
    expect(tenantKey.status).toBe(401);
    const bad = await get('/admin/dashboard/history?range=2d', { authorization: `Bearer ${world.adminKey}` });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { param: 'range', code: 'invalid_request', message: expect.stringContaining('15m, 1h, 6h') },
    });
    const other = await get('/admin/dashboard/historyx', { authorization: `Bearer ${world.adminKey}` });
    expect(other.status).toBe(404);
  });

  it('counts the requests sent, per group, deployment, region and account, with first-token times', async () => {
    const before = await history('15m');
    expect(before.interval_seconds).toBe(10);
    expect(before.buckets).toHaveLength(90);
    for (let i = 0; i < 3; i++) expect(await world.chat('sonnet')).toBe(200);
    expect(await world.chat('gpt')).toBe(200);
    // The earlier test opened legacy's breaker: its request is refused (503) without an attempt.
    expect(await world.chat('legacy')).toBe(503);
    const after = await history('15m');
    expect(sum(after.requests.total) - sum(before.requests.total)).toBe(5);
    expect(sum(after.requests.by_group.sonnet) - sum(before.requests.by_group.sonnet)).toBe(3);
    expect(sum(after.errors.total) - sum(before.errors.total)).toBe(1);
    expect(sum(after.errors.by_group.legacy) - sum(before.errors.by_group.legacy)).toBe(1);
    expect(sum(after.attempts.failed_by_deployment['legacy-down'])).toBeGreaterThanOrEqual(1);
    expect(Object.keys(after.attempts.by_region)).toEqual(
      expect.arrayContaining(['us-east-1', 'eu-west-1', 'us-west-2']),
    );
    expect(Object.keys(after.attempts.by_account)).toContain('111111111111');
    expect(after.ttft_ms.by_group.sonnet?.p50.some((value) => value !== null)).toBe(true);
    expect(sum(after.spend_usd.by_group.sonnet)).toBeGreaterThan(sum(before.spend_usd.by_group.sonnet));
    const legacy = after.deployments.find((lane) => lane.id === 'legacy-down');
    expect(legacy?.state_now).toBe('open');
    expect(legacy?.states.at(-1)).toMatchObject({ state: 'open', to: null });
    const sixHours = await history('6h');
    expect(sixHours.interval_seconds).toBe(60);
    expect(sixHours.buckets).toHaveLength(360);
    expect(sum(sixHours.requests.total)).toBe(sum(after.requests.total));
  });
});
