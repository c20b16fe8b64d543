import type { ConfigProblem } from '../config/load-config.ts';
import type { SpillwayConfig } from '../config/schema.ts';
import { StartupError, systemErrorCode } from '../core/startup-error.ts';
import { parseRedisUrl, redact } from '../state/redis-url.ts';

/**
 * What `serve` would refuse in a config that validates (`config check` runs it too): no model
 * groups (the gateway would serve nothing), a Redis URL its client cannot use.
 */
export function startProblems(config: SpillwayConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (Object.keys(config.models).length === 0)
    problems.push({ path: 'models', message: 'no model groups: the gateway would serve no models' });
  const redisUrl = config.state?.redis_url;
  if (redisUrl !== undefined && redisUrl !== '') {
    try {
      parseRedisUrl(redisUrl);
    } catch (error) {
      problems.push({
        path: 'state.redis_url',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return problems;
}

/** `config check --connect`: connects to the configured PostgreSQL and Redis once; a problem per failure. */
export async function probeBackends(config: SpillwayConfig, timeoutMs = 5000): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  const databaseUrl = config.database?.url;
  if (databaseUrl !== undefined && databaseUrl !== '') {
    // Loaded only when configured: a gateway without PostgreSQL or Redis never loads pg or ioredis.
    const { PostgresDriver } = await import('../persistence/postgres-driver.ts');
    const driver = new PostgresDriver(databaseUrl, { maxConnections: 1, connectionTimeoutMs: timeoutMs });
    try {
      await driver.query('SELECT 1');
    } catch (error) {
      problems.push({ path: 'database.url', message: databaseFailure(config.database, error).message });
    } finally {
      await driver.close().catch(() => undefined);
    }
  }
  const redisUrl = config.state?.redis_url;
  if (redisUrl !== undefined && redisUrl !== '') {
    const { createRedisClient } = await import('../state/redis-connection.ts');
    const client = createRedisClient(parseRedisUrl(redisUrl), {
      enableOfflineQueue: true,
      maxRetriesPerRequest: 0,
      connectTimeout: timeoutMs,
    });
    client.on('error', () => undefined);
    try {
      await Promise.race([
        client.ping(),
        new Promise((_resolve, reject) =>
          setTimeout(() => {
            reject(new Error(`no answer in ${timeoutMs} ms`));
          }, timeoutMs).unref(),
        ),
      ]);
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)) || 'failed';
      problems.push({
        path: 'state.redis_url',
        message: `cannot reach Redis at ${redact(redisUrl)}: ${reason}`,
      });
    } finally {
      client.disconnect();
    }
  }
  return problems;
}

/** A database that cannot be opened at start, named by its config path (never with its password). */
export function databaseFailure(database: SpillwayConfig['database'], error: unknown): StartupError {
  // A refused connection to a name with two addresses is an AggregateError with an empty message.
  const reason =
    (error instanceof Error ? error.message : String(error)) || (systemErrorCode(error) ?? 'failed');
  const url = database?.url;
  if (url === undefined || url === '') {
    const path = database?.path ?? './spillway.db';
    return new StartupError('database.path', `cannot open the SQLite file ${path}: ${reason}`, {
      cause: error,
    });
  }
  let where = 'the configured server';
  try {
    const parsed = new URL(url);
    where = `${parsed.hostname}:${parsed.port === '' ? '5432' : parsed.port}${parsed.pathname}`;
  } catch {
    // The schema checks the URL; keep the message without the address if it still does not parse.
  }
  return new StartupError('database.url', `cannot connect to PostgreSQL at ${where}: ${reason}`, {
    cause: error,
  });
}
