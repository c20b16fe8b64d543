import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMetricsEndpoint,
  publicMetricsWarning,
  startMetricsListener,
  type MetricsListener,
} from './metrics-endpoint.ts';

let listener: MetricsListener | undefined;

afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

const token = 'metrics-token-unit-0123456789';

async function get(url: string, authorization?: string): Promise<{ status: number; text: string }> {
  const response = await request(url, { headers: authorization === undefined ? {} : { authorization } });
  return { status: response.statusCode, text: await response.body.text() };
}

describe('createMetricsEndpoint', () => {
  it('asks for the token read at scrape time: 401 without or with a wrong one, the exposition with it', async () => {
    let current: string | undefined = token;
    const endpoint = createMetricsEndpoint({
      serve: (_req, res) => {
        res.end('spillway_up 1\n');
        return Promise.resolve();
      },
      token: () => current,
    });
    listener = await startMetricsListener(endpoint, 0, '127.0.0.1');
    const url = `${listener.url}/metrics`;
    expect((await get(url)).status).toBe(401);
    expect((await get(url, 'Bearer wrong-token-0123456789')).status).toBe(401);
    expect((await get(url, `Basic ${token}`)).status).toBe(401);
    expect(await get(url, `Bearer ${token}`)).toEqual({ status: 200, text: 'spillway_up 1\n' });
    expect((await get(`${url}?name[]=spillway_up`, `Bearer ${token}`)).status).toBe(200);
    expect((await get(`${listener.url}/other`, `Bearer ${token}`)).status).toBe(404);
    current = undefined;
    expect((await get(url)).status).toBe(200);
  });

  it('answers 404 when metrics are off', async () => {
    listener = await startMetricsListener(
      createMetricsEndpoint({ serve: undefined, token: () => undefined }),
      0,
      '127.0.0.1',
    );
    expect((await get(`${listener.url}/metrics`)).status).toBe(404);
  });
});

describe('publicMetricsWarning', () => {
  it('warns only when /metrics is on a non-loopback API host without a token', () => {
    expect(publicMetricsWarning(undefined, '0.0.0.0')).toContain('telemetry.metrics_port');
    expect(publicMetricsWarning({ metrics: true }, '10.0.0.5')).toContain('every tenant');
    expect(publicMetricsWarning(undefined, '127.0.0.1')).toBeUndefined();
    expect(publicMetricsWarning(undefined, '::1')).toBeUndefined();
    expect(publicMetricsWarning(undefined, 'localhost')).toBeUndefined();
    expect(publicMetricsWarning({ metrics_token: token }, '0.0.0.0')).toBeUndefined();
    expect(publicMetricsWarning({ metrics: false }, '0.0.0.0')).toBeUndefined();
    // a separate listener: the API port does not serve /metrics
    expect(publicMetricsWarning(undefined, undefined)).toBeUndefined();
  });
});
