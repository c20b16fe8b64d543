/**
 * The gateway's benchmark configuration: the full request path on (key auth, tenant limits, routing
 * over 3 deployments with breaker and retries armed, metrics, access log at info, spend records in
 * SQLite), limits set so high that they never bind, in-memory state unless `redis`.
 */

/** The Redis the bench's Redis gateway uses (the machine's; the bench counts its commands). */
export const benchRedisUrl = 'redis://127.0.0.1:6379';

/** The virtual key of the one benchmark tenant. */
export const tenantKey = 'sk-bench-tenant-key-000000000001';

export interface GatewayConfigOptions {
  readonly port: number;
  readonly upstreamPort: number;
  /** SQLite file for keys, spend and audit records. */
  readonly databasePath: string;
  /** Shared state in Redis on 127.0.0.1:6379 instead of in memory. */
  readonly redis: boolean;
  /** A response cache on the `bench` group (bench/cache-hit.ts); semantic mode embeds with group `embed`. */
  readonly cache?: 'exact' | 'semantic' | undefined;
  /**
   * `server.workers` (default 1). `serve` now starts a worker thread per core unless told; the
   * benchmark's figures are per core (one thread, pinned: issue 18), so it asks for one.
   */
  readonly workers?: number | undefined;
}

/** The YAML text of the configuration. */
export function gatewayConfig(options: GatewayConfigOptions): string {
  const deployment = (id: string) =>
    `      - { id: ${id}, provider: upstream, model: bench-model, rpm: 100000000, tpm: 100000000000, max_concurrency: 100000, price: { input: 1, output: 2 } }`;
  return [
    'server:',
    `  port: ${options.port}`,
    // info: the access log writes its line per request (to the benchmark's /dev/null), as in production.
    '  log_level: info',
    '  admin_key: bench-admin-key-0001',
    `  workers: ${options.workers ?? 1}`,
    'providers:',
    `  upstream: { type: openai, base_url: "http://127.0.0.1:${options.upstreamPort}/v1", api_key: sk-bench-upstream }`,
    'models:',
    '  bench:',
    '    strategy: weighted',
    '    deployments:',
    deployment('bench-a'),
    deployment('bench-b'),
    deployment('bench-c'),
    ...(options.cache === undefined
      ? []
      : options.cache === 'exact'
        ? ['    cache: { mode: exact, ttl_s: 3600 }']
        : [
            '    cache: { mode: semantic, embedding_group: embed, threshold: 0.92, ttl_s: 3600 }',
            '  embed:',
            '    deployments:',
            deployment('embed-a'),
          ]),
    'tenants:',
    `  bench: { keys: ["${tenantKey}"], rpm: 100000000, tpm: 100000000000, max_concurrency: 100000 }`,
    `database: { path: "${options.databasePath}" }`,
    options.redis ? `state: { redis_url: "${benchRedisUrl}" }` : '',
    'telemetry: { metrics: true, access_log: true }',
    '',
  ].join('\n');
}
