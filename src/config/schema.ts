import { z } from 'zod';
import { cacheSchema } from './cache-schema.ts';
import { guardrailIssues, guardrailNamesSchema, guardrailSchema } from './guardrail-schema.ts';
import { cascadeSchema, classifierSchema, routeSchema } from './route-schema.ts';

/**
 * The configuration file (docs/configuration.md lists every key). Key names are a contract: they keep their
 * meaning; new keys may be added. Parsed objects use the file's snake_case names.
 */

const positiveInt = z.number().int().positive();

/**
 * A URL with one of the given schemes, or empty (`${VAR:-}` with the variable unset: the feature is
 * off). Checked here so that `config check` rejects what `serve` would otherwise die on at start.
 */
function urlWithScheme(schemes: readonly string[], what: string) {
  const pattern = new RegExp(`^(${schemes.map((scheme) => scheme.replace('+', '\\+')).join('|')})://.`);
  return z.string().refine((value) => value === '' || pattern.test(value.trim()), {
    message: `must be a ${what} URL (${schemes.map((scheme) => `${scheme}://`).join(', ')}…)`,
  });
}
const nonNegative = z.number().nonnegative();

const credentialsSchema = z
  .object({
    access_key_id: z.string().optional(),
    secret_access_key: z.string().optional(),
    session_token: z.string().optional(),
    profile: z.string().optional(),
    role_arn: z.string().optional(),
    external_id: z.string().optional(),
    api_key: z.string().optional(),
  })
  .strict()
  .superRefine((value, context) => {
    const hasStatic = value.access_key_id !== undefined || value.secret_access_key !== undefined;
    if (hasStatic && (value.access_key_id === undefined || value.secret_access_key === undefined)) {
      context.addIssue({
        code: 'custom',
        message: 'static credentials need both access_key_id and secret_access_key',
      });
    }
  });

/** Connection settings every provider takes (one pool per origin and settings). */
const connectionShape = {
  /** Most sockets (HTTP/1.1) to the provider's origin; absent: no cap, so long streams never queue. */
  max_connections: positiveInt.optional(),
  /** Offer HTTP/2 (ALPN, https only): streams share connections. Default false (HTTP/1.1). */
  http2: z.boolean().optional(),
} as const;

const bedrockProviderSchema = z
  .object({
    type: z.literal('bedrock'),
    region: z.string().min(1),
    endpoint: z.url().optional(),
    credentials: credentialsSchema.optional(),
    /** Label of the AWS account for reports (default: the provider's name). */
    account: z.string().optional(),
    ...connectionShape,
  })
  .strict();

const openaiProviderSchema = z
  .object({
    type: z.literal('openai'),
    base_url: z.url(),
    api_key: z.string().optional(),
    region: z.string().optional(),
    account: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    /** Field of the output token limit sent upstream (default max_tokens; OpenAI reasoning models need max_completion_tokens). */
    max_tokens_field: z.enum(['max_tokens', 'max_completion_tokens']).optional(),
    /** Sent as `?api-version=` on every call (Azure OpenAI); a query in base_url is kept too. Empty: none. */
    api_version: z.string().optional(),
    /** Azure OpenAI: calls go to `{base_url}/deployments/{deployment's model}/chat/completions`. */
    deployment_paths: z.boolean().optional(),
    /** How api_key is sent: `authorization` (Bearer, default; also an Entra ID token) or Azure's `api-key` header. */
    auth_header: z.enum(['authorization', 'api-key']).optional(),
    ...connectionShape,
  })
  .strict();

const anthropicProviderSchema = z
  .object({
    type: z.literal('anthropic'),
    base_url: z.url().default('https://api.anthropic.com'),
    api_key: z.string().optional(),
    region: z.string().optional(),
    account: z.string().optional(),
    /** anthropic-version header sent upstream (pinned deliberately, protocols.md 3.1). */
    version: z.string().default('2023-06-01'),
    ...connectionShape,
  })
  .strict();

export const providerSchema = z.discriminatedUnion('type', [
  bedrockProviderSchema,
  openaiProviderSchema,
  anthropicProviderSchema,
]);

const priceSchema = z
  .object({
    input: nonNegative,
    output: nonNegative,
    cached_input: nonNegative.optional(),
    cache_write: nonNegative.optional(),
  })
  .strict();

