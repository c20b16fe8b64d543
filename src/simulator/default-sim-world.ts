import { parseSimWorld, type SimWorld } from './sim-world.ts';

const regions = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1'];

/**
 * The built-in world. Other code (demos, tests, examples) relies on these exact values; they are
 * listed in src/simulator/README.md.
 */
export const defaultSimWorld: SimWorld = parseSimWorld(
  {
    regions,
    accounts: [
      {
        id: '111111111111',
        access_keys: [{ access_key_id: 'AKIASIMACCOUNT1EXAMPLE', secret_access_key: 'sim-secret-account-1' }],
        api_keys: [{ key: 'bedrock-api-key-sim-account-1', region: 'us-east-1' }],
      },
      {
        id: '222222222222',
        access_keys: [{ access_key_id: 'AKIASIMACCOUNT2EXAMPLE', secret_access_key: 'sim-secret-account-2' }],
      },
    ],
    bedrock: {
      models: [
        {
          id: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
          on_demand: false,
          profiles: ['us', 'eu', 'global'],
          context_window: 200000,
        },
        {
          id: 'anthropic.claude-haiku-4-5-20251001-v1:0',
          on_demand: false,
          profiles: ['us', 'eu', 'global'],
          context_window: 200000,
        },
        { id: 'meta.llama3-3-70b-instruct-v1:0' },
        { id: 'amazon.nova-pro-v1:0' },
        { id: 'amazon.nova-lite-v1:0' },
        { id: 'amazon.titan-embed-text-v2:0', kind: 'embedding', context_window: 8192, dimensions: 1024 },
      ],
      profiles: {
        us: ['us-east-1', 'us-east-2', 'us-west-2'],
        eu: ['eu-west-1', 'eu-central-1'],
        global: regions,
      },
      quotas: { default: { rpm: 200, tpm: 400000 } },
      guardrails: [
        {
          id: 'gr-sim-policy',
          versions: ['DRAFT', '1'],
          blocked_input_message: 'Sorry, I cannot help with that request (blocked by gr-sim-policy).',
          blocked_output_message: 'Sorry, the answer was blocked by gr-sim-policy.',
          denied_topics: [
            { name: 'investment-advice', phrases: ['investment advice', 'which stocks should i buy'] },
          ],
          words: ['bluebird'],
          pii: [
            { type: 'EMAIL', action: 'ANONYMIZE' },
            { type: 'PHONE', action: 'ANONYMIZE' },
            { type: 'CREDIT_DEBIT_CARD_NUMBER', action: 'ANONYMIZE' },
            { type: 'US_SOCIAL_SECURITY_NUMBER', action: 'BLOCK' },
            { type: 'AWS_ACCESS_KEY', action: 'BLOCK' },
          ],
        },
      ],
    },
    openai: {
      account: 'openai-sim',
      api_keys: ['sk-sim-openai'],
      models: [
        { id: 'gpt-4o-mini' },
        { id: 'gpt-4o' },
        { id: 'text-embedding-3-small', kind: 'embedding', context_window: 8192, dimensions: 1536 },
      ],
      limits: { rpm: 10000, tpm: 30000000 },
    },
    anthropic: {
      account: 'anthropic-sim',
      api_keys: ['sk-ant-sim'],
      models: [
        { id: 'claude-sonnet-4-6', context_window: 200000 },
        { id: 'claude-haiku-4-5-20251001', context_window: 200000 },
      ],
      limits: { rpm: 4000, tpm: 2000000 },
    },
    latency: { default: { ttft_ms: 60, tokens_per_second: 400, jitter: 0.1 } },
    latency_scale: 1,
  },
  'defaultSimWorld',
);
