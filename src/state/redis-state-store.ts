import { once } from 'node:events';
import { Cluster } from 'ioredis';
import type { Clock } from '../core/clock.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { createRedisClient, parseRedisUrl, redact } from './redis-connection.ts';
import type { RedisClient } from './redis-connection.ts';
import { RedisBatcher } from './redis-batch.ts';
import * as scripts from './redis-scripts.ts';
import { RedisSubscriptions, closeClient } from './redis-subscriptions.ts';
import { silentStateLogger } from './state-logger.ts';
import type { StateLogger } from './state-logger.ts';
import type {
  AdmitRequest,
  AdmitResult,
  LimitState,
  RateLimit,
  ReserveRequest,
  ReserveResult,
  StateStore,
  WindowCounts,
} from '../core/state-store.ts';

export interface RedisStateStoreOptions {
  /** `state.redis_url`: redis://, rediss://, redis+cluster://, redis+sentinel:// (see parseRedisUrl). */
  readonly url: string;
  /**
   * Prefix of every key and channel (default `spillway:`). Keys are `{prefix}kind:key`: the prefix,
   * without its trailing colon, is the Cluster hash tag, so every key of one deployment shares one
   * slot and any multi-key script works on Cluster (docs/decisions/0004).
   */
  readonly prefix?: string;
  /**
   * Where `now` comes from. Omit in production: the scripts then read the Redis server's TIME, one
   * clock for every replica. Tests inject a fake clock.
   */
  readonly clock?: Clock;
  /** Gives up a connection attempt after this long (default 2000 ms); ioredis then retries. */
  readonly connectTimeoutMs?: number;
  readonly logger?: StateLogger;
}

/**
 * A script's reply, checked to be an array whose every item passes `item` (a reply is untrusted
 * input: a different script under the same SHA, a proxy that mangles it). Hand-written rather than
 * a schema: these checks run on every admission and settlement, and a schema's parse allocated more
 * per request than the rest of the Redis path's decoding.
 */
function arrayReply<T>(reply: unknown, item: (value: unknown) => value is T, what: string): T[] {
  if (!Array.isArray(reply)) throw new Error(`malformed ${what} reply: not an array`);
  for (const value of reply as unknown[]) {
    if (!item(value)) throw new Error(`malformed ${what} reply: unexpected item ${typeof value}`);
  }
  return reply as T[];
}
const isNumber = (value: unknown): value is number => typeof value === 'number';
const isString = (value: unknown): value is string => typeof value === 'string';
const isStringOrNull = (value: unknown): value is string | null =>
  value === null || typeof value === 'string';
const isAdmitItem = (value: unknown): value is number | string | null =>
  value === null || typeof value === 'number' || typeof value === 'string';

/** Each operation's script, run inside the batch script (redis-batch.ts) by name. */
const sources = {
  reserve: scripts.reserveScript,
  admit: scripts.admitScript,
  adjustRate: scripts.adjustRateScript,
  release: scripts.releaseScript,
  settle: scripts.settleScript,
  window: scripts.windowScript,
  addWindow: scripts.addWindowScript,
  get: scripts.getScript,
  set: scripts.setScript,
  compareAndSet: scripts.compareAndSetScript,
  delete: scripts.deleteScript,
  scan: scripts.scanScript,
  publish: scripts.publishScript,
} as const;
type ScriptName = keyof typeof sources;

/** A Redis failure, classified: the state store is unavailable (ResilientStateStore answers locally). */
function unavailable(operation: string, error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError(`state store unavailable (${operation}): ${message}`, {
    code: 'state_unavailable',
    cause: error,
  });
}

function pairsToRecord(pairs: readonly string[], parse: (value: string) => number): WindowCounts;
function pairsToRecord(pairs: readonly string[]): Record<string, string>;
function pairsToRecord(
  pairs: readonly string[],
  parse?: (value: string) => number,
): Record<string, string | number> {
  const record: Record<string, string | number> = {};
  for (let index = 0; index + 1 < pairs.length; index += 2) {
    const name = pairs[index] ?? '';
    const value = pairs[index + 1] ?? '';
    record[name] = parse === undefined ? value : parse(value);
  }
  return record;
}

/**
 * The StateStore on Redis (standalone, Sentinel or Cluster): every operation is one Lua script,
 * atomic across replicas; the operations called in one event-loop turn share one round trip
 * (RedisBatcher, decision 0030). Every key carries an expiry, so nothing grows without bound.
 * Commands fail fast while disconnected (no offline queue): the caller (ResilientStateStore) decides
 * what to do, and a late command never replays after the caller gave up on it.
 */
export class RedisStateStore implements StateStore {
  private readonly client: RedisClient;
  private readonly tag: string;
  private readonly channelPrefix: string;
  private readonly clock: Clock | undefined;
  private readonly logger: StateLogger;
  private subscriptions: RedisSubscriptions | undefined;
  private readonly batch: RedisBatcher;

