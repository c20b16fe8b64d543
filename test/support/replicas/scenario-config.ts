import { randomUUID } from 'node:crypto';

/** A short id that makes group, deployment, tenant and key names unique to one test run. */
export function runId(): string {
  return randomUUID().slice(0, 8);
}

/** One model group on the simulator's OpenAI API: `deployments` of `model`, each with an optional rpm. */
export interface GroupSpec {
  readonly name: string;
  readonly model?: string;
  readonly deployments: readonly { readonly id: string; readonly rpm?: number }[];
  readonly fallbacks?: readonly string[];
  readonly strategy?: 'weighted' | 'least-busy' | 'round-robin';
}

export interface TenantSpec {
  readonly name: string;
  readonly key: string;
  readonly rpm?: number;
}

export interface ScenarioConfigOptions {
  /** Base URL of the provider simulator. */
  readonly simulatorUrl: string;
  readonly groups: readonly GroupSpec[];
  readonly tenants: readonly TenantSpec[];
  readonly adminKey: string;
  /** `state.redis_url`; absent: in memory. */
  readonly redisUrl?: string;
  /** `state.redis_timeout_ms` (1000 when absent, the gateway's default). */
  readonly redisTimeoutMs?: number;
  /** `database.url` (PostgreSQL); absent: SQLite ./spillway.db in the process's cwd. */
  readonly databaseUrl?: string;
  readonly shutdownGraceMs?: number;
}

/** A gateway config (the object that is written as YAML) in front of the simulator's OpenAI API. */
export function scenarioConfig(options: ScenarioConfigOptions): Record<string, unknown> {
  const models: Record<string, unknown> = {};
  for (const group of options.groups) {
    models[group.name] = {
      strategy: group.strategy ?? 'weighted',
      fallbacks: group.fallbacks ?? [],
      deployments: group.deployments.map((deployment) => ({
        id: deployment.id,
        provider: 'sim-openai',
        model: group.model ?? 'gpt-4o-mini',
        ...(deployment.rpm === undefined ? {} : { rpm: deployment.rpm }),
        price: { input: 0.15, output: 0.6 },
      })),
    };
  }
  const tenants: Record<string, unknown> = {};
  for (const tenant of options.tenants) {
    tenants[tenant.name] = { keys: [tenant.key], ...(tenant.rpm === undefined ? {} : { rpm: tenant.rpm }) };
  }
  return {
    server: {
      host: '127.0.0.1',
      admin_key: options.adminKey,
      log_level: 'warn',
      shutdown_grace_ms: options.shutdownGraceMs ?? 5000,
    },
    providers: {
      'sim-openai': { type: 'openai', base_url: `${options.simulatorUrl}/v1`, api_key: 'sk-sim-openai' },
    },
    models,
    tenants,
    ...(options.redisUrl === undefined
      ? {}
      : { state: { redis_url: options.redisUrl, redis_timeout_ms: options.redisTimeoutMs ?? 1000 } }),
    ...(options.databaseUrl === undefined ? {} : { database: { url: options.databaseUrl } }),
    telemetry: { metrics: true, traces: false, access_log: false },
  };
}
