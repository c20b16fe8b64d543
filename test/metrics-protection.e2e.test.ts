import { NotFoundError } from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../src/simulator/start-simulator.ts';
import { findSamples, parsePrometheusText, sumSamples } from './support/telemetry/prometheus-text.ts';
import type { GatewayConfigInput } from './support/gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { openaiClient, sendChat } from './support/observability/chat-traffic.ts';

/**
 * Issue 12, items 3 and 4, through a real `spillway serve`: /metrics on its own listener
 * (`telemetry.metrics_port`) and not on the API port, behind a bearer token (`telemetry.metrics_token`,
 * from the environment, applied again on reload), without tenant labels (`telemetry.tenant_labels:
 * false`); client-chosen model names never become label values; the listener stops with SIGTERM.
 */

const tenant = { name: 'metrics-tenant', key: 'sk-metrics-protection-tenant-01' };
const group = 'mini';
const firstToken = 'metrics-token-first-0123456789';
const secondToken = 'metrics-token-second-0123456789';

function config(token: string): GatewayConfigInput {
  return {
    database: { path: ':memory:' },
    server: { log_level: 'info' },
    providers: {
      sim: { type: 'openai', base_url: '${SPILLWAY_SIM_URL}/v1', api_key: 'sk-sim-openai' },
    },
    tenants: { [tenant.name]: { keys: [tenant.key] } },
    models: {
      [group]: {
        deployments: [
          { id: 'mini-sim', provider: 'sim', model: 'gpt-4o-mini', price: { input: 1, output: 2 } },
        ],
      },
    },
    telemetry: { metrics_port: 0, metrics_token: token, tenant_labels: false },
  };
}

let simulator: RunningSimulator;
let gateway: GatewayProcess;
let metricsUrl: string;
const cleanups: (() => Promise<unknown>)[] = [];

interface Scrape {
  readonly status: number;
  readonly text: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

async function scrape(url: string, token?: string): Promise<Scrape> {
  const response = await request(url, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: response.statusCode, text: await response.body.text(), headers: response.headers };
}

/** Spillway's series in the exposition: one sample line each (histogram buckets count one each). */
function spillwaySeries(text: string): number {
  return text.split('\n').filter((line) => line.startsWith('spillway_')).length;
}

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, latencyScale: 0 });
  cleanups.push(() => simulator.close());
  gateway = await startGatewayProcess({
    // The token comes from the environment, as an operator would pass it.
    config: config('${SPILLWAY_METRICS_TOKEN}'),
    env: { SPILLWAY_SIM_URL: simulator.url, SPILLWAY_METRICS_TOKEN: firstToken },
  });
  cleanups.push(() => gateway.stop());
  const listening = await gateway.waitForLog((line) => line['msg'] === 'listening');
  metricsUrl = String(listening['metricsUrl']);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('/metrics protection and bounded labels (real gateway process)', () => {
  it('serves /metrics on telemetry.metrics_port and not on the API port', async () => {
    expect(new URL(metricsUrl).port).not.toBe(String(gateway.port));
    expect(new URL(metricsUrl).pathname).toBe('/metrics');
    expect((await scrape(`${gateway.url}/metrics`, firstToken)).status).toBe(404);
    expect((await scrape(`${gateway.url}/metrics`)).status).toBe(404);
    expect((await scrape(metricsUrl, firstToken)).status).toBe(200);
    expect((await scrape(new URL('/v1/models', metricsUrl).href, firstToken)).status).toBe(404);
  });

  it('answers 401 without the bearer token or with a wrong one, 200 with it', async () => {
    const missing = await scrape(metricsUrl);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toContain('Bearer');
    expect(missing.text).not.toContain('spillway_');
    expect((await scrape(metricsUrl, 'metrics-token-wrong-0123456789')).status).toBe(401);
    const allowed = await scrape(metricsUrl, firstToken);
    expect(allowed.status).toBe(200);
    expect(allowed.text).toContain('spillway_requests_total');
  });

  it('leaves tenant labels out: no series names the tenant, cost and tokens are still counted', async () => {
    const outcome = await sendChat(openaiClient(gateway.url, tenant.key), 'tenant', group);
    expect(outcome.status).toBe(200);
    const { text } = await scrape(metricsUrl, firstToken);
    expect(text).not.toContain('tenant=');
    expect(text).not.toContain(tenant.name);
    const families = parsePrometheusText(text);
    expect(sumSamples(families, 'spillway_requests_total', { group, outcome: 'success' })).toBe(1);
    expect(
      sumSamples(families, 'spillway_cost_usd_total', { group, deployment: 'mini-sim' }),
    ).toBeGreaterThan(0);
    expect(sumSamples(families, 'spillway_input_tokens_total', { group })).toBeGreaterThan(0);
  });

  it('puts 200 distinct unknown model names under one `unknown` group: the series count does not grow', async () => {
    const client = openaiClient(gateway.url, tenant.key);
    const ask = async (model: string): Promise<void> => {
      const error: unknown = await client.chat.completions
        .create({ model, messages: [{ role: 'user', content: 'hi' }] })
        .catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(NotFoundError);
    };
    await ask('made-up-model-0');
    const before = (await scrape(metricsUrl, firstToken)).text;
    for (let index = 1; index < 200; index += 1) await ask(`made-up-model-${index}`);
    const after = (await scrape(metricsUrl, firstToken)).text;
    expect(after).not.toContain('made-up-model');
    // Process metrics (GC kinds, heap spaces) may add series between two scrapes; Spillway's may not.
    expect(spillwaySeries(after)).toBe(spillwaySeries(before));
    const families = parsePrometheusText(after);
    expect(
      sumSamples(families, 'spillway_requests_total', {
        group: 'unknown',
        status_class: '4xx',
        outcome: 'error',
      }),
    ).toBe(200);
    expect(
      findSamples(families, 'spillway_request_errors_total', {
        group: 'unknown',
        error_code: 'unknown_model',
      }),
    ).toHaveLength(1);
  });

  it('applies a new metrics_token on reload', async () => {
    const since = gateway.logLines().length;
    await gateway.writeConfig(config(secondToken));
    await gateway.waitForLog((line) => line['msg'] === 'configuration reloaded', { since });
    expect((await scrape(metricsUrl, firstToken)).status).toBe(401);
    expect((await scrape(metricsUrl, secondToken)).status).toBe(200);
  });

  it('stops the metrics listener with the gateway on SIGTERM', async () => {
    const exit = await gateway.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    await expect(request(metricsUrl)).rejects.toThrow(/ECONNREFUSED/);
  });
});