export const deploymentSchema = z
  .object({
    id: z.string().min(1),
    provider: z.string().min(1),
    model: z.string().min(1),
    rpm: positiveInt.optional(),
    tpm: positiveInt.optional(),
    max_concurrency: positiveInt.optional(),
    weight: nonNegative.default(1),
    region: z.string().optional(),
    price: priceSchema.optional(),
    context_window: positiveInt.optional(),
    /** Priority for the `ordered` strategy (lower first; default: position in the list). */
    order: z.number().int().optional(),
    /**
     * Whether the model continues from a trailing assistant turn (prefill), used by stream recovery.
     * Default: true for anthropic and bedrock providers, false for openai ones (they ignore it).
     */
    supports_prefill: z.boolean().optional(),
    /**
     * Bedrock service tier this deployment is called with (Converse `serviceTier`); its `price` is
     * that tier's price. Bedrock providers only (config check refuses it elsewhere).
     */
    service_tier: z.enum(['priority', 'default', 'flex']).optional(),
  })
  .strict();

export const strategySchema = z.enum(['weighted', 'round-robin', 'least-busy', 'latency', 'cost', 'ordered']);

const backoffSchema = z
  .object({ base_ms: positiveInt.default(200), max_ms: positiveInt.default(8000) })
  .strict();

const circuitBreakerSchema = z
  .object({
    failure_ratio: z.number().gt(0).lte(1).default(0.5),
    min_requests: positiveInt.default(10),
    window_s: positiveInt.default(30),
    open_s: z.number().positive().default(15),
  })
  .strict();

const retryBudgetSchema = z
  .object({
    /** Retries may be at most this share of requests over the window. */
    ratio: z.number().gte(0).lte(10).default(0.2),
    window_s: positiveInt.default(10),
    /** Retries always allowed per window, so a quiet group can still retry. */
    min_retries: z.number().int().nonnegative().default(10),
  })
  .strict();

/** Router settings: defaults under `router`, overridable per model group. */
export const routerSettingsShape = {
  retries: z.number().int().nonnegative(),
  backoff: backoffSchema,
  timeout_ms: positiveInt,
  first_token_timeout_ms: positiveInt,
  /** Longest silence between two stream chunks. */
  stream_idle_timeout_ms: positiveInt,
  /** Malformed stream events in a row that fail a stream; fewer are skipped (and counted). */
  malformed_event_limit: positiveInt,
  circuit_breaker: circuitBreakerSchema,
  retry_budget: retryBudgetSchema,
} as const;

export const routerSchema = z
  .object({
    retries: routerSettingsShape.retries.default(2),
    backoff: backoffSchema.default({ base_ms: 200, max_ms: 8000 }),
    timeout_ms: routerSettingsShape.timeout_ms.default(120_000),
    first_token_timeout_ms: routerSettingsShape.first_token_timeout_ms.default(30_000),
    stream_idle_timeout_ms: routerSettingsShape.stream_idle_timeout_ms.default(30_000),
    malformed_event_limit: routerSettingsShape.malformed_event_limit.default(3),
    circuit_breaker: circuitBreakerSchema.default({
      failure_ratio: 0.5,
      min_requests: 10,
      window_s: 30,
      open_s: 15,
    }),
    retry_budget: retryBudgetSchema.default({ ratio: 0.2, window_s: 10, min_retries: 10 }),
    /** The response cache of every group (a group's own `cache` replaces it); absent: none. */
    cache: cacheSchema.optional(),
  })
  .strict();

