import type { z } from 'zod';
import type { configSchema } from '../../src/config/schema.ts';

/** A gateway configuration as written in the YAML file (defaults not applied). */
export type GatewayConfigInput = z.input<typeof configSchema>;
type ProviderInput = NonNullable<GatewayConfigInput['providers']>[string];
type ModelGroupInput = NonNullable<GatewayConfigInput['models']>[string];

/** The two accounts of the simulator's default world (src/simulator/default-sim-world.ts). */
export const simAccounts = {
  1: { id: '111111111111', accessKeyId: 'AKIASIMACCOUNT1EXAMPLE', secret: 'sim-secret-account-1' },
  2: { id: '222222222222', accessKeyId: 'AKIASIMACCOUNT2EXAMPLE', secret: 'sim-secret-account-2' },
} as const;

/** Model ids of the simulator's default world. */
export const simModels = {
  sonnetUsProfile: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  sonnetEuProfile: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
  haikuUsProfile: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
  novaPro: 'amazon.nova-pro-v1:0',
  novaLite: 'amazon.nova-lite-v1:0',
  llama: 'meta.llama3-3-70b-instruct-v1:0',
  titanEmbed: 'amazon.titan-embed-text-v2:0',
  gpt: 'gpt-4o-mini',
  openaiEmbed: 'text-embedding-3-small',
  claudeDirect: 'claude-sonnet-4-6',
} as const;

/** A Bedrock provider at the simulator, for one region and account of the default world. */
export function simBedrockProvider(
  simUrl: string,
  region: string,
  account: 1 | 2 = 1,
  secret: string = simAccounts[account].secret,
): ProviderInput {
  return {
    type: 'bedrock',
    region,
    endpoint: simUrl,
    account: simAccounts[account].id,
    credentials: { access_key_id: simAccounts[account].accessKeyId, secret_access_key: secret },
  };
}

/**
 * Providers for every region of both default-world accounts (`a1-us-east-1`, `a2-eu-west-1`, ...),
 * plus `openai` (OpenAI-style) and `anthropic` (Anthropic-style) at the simulator.
 */
export function simProviders(simUrl: string): Record<string, ProviderInput> {
  const providers: Record<string, ProviderInput> = {
    openai: { type: 'openai', base_url: `${simUrl}/v1`, api_key: 'sk-sim-openai' },
    anthropic: { type: 'anthropic', base_url: simUrl, api_key: 'sk-ant-sim' },
  };
  for (const region of ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1']) {
    providers[`a1-${region}`] = simBedrockProvider(simUrl, region, 1);
    providers[`a2-${region}`] = simBedrockProvider(simUrl, region, 2);
  }
  return providers;
}

/** A model group of one deployment (id = group name) on `provider`. */
export function singleDeploymentGroup(name: string, provider: string, model: string): ModelGroupInput {
  return { deployments: [{ id: name, provider, model }] };
}

export interface SimGatewayConfigOptions {
  readonly models: Record<string, ModelGroupInput>;
  /** Extra or replacement providers (merged over `simProviders`). */
  readonly providers?: Record<string, ProviderInput>;
  readonly router?: GatewayConfigInput['router'];
  readonly server?: GatewayConfigInput['server'];
  readonly tenants?: GatewayConfigInput['tenants'];
}

/**
 * A gateway config in front of the simulator at `simUrl`: every default-world provider, the given
 * groups, short backoffs so retries do not slow the tests, info logs (the `listening` line).
 */
export function simGatewayConfig(simUrl: string, options: SimGatewayConfigOptions): GatewayConfigInput {
  return {
    server: { log_level: 'info', shutdown_grace_ms: 10_000, ...options.server },
    providers: { ...simProviders(simUrl), ...options.providers },
    models: options.models,
    ...(options.tenants === undefined ? {} : { tenants: options.tenants }),
    router: { backoff: { base_ms: 5, max_ms: 50 }, ...options.router },
  };
}