  constructor(options: RedisStateStoreOptions) {
    const prefix = options.prefix ?? 'spillway:';
    if (/[{}]/.test(prefix) || prefix === '')
      throw new Error('RedisStateStore: prefix must be non-empty, without braces');
    this.tag = `{${prefix.replace(/:$/, '')}}:`;
    this.channelPrefix = prefix;
    this.clock = options.clock;
    this.logger = options.logger ?? silentStateLogger;
    this.client = createRedisClient(parseRedisUrl(options.url), {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: options.connectTimeoutMs ?? 2000,
    });
    this.batch = new RedisBatcher(this.client, sources);
    const url = redact(options.url);
    this.client.on('error', (error: unknown) => {
      // ioredis emits every failed (re)connect; the ResilientStateStore logs the transitions.
      this.logger.error({ err: error, url }, 'state store: redis connection error');
    });
  }

  /** Resolves once connected (for tests and startup checks); rejects after `timeoutMs`. */
  async ready(timeoutMs = 5000): Promise<void> {
    if (this.client.status === 'ready') return;
    await once(this.client, 'ready', { signal: AbortSignal.timeout(timeoutMs) });
  }

  /** One PING; rejects when Redis does not answer. The ResilientStateStore's health probe. */
  async ping(): Promise<void> {
    try {
      await this.client.ping();
    } catch (error) {
      throw unavailable('ping', error);
    }
  }

  private now(): number {
    return this.clock?.now() ?? -1;
  }

  private key(kind: string, key: string): string {
    return `${this.tag}${kind}:${key}`;
  }

