import {
  firstAccountProvider,
  openaiProvider,
  secondAccountProvider,
  simModels,
  simProviders,
  type ConfigDocument,
} from '../../../src/demo/demo-config.ts';

/**
 * The gateway config of the metrics test: one model group per behaviour, each deployment on its
 * own (account, region, model) of the simulator so the invocation log says which deployment called.
 * Providers are the demo's (`${SPILLWAY_SIM_URL}`), so the process gets the simulator by environment.
 */

export const tenants = {
  client: { name: 'obs-client', key: 'sk-observability-client-0001' },
  limited: { name: 'obs-limited', key: 'sk-observability-limited-0002' },
} as const;

/** Requests per minute of the limited tenant (a burst of this many, then 429s). */
export const tenantRpm = 2;
/** Requests per minute of the primary deployment of the fallback pair. */
export const primaryRpm = 2;

export const groups = {
  plain: 'obs-plain',
  primary: 'obs-primary',
  secondary: 'obs-secondary',
  retry: 'obs-retry',
  failover: 'obs-failover',
  breaker: 'obs-breaker',
} as const;

export const deployments = {
  plain: 'plain-gpt-mini',
  primary: 'primary-nova-lite',
  secondary: 'secondary-llama',
  retry: 'retry-nova-pro-use2',
  failoverFirst: 'failover-nova-pro-usw2',
  failoverSecond: 'failover-nova-pro-acct2',
  breaker: 'breaker-gpt',
} as const;

/** Where the faults of the test hit (the simulator matches region, model and api). */
export const faultTargets = {
  retry: { region: 'us-east-2', model: simModels.novaPro },
  failover: { region: 'us-west-2', model: simModels.novaPro },
  breaker: { api: 'openai', model: simModels.gpt },
} as const;

/** Breaker settings of the breaker group: opens on the second failure, stays open for the test. */
export const breakerMinRequests = 2;

export function metricsConfig(): ConfigDocument {
  const fast = { retries: 2, backoff: { base_ms: 1, max_ms: 1 } };
  return {
    database: { path: ':memory:' },
    server: { log_level: 'info' },
    providers: simProviders(),
    tenants: {
      [tenants.client.name]: { keys: [tenants.client.key] },
      [tenants.limited.name]: { keys: [tenants.limited.key], rpm: tenantRpm },
    },
    models: {
      [groups.plain]: {
        deployments: [{ id: deployments.plain, provider: openaiProvider, model: simModels.gptMini }],
      },
      [groups.primary]: {
        fallbacks: [groups.secondary],
        deployments: [
          {
            id: deployments.primary,
            provider: firstAccountProvider('us-east-1'),
            model: 'amazon.nova-lite-v1:0',
            rpm: primaryRpm,
          },
        ],
      },
      [groups.secondary]: {
        deployments: [
          {
            id: deployments.secondary,
            provider: firstAccountProvider('us-east-1'),
            model: 'meta.llama3-3-70b-instruct-v1:0',
          },
        ],
      },
      [groups.retry]: {
        ...fast,
        deployments: [
          { id: deployments.retry, provider: firstAccountProvider('us-east-2'), model: simModels.novaPro },
        ],
      },
      [groups.failover]: {
        ...fast,
        strategy: 'ordered',
        deployments: [
          {
            id: deployments.failoverFirst,
            provider: firstAccountProvider('us-west-2'),
            model: simModels.novaPro,
          },
          { id: deployments.failoverSecond, provider: secondAccountProvider, model: simModels.novaPro },
        ],
      },
      [groups.breaker]: {
        retries: 0,
        circuit_breaker: {
          failure_ratio: 0.5,
          min_requests: breakerMinRequests,
          window_s: 600,
          open_s: 600,
        },
        deployments: [{ id: deployments.breaker, provider: openaiProvider, model: simModels.gpt }],
      },
    },
  };
}
