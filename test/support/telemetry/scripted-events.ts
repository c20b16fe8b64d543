import { configSchema, type SpillwayConfig } from '../../../src/config/schema.ts';
import type { GatewayEvent, RequestFinished, Target } from '../../../src/core/gateway-events.ts';

/**
 * A scripted run of the pipeline for telemetry tests: a retry after a throttle, a fallback to
 * another group, a tenant rate limit, a breaker opening, a stream failing in-band, and one request
 * still in flight.
 */

export const east: Target = {
  group: 'sonnet',
  deployment: 'sonnet-east',
  provider: 'bedrock-a',
  providerType: 'bedrock',
  region: 'us-east-1',
  account: 'account-1',
  model: 'anthropic.claude-sonnet',
};
export const west: Target = { ...east, deployment: 'sonnet-west', region: 'us-west-2', account: 'account-2' };
export const haiku: Target = {
  group: 'haiku',
  deployment: 'haiku-east',
  provider: 'anthropic',
  providerType: 'anthropic',
  region: 'us-east-1',
  account: 'anthropic-main',
  model: 'claude-haiku',
};

/** The configuration the scripted run happens under: its groups, deployments, providers and tenants. */
export const scriptedConfig: SpillwayConfig = configSchema.parse({
  providers: {
    'bedrock-a': { type: 'bedrock', region: 'us-east-1' },
    anthropic: {
      type: 'anthropic',
      base_url: 'https://api.anthropic.com',
      api_key: 'sk-ant-scripted',
      region: 'us-east-1',
    },
  },
  models: {
    sonnet: {
      deployments: [
        { id: 'sonnet-east', provider: 'bedrock-a', model: 'anthropic.claude-sonnet' },
        { id: 'sonnet-west', provider: 'bedrock-a', model: 'anthropic.claude-sonnet', region: 'us-west-2' },
      ],
    },
    haiku: { deployments: [{ id: 'haiku-east', provider: 'anthropic', model: 'claude-haiku' }] },
  },
  tenants: { acme: {}, noisy: {} },
});

function finished(fields: Partial<RequestFinished> & Pick<RequestFinished, 'requestId'>): RequestFinished {
  return {
    type: 'request-finished',
    dialect: 'openai',
    endpoint: 'chat',
    tenant: 'acme',
    keyId: 'key-acme-1',
    requestedGroup: 'sonnet',
    stream: false,
    status: 200,
    attempts: 1,
    fallbacks: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadInputTokens: 0,
    cacheWriteInputTokens: 0,
    startedAt: 1_700_000_000_000,
    latencyMs: 0,
    overheadMs: 0,
    ...fields,
  };
}

export const scriptedEvents: readonly GatewayEvent[] = [
  // req-1: throttled on east, retried on west
  { type: 'request-started', requestId: 'req-1', tenant: 'acme', group: 'sonnet', stream: false },
  {
    type: 'attempt-finished',
    requestId: 'req-1',
    tenant: 'acme',
    target: east,
    attempt: 1,
    outcome: 'error',
    errorCode: 'upstream_rate_limited',
    upstreamStatus: 429,
    durationMs: 120,
  },
  {
    type: 'retry-scheduled',
    requestId: 'req-1',
    group: 'sonnet',
    fromDeployment: 'sonnet-east',
    delayMs: 200,
    errorCode: 'upstream_rate_limited',
  },
  {
    type: 'attempt-finished',
    requestId: 'req-1',
    tenant: 'acme',
    target: west,
    attempt: 2,
    outcome: 'success',
    durationMs: 800,
    firstTokenMs: 800,
  },
  finished({
    requestId: 'req-1',
    target: west,
    attempts: 2,
    inputTokens: 100,
    outputTokens: 50,
    costUsd: 0.0015,
    latencyMs: 1000,
    firstTokenMs: 1000,
    overheadMs: 1.5,
  }),
  // req-2: a stream that falls back from sonnet to haiku
  {
    type: 'request-started',
    requestId: 'req-2',
    tenant: 'acme',
    group: 'sonnet',
    stream: true,
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  },
  {
    type: 'attempt-finished',
    requestId: 'req-2',
    tenant: 'acme',
    target: east,
    attempt: 1,
    outcome: 'error',
    errorCode: 'upstream_overloaded',
    upstreamStatus: 529,
    durationMs: 50,
  },
  {
    type: 'fallback-taken',
    requestId: 'req-2',
    fromGroup: 'sonnet',
    toGroup: 'haiku',
    errorCode: 'upstream_overloaded',
  },
  {
    type: 'attempt-finished',
    requestId: 'req-2',
    tenant: 'acme',
    target: haiku,
    attempt: 2,
    outcome: 'success',
    durationMs: 1900,
    firstTokenMs: 300,
  },
  finished({
    requestId: 'req-2',
    stream: true,
    target: haiku,
    attempts: 2,
    fallbacks: 1,
    inputTokens: 40,
    outputTokens: 400,
    cacheReadInputTokens: 10,
    costUsd: 0.002,
    latencyMs: 2000,
    firstTokenMs: 450,
    overheadMs: 0.3,
  }),
  // req-3: the noisy tenant hits its rpm
  { type: 'request-started', requestId: 'req-3', tenant: 'noisy', group: 'sonnet', stream: false },
  { type: 'rate-limited', requestId: 'req-3', scope: 'tenant', tenant: 'noisy', limit: 'rpm' },
  finished({
    requestId: 'req-3',
    tenant: 'noisy',
    keyId: 'key-noisy-1',
    status: 429,
    errorCode: 'rate_limited',
    attempts: 0,
    latencyMs: 2,
    overheadMs: 2,
  }),
  // the east deployment's breaker opens; it cools down; a retry is denied by the budget
  { type: 'circuit-changed', deployment: 'sonnet-east', from: 'closed', to: 'open' },
  {
    type: 'cooldown-started',
    deployment: 'sonnet-east',
    durationMs: 15_000,
    errorCode: 'upstream_overloaded',
  },
  { type: 'retry-denied', requestId: 'req-5', group: 'sonnet', reason: 'budget-exhausted' },
  {
    type: 'rate-limited',
    requestId: 'req-5',
    scope: 'deployment',
    tenant: 'acme',
    deployment: 'sonnet-west',
    limit: 'tpm',
  },
  // req-4: still in flight when scraped
  { type: 'request-started', requestId: 'req-4', tenant: 'acme', group: 'haiku', stream: true },
  // req-5: a stream that failed in-band after its first byte (status 200, an error code)
  { type: 'request-started', requestId: 'req-5', tenant: 'acme', group: 'sonnet', stream: true },
  {
    type: 'attempt-finished',
    requestId: 'req-5',
    tenant: 'acme',
    target: west,
    attempt: 1,
    outcome: 'error',
    errorCode: 'a_code_outside_the_taxonomy',
    durationMs: 3000,
    firstTokenMs: 200,
  },
  finished({
    requestId: 'req-5',
    stream: true,
    target: west,
    errorCode: 'upstream_stream_interrupted',
    inputTokens: 30,
    outputTokens: 5,
    latencyMs: 3100,
    firstTokenMs: 260,
    overheadMs: 0.05,
  }),
];
