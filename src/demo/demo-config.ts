import type { z } from 'zod';
import { stringify } from 'yaml';
import { parseConfig } from '../config/load-config.ts';
import type { configSchema, SpillwayConfig } from '../config/schema.ts';

/**
 * The pieces every scenario's gateway config shares: the simulator's providers (account 1 in three
 * US regions, account 2, the OpenAI-style endpoint), the demo client's key, an in-memory database.
 * Configs are built as plain objects in the file's shape, printed as YAML by `--print-config`, and
 * parsed through `parseConfig` (the same validation a config file gets) for an in-process gateway.
 */

/** A config file's content before validation (defaults not applied). */
export type ConfigDocument = z.input<typeof configSchema>;
type ProviderDocument = NonNullable<ConfigDocument['providers']>[string];

/** The simulator endpoint as written in a printed config: `SPILLWAY_SIM_URL` or the `up` default. */
export const simUrlReference = '${SPILLWAY_SIM_URL:-http://127.0.0.1:9100}';

/** Key of the demo's own tenant (no limits): every scenario but quota sends it. */
export const demoKey = 'sk-spillway-demo-client';

/** Simulator account ids and credentials (src/simulator/default-sim-world.ts). */
export const simAccounts = {
  first: { id: '111111111111', accessKeyId: 'AKIASIMACCOUNT1EXAMPLE', secret: 'sim-secret-account-1' },
  second: { id: '222222222222', accessKeyId: 'AKIASIMACCOUNT2EXAMPLE', secret: 'sim-secret-account-2' },
} as const;

/** Model ids of the simulator's default world used by the scenarios. */
export const simModels = {
  sonnetUs: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  sonnetGlobal: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
  haikuUs: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
  novaPro: 'amazon.nova-pro-v1:0',
  gptMini: 'gpt-4o-mini',
  gpt: 'gpt-4o',
} as const;

/** The regions of the `us.` cross-region profiles. */
export const usRegions = ['us-east-1', 'us-east-2', 'us-west-2'] as const;

function bedrockProvider(account: keyof typeof simAccounts, region: string): ProviderDocument {
  const credentials = simAccounts[account];
  return {
    type: 'bedrock',
    region,
    account: credentials.id,
    endpoint: simUrlReference,
    credentials: { access_key_id: credentials.accessKeyId, secret_access_key: credentials.secret },
  };
}

/** Provider name of account 1 in `region`. */
export function firstAccountProvider(region: string): string {
  return `sim-acct1-${region}`;
}

/** Provider name of account 2 (us-east-1). */
export const secondAccountProvider = 'sim-acct2-us-east-1';
/** Provider name of the simulator's OpenAI-style API. */
export const openaiProvider = 'sim-openai';

/** The providers every scenario may use, all pointing at the simulator. */
export function simProviders(): Record<string, ProviderDocument> {
  const providers: Record<string, ProviderDocument> = {};
  for (const region of usRegions) providers[firstAccountProvider(region)] = bedrockProvider('first', region);
  providers[secondAccountProvider] = bedrockProvider('second', 'us-east-1');
  providers[openaiProvider] = { type: 'openai', base_url: `${simUrlReference}/v1`, api_key: 'sk-sim-openai' };
  return providers;
}

/** A scenario config: the shared providers and demo tenant plus the scenario's groups and tenants. */
export function scenarioConfig(
  models: NonNullable<ConfigDocument['models']>,
  tenants: NonNullable<ConfigDocument['tenants']> = {},
): ConfigDocument {
  return {
    database: { path: ':memory:' },
    providers: simProviders(),
    models,
    tenants: { 'demo-client': { keys: [demoKey] }, ...tenants },
  };
}

/** One config holding several scenarios' groups and tenants (for one running gateway). */
export function mergeConfigs(documents: readonly ConfigDocument[]): ConfigDocument {
  const merged = scenarioConfig({});
  for (const document of documents) {
    merged.models = { ...merged.models, ...document.models };
    merged.tenants = { ...merged.tenants, ...document.tenants };
  }
  return merged;
}

/** The YAML text of a config, with a header saying how to use it (`scenario` may be `all`). */
export function renderConfig(document: ConfigDocument, scenario: string): string {
  const demo = scenario === 'all' ? 'spillway demo' : `spillway demo ${scenario}`;
  const header = [
    `# Gateway config for \`${demo}\` against a running gateway and simulator:`,
    '#   spillway sim --port 9100   (or any running simulator; `spillway up` starts one on 9100)',
    '#   SPILLWAY_SIM_URL=http://127.0.0.1:9100 spillway serve --config THIS_FILE --port 4000',
    `#   ${demo} --gateway http://127.0.0.1:4000 --sim http://127.0.0.1:9100`,
    '# Limits (rpm) live in the gateway: restart it (or wait a minute) before running the demo again.',
    '',
  ];
  return header.join('\n') + stringify(document, { lineWidth: 0 });
}

/** Validates a config document exactly as a file, with the simulator at `simUrl`. */
export function resolveConfig(document: ConfigDocument, simUrl: string, source: string): SpillwayConfig {
  return parseConfig(stringify(document, { lineWidth: 0 }), source, { SPILLWAY_SIM_URL: simUrl });
}