  private async run(
    operation: string,
    script: ScriptName,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await this.batch.run(script, keys, [this.now(), ...args]);
    } catch (error) {
      throw unavailable(operation, error);
    }
  }

  private reserveKeys(request: ReserveRequest): string[] {
    return [
      ...request.rates.map((rate) => this.key('rate', rate.key)),
      ...request.concurrency.map((limit) => this.key('lease', limit.key)),
    ];
  }

  private reserveArgs(request: ReserveRequest, args: (string | number)[]): void {
    for (const rate of request.rates) args.push(rate.limit, rate.windowMs, rate.cost);
    for (const limit of request.concurrency) args.push(limit.limit);
  }

  async reserve(request: ReserveRequest): Promise<ReserveResult> {
    const args: (string | number)[] = [request.rates.length, request.leaseId, request.leaseTtlMs];
    this.reserveArgs(request, args);
    const keys = this.reserveKeys(request);
    const reply = arrayReply(await this.run('reserve', 'reserve', keys, args), isNumber, 'reserve');
    return reserveResult(request, reply);
  }

  async admit(request: AdmitRequest): Promise<AdmitResult> {
    const { reserve, windows, reads } = request;
    const keys = this.reserveKeys(reserve);
    const args: (string | number)[] = [
      reserve.rates.length,
      reserve.concurrency.length,
      windows.length,
      reserve.leaseId,
      reserve.leaseTtlMs,
    ];
    this.reserveArgs(reserve, args);
    for (const window of windows) {
      keys.push(this.key('window', window.key));
      const pairs = Object.entries(window.increments);
      args.push(window.windowMs, pairs.length);
      for (const [name, value] of pairs) args.push(name, value);
    }
    const { also } = request;
    const alsoLimits = also === undefined ? 0 : also.rates.length + also.concurrency.length;
    if (also === undefined || alsoLimits === 0) args.push(0, 0, '', 0);
    else {
      for (const key of this.reserveKeys(also)) keys.push(key);
      args.push(also.rates.length, also.concurrency.length, also.leaseId, also.leaseTtlMs);
      this.reserveArgs(also, args);
    }
    for (const key of reads) keys.push(this.key('kv', key));
    const reply = arrayReply(await this.run('admit', 'admit', keys, args), isAdmitItem, 'admit');
    const limitCount = reserve.rates.length + reserve.concurrency.length;
    const reservation = reserveResult(reserve, reply.slice(0, 2 + limitCount * 2).map(Number));
    if (!reservation.granted) return { reservation, values: reads.map(() => undefined) };
    const valuesAt = 2 + limitCount * 2;
    const values = reads.map((_, index) => {
      const value = reply[valuesAt + index];
      return typeof value === 'string' ? value : undefined;
    });
    if (also === undefined) return { reservation, values };
    // An also without limits is granted without a round of its own in the script.
    const alsoAt = valuesAt + reads.length;
    const alsoReply =
      alsoLimits === 0 ? [0, 0] : reply.slice(alsoAt, alsoAt + 2 + alsoLimits * 2).map(Number);
    return { reservation, values, also: reserveResult(also, alsoReply) };
  }

  async adjustRate(rate: RateLimit): Promise<void> {
    await this.run(
      'adjustRate',
      'adjustRate',
      [this.key('rate', rate.key)],
      [rate.limit, rate.windowMs, rate.cost],
    );
  }

  async release(concurrencyKeys: readonly string[], leaseId: string): Promise<void> {
    if (concurrencyKeys.length === 0) return;
    const keys = concurrencyKeys.map((key) => this.key('lease', key));
    await this.run('release', 'release', keys, [leaseId]);
  }

  async settle(
    adjustments: readonly RateLimit[],
    concurrencyKeys: readonly string[],
    leaseId: string,
  ): Promise<void> {
    if (adjustments.length === 0 && concurrencyKeys.length === 0) return;
    const keys: string[] = [];
    const args: (string | number)[] = [adjustments.length, leaseId];
    for (const rate of adjustments) {
      keys.push(this.key('rate', rate.key));
      args.push(rate.limit, rate.windowMs, rate.cost);
    }
    for (const key of concurrencyKeys) keys.push(this.key('lease', key));
    await this.run('settle', 'settle', keys, args);
  }

  async incrementWindow(key: string, increments: WindowCounts, windowMs: number): Promise<WindowCounts> {
    const args: (string | number)[] = [windowMs];
    for (const [name, value] of Object.entries(increments)) args.push(name, value);
    const reply = await this.run('incrementWindow', 'window', [this.key('window', key)], args);
    return pairsToRecord(arrayReply(reply, isString, 'window'), Number);
  }

  async addToWindow(key: string, increments: WindowCounts, windowMs: number): Promise<void> {
    const args: (string | number)[] = [windowMs];
    for (const name in increments) args.push(name, increments[name] as number);
    await this.run('addToWindow', 'addWindow', [this.key('window', key)], args);
  }

  async readWindow(key: string, windowMs: number): Promise<WindowCounts> {
    const reply = await this.run('readWindow', 'window', [this.key('window', key)], [windowMs]);
    return pairsToRecord(arrayReply(reply, isString, 'window'), Number);
  }

  async get(key: string): Promise<string | undefined> {
    const [value] = await this.getMany([key]);
    return value;
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return [];
    const reply = await this.run(
      'get',
      'get',
      keys.map((key) => this.key('kv', key)),
      [],
    );
    return arrayReply(reply, isStringOrNull, 'get').map((value) => value ?? undefined);
  }

  private valueKeys(key: string): string[] {
    return [this.key('kv', key), this.key('kv-index', 'expiry'), this.key('kv-index', 'name')];
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    if (ttlMs <= 0) return this.delete(key);
    await this.run('set', 'set', this.valueKeys(key), [checkedTtl(ttlMs), value, key]);
  }

  async compareAndSet(
    key: string,
    expected: string | undefined,
    value: string,
    ttlMs: number,
  ): Promise<boolean> {
    const args = [checkedTtl(ttlMs), value, key, expected === undefined ? '0' : '1', expected ?? ''];
    const reply = await this.run('compareAndSet', 'compareAndSet', this.valueKeys(key), args);
    return reply === 1;
  }

  async delete(key: string): Promise<void> {
    await this.run('delete', 'delete', this.valueKeys(key), [key]);
  }

  async scan(prefix: string): Promise<Record<string, string>> {
    const keys = [this.key('kv-index', 'expiry'), this.key('kv-index', 'name')];
    const reply = await this.run('scan', 'scan', keys, [prefix, this.key('kv', '')]);
    return pairsToRecord(arrayReply(reply, isString, 'scan'));
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.run('publish', 'publish', [], [this.channelPrefix + channel, message]);
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    this.subscriptions ??= new RedisSubscriptions(this.subscriberConnection(), this.logger);
    return this.subscriptions.add(this.channelPrefix + channel, handler);
  }

  /** A second connection for SUBSCRIBE; unlike commands, subscriptions queue until connected. */
  private subscriberConnection(): RedisClient {
    if (this.client instanceof Cluster) return this.client.duplicate(undefined, { enableOfflineQueue: true });
    const connection = this.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    connection.on('error', () => undefined); // reported by the command connection already
    return connection;
  }

  async close(): Promise<void> {
    this.batch.flush();
    await this.subscriptions?.close();
    await closeClient(this.client);
  }
}

/** A reserve script's reply {rejectedIndex, retryAfterMs, remaining1, reset1, ...} as a result. */
function reserveResult(request: ReserveRequest, reply: readonly number[]): ReserveResult {
  const [rejectedIndex = 0, retryAfterMs = 0] = reply;
  const limits = [...request.rates, ...request.concurrency];
  const states: LimitState[] = limits.map((limit, index) => ({
    key: limit.key,
    limit: limit.limit,
    remaining: reply[2 + index * 2] ?? 0,
    resetMs: reply[3 + index * 2] ?? 0,
  }));
  if (rejectedIndex === 0) return { granted: true, states };
  return {
    granted: false,
    rejectedKey: limits[rejectedIndex - 1]?.key ?? '',
    retryAfterMs: retryAfterMs < 0 ? Infinity : retryAfterMs,
    states,
  };
}

/** Redis PX takes whole, finite milliseconds; reject what would otherwise fail inside a script. */
function checkedTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new GatewayError(`state store: ttlMs must be a positive finite number, got ${ttlMs}`, {
      code: 'internal_error',
    });
  }
  return ttlMs;
}