export const modelGroupSchema = z
  .object({
    strategy: strategySchema.default('weighted'),
    fallbacks: z.array(z.string()).default([]),
    context_window_fallbacks: z.array(z.string()).default([]),
    /** Groups to try when an upstream refuses on content grounds (its content filter or guardrail). */
    content_policy_fallbacks: z.array(z.string()).default([]),
    /** Where the group's requests go; a router group (`route`) has none. */
    deployments: z.array(deploymentSchema).default([]),
    /** A router group: rules choosing another group per request, instead of deployments. */
    route: routeSchema.optional(),
    /** A router group's cascade: escalate a failing answer of `from` to `to` (docs/configuration.md). */
    cascade: cascadeSchema.optional(),
    /** A router group's classifier model for the complexity score (docs/configuration.md). */
    classifier: classifierSchema.optional(),
    /** Group-level overrides of `router`. */
    retries: routerSettingsShape.retries.optional(),
    backoff: backoffSchema.optional(),
    timeout_ms: routerSettingsShape.timeout_ms.optional(),
    first_token_timeout_ms: routerSettingsShape.first_token_timeout_ms.optional(),
    stream_idle_timeout_ms: routerSettingsShape.stream_idle_timeout_ms.optional(),
    malformed_event_limit: routerSettingsShape.malformed_event_limit.optional(),
    circuit_breaker: circuitBreakerSchema.optional(),
    retry_budget: retryBudgetSchema.optional(),
    /**
     * Hedged first tokens (decision 0016): one more attempt on another deployment when no first
     * token came by this many ms, or by the primary deployment's observed p95. Off when absent.
     */
    hedge_after_ms: z
      .union([positiveInt, z.literal('p95')], { error: 'expected a positive number of ms or "p95"' })
      .optional(),
    /** Hedges may be at most this share of the group's requests (10 s window); default 0.1. */
    hedge_budget: z.number().gte(0).lte(1).optional(),
    /** `continue`: a stream cut after its first byte is continued on the next candidate (default off). */
    stream_recovery: z.enum(['off', 'continue']).default('off'),
    /** Short description shown in /v1/models and the dashboard. */
    description: z.string().optional(),
    /** This group's response cache, replacing `router.cache` (`{ mode: off }`: none). */
    cache: cacheSchema.optional(),
    /** Named guardrails (top-level `guardrails`) run on this group's requests, after the tenant's. */
    guardrails: guardrailNamesSchema.optional(),
  })
  .strict();

const budgetSchema = z
  .object({ usd: nonNegative, period: z.enum(['day', 'week', 'month', 'total']).default('month') })
  .strict();

/** A tenant's limits on one model group, on top of its overall limits. */
const modelLimitsSchema = z
  .object({
    rpm: positiveInt.optional(),
    tpm: positiveInt.optional(),
    max_concurrency: positiveInt.optional(),
  })
  .strict();

export const tenantSchema = z
  .object({
    keys: z.array(z.string().min(8, 'keys must be at least 8 characters')).default([]),
    rpm: positiveInt.optional(),
    tpm: positiveInt.optional(),
    max_concurrency: positiveInt.optional(),
    budget: budgetSchema.optional(),
    models: z.array(z.string()).optional(),
    /** Only deployments in regions starting with one of these (e.g. ["eu-"]). */
    regions: z.array(z.string()).optional(),
    /** Store request and response bodies in the audit log (secrets redacted). */
    log_bodies: z.boolean().default(false),
    /** Per model group limits (rpm, tpm, max_concurrency), checked with the tenant's own. */
    model_limits: z.record(z.string(), modelLimitsSchema).optional(),
    /** Tags router rules match (`when: { tags: [...] }`), besides a request's `x-spillway-tags`. */
    tags: z.array(z.string().min(1).max(64)).max(32).optional(),
    /** Named guardrails (top-level `guardrails`) run on this tenant's requests, before the group's. */
    guardrails: guardrailNamesSchema.optional(),
  })
  .strict();

export const serverSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(4000),
    /** An empty value (e.g. `${SPILLWAY_ADMIN_KEY:-}` unset) means no admin API. */
    admin_key: z.preprocess(
      (value) => (value === '' ? undefined : value),
      z.string().min(8, 'admin_key must be at least 8 characters').optional(),
    ),
    max_body_bytes: positiveInt.default(10 * 1024 * 1024),
    /** A request body must arrive within this time, or 408 (a dripping body does not hold a connection). */
    body_timeout_ms: positiveInt.default(30_000),
    log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    /** How long SIGTERM waits for in-flight requests and streams before exiting. */
    shutdown_grace_ms: z.number().int().nonnegative().default(30_000),
    /** Allow requests without a key (a single-user local gateway). Default: keys required once any tenant exists. */
    allow_anonymous: z.boolean().optional(),
    /** Worker threads on the port, limits exact across them (1: one thread). Absent: `spillway serve` uses every core. */
    workers: z.number().int().min(1).max(256).optional(),
  })
  .strict();

/**
 * `telemetry`. Which keys a reload applies is written here, beside the keys: `metrics_token` is
 * read on every scrape (a reload applies it); `metrics`, `traces`, `access_log`, `metrics_port` and
 * `tenant_labels` are read once at start (they need a restart).
 */
