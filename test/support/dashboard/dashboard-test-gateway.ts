import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { configSchema } from '../../../src/config/schema.ts';
import type { Clock } from '../../../src/core/clock.ts';
import { startGateway, type RunningGateway } from '../../../src/main.ts';
import { startSimulator, type RunningSimulator } from '../../../src/simulator/start-simulator.ts';

/** A gateway in this process in front of the simulator, for the dashboard tests. */
export interface DashboardTestGateway {
  readonly gateway: RunningGateway;
  readonly simulator: RunningSimulator;
  readonly adminKey: string;
  /** The config tenant and its key. */
  readonly tenant: { readonly name: string; readonly key: string };
  /** Sends one chat completion with the tenant's key; answers the HTTP status. */
  chat(model: string): Promise<number>;
  close(): Promise<void>;
}

const adminKey = 'dashboard-test-admin-key';
const tenant = { name: 'acme', key: 'sk-acme-dashboard-test-key' } as const;

/**
 * Starts the simulator (no latency unless `latencyScale`) and a gateway (on `clock` if given) on OS-chosen ports with SQLite in a temp dir:
 * groups `sonnet` (Bedrock us-east-1 and eu-west-1), `gpt` (OpenAI-style) and `legacy` (a deployment
 * nobody listens at, so its requests fail fast and its first failure opens its breaker).
 */
export async function startDashboardTestGateway(
  options: { readonly clock?: Clock; readonly latencyScale?: number } = {},
): Promise<DashboardTestGateway> {
  const directory = mkdtempSync(join(tmpdir(), 'spillway-dashboard-'));
  // On the gateway's clock too: Bedrock request signatures are dated and checked against it.
  const simulator = await startSimulator({
    port: 0,
    latencyScale: options.latencyScale ?? 0,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const bedrock = (region: string) => ({
    type: 'bedrock' as const,
    region,
    endpoint: simulator.url,
    account: '111111111111',
    credentials: { access_key_id: 'AKIASIMACCOUNT1EXAMPLE', secret_access_key: 'sim-secret-account-1' },
  });
  const price = { input: 3, output: 15 };
  const config = configSchema.parse({
    server: { admin_key: adminKey, log_level: 'silent', shutdown_grace_ms: 2000 },
    providers: {
      'us-east-1': bedrock('us-east-1'),
      'eu-west-1': bedrock('eu-west-1'),
      openai: { type: 'openai', base_url: `${simulator.url}/v1`, api_key: 'sk-sim-openai' },
      nowhere: { type: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key: 'sk-none', region: 'us-west-2' },
    },
    models: {
      sonnet: {
        description: 'Claude Sonnet on Bedrock, two regions',
        // Round-robin, not weighted: the tests count traffic in both regions, which random picks
        // could leave empty (the history test failed once when seven picks all went to us-east-1).
        strategy: 'round-robin',
        deployments: [
          {
            id: 'sonnet-use1',
            provider: 'us-east-1',
            model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
            price,
          },
          {
            id: 'sonnet-euw1',
            provider: 'eu-west-1',
            model: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
            price,
          },
        ],
      },
      gpt: {
        deployments: [
          { id: 'gpt-openai', provider: 'openai', model: 'gpt-4o-mini', price: { input: 0.15, output: 0.6 } },
        ],
      },
      legacy: {
        deployments: [{ id: 'legacy-down', provider: 'nowhere', model: 'legacy-model' }],
        // One failed request opens its breaker, so the dashboard has an open circuit to show.
        circuit_breaker: { failure_ratio: 0.5, min_requests: 1, window_s: 30, open_s: 60 },
      },
    },
    tenants: { [tenant.name]: { keys: [tenant.key] } },
    router: { retries: 0, backoff: { base_ms: 5, max_ms: 20 } },
    database: { path: join(directory, 'spillway.db') },
  });
  const gateway = await startGateway({
    config,
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    accessLog: false,
    spoolDirectory: join(directory, 'spool'),
  });
  return {
    gateway,
    simulator,
    adminKey,
    tenant,
    async chat(model) {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 20 }),
      });
      await response.arrayBuffer();
      return response.status;
    },
    async close() {
      await gateway.close();
      await simulator.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