export const telemetrySchema = z
  .object({
    metrics: z.boolean().default(true),
    traces: z.boolean().default(false),
    access_log: z.boolean().default(true),
    /**
     * A separate listener for /metrics on this port (same host as the API); /metrics is then not
     * served on the API port. 0: the OS picks one. Default: /metrics on the API port.
     */
    metrics_port: z.number().int().min(0).max(65535).optional(),
    /**
     * A bearer token /metrics requires (`Authorization: Bearer <token>`); default none. A value that
     * reads as a number (`${METRICS_TOKEN}` = 1234...) is kept as text; an empty one means none.
     */
    metrics_token: z.preprocess(
      (value) => (value === '' ? undefined : typeof value === 'number' ? String(value) : value),
      z.string().min(16, 'metrics_token must be at least 16 characters').optional(),
    ),
    /** False: no metric carries a `tenant` label (per-tenant cost and tokens stay out of /metrics). Default true. */
    tenant_labels: z.boolean().optional(),
  })
  .strict()
  .superRefine((telemetry, context) => {
    if (telemetry.metrics) return;
    for (const key of ['metrics_port', 'metrics_token'] as const) {
      if (telemetry[key] !== undefined) {
        context.addIssue({ code: 'custom', path: [key], message: 'has no effect with metrics: false' });
      }
    }
  });

export const configSchema = z
  .object({
    server: serverSchema.default(() => serverSchema.parse({})),
    providers: z.record(z.string(), providerSchema).default({}),
    models: z.record(z.string(), modelGroupSchema).default({}),
    tenants: z.record(z.string(), tenantSchema).default({}),
    /** Named guardrails, attached by name to tenants and model groups. */
    guardrails: z.record(z.string().min(1), guardrailSchema).optional(),
    router: routerSchema.default({
      retries: 2,
      backoff: { base_ms: 200, max_ms: 8000 },
      timeout_ms: 120_000,
      first_token_timeout_ms: 30_000,
      stream_idle_timeout_ms: 30_000,
      malformed_event_limit: 3,
      circuit_breaker: { failure_ratio: 0.5, min_requests: 10, window_s: 30, open_s: 15 },
      retry_budget: { ratio: 0.2, window_s: 10, min_retries: 10 },
    }),
    state: z
      .object({
        redis_url: urlWithScheme(['redis', 'rediss', 'redis+cluster', 'redis+sentinel'], 'Redis').optional(),
        /** How long a call waits for Redis; one without an answer by then is answered locally. */
        redis_timeout_ms: positiveInt.default(1000),
        /** Calls in a row without an answer in time after which Redis counts as away (local limits). */
        redis_breaker_timeouts: positiveInt.default(5),
      })
      .strict()
      .optional(),
    database: z
      .object({
        // SQLite is `database.path` (a file), never a URL: `sqlite://…` here is a mistake to name.
        url: urlWithScheme(['postgres', 'postgresql'], 'PostgreSQL').optional(),
        path: z.string().optional(),
      })
      .strict()
      .optional(),
    telemetry: telemetrySchema.optional(),
  })
  .strict()
  .superRefine((config, context) => {
    for (const issue of guardrailIssues(config)) context.addIssue({ code: 'custom', ...issue });
    const metricsPort = config.telemetry?.metrics_port;
    if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === config.server.port) {
      context.addIssue({
        code: 'custom',
        path: ['telemetry', 'metrics_port'],
        message: `must differ from server.port (${config.server.port}): it is the separate listener for /metrics`,
      });
    }
  });

export type SpillwayConfig = z.infer<typeof configSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
export type BedrockProviderConfig = z.infer<typeof bedrockProviderSchema>;
export type OpenAIProviderConfig = z.infer<typeof openaiProviderSchema>;
export type AnthropicProviderConfig = z.infer<typeof anthropicProviderSchema>;
export type DeploymentConfig = z.infer<typeof deploymentSchema>;
export type ModelGroupConfig = z.infer<typeof modelGroupSchema>;
export type TenantConfig = z.infer<typeof tenantSchema>;
export type RouterConfig = z.infer<typeof routerSchema>;
export type Strategy = z.infer<typeof strategySchema>;
export type CircuitBreakerConfig = z.infer<typeof circuitBreakerSchema>;
export type RetryBudgetConfig = z.infer<typeof retryBudgetSchema>;
