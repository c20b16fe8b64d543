import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteKeysWithPrefix,
  testRedisUrl,
  uniquePrefix,
} from '../../test/support/state/redis-test-support.ts';
import { RedisBatcher } from './redis-batch.ts';

// The batcher on the real Redis: what one turn's calls become (counted at the client: the number of
// EVALSHA/EVAL commands it sends), and that each call keeps its order, reply and error.

const prefix = uniquePrefix();
const tag = `{${prefix.replace(/:$/, '')}}:`;
const key = (name: string): string => `${tag}${name}`;

const scripts = {
  incr: `return redis.call('INCRBY', KEYS[1], ARGV[1])`,
  get: `return redis.call('GET', KEYS[1])`,
  set: `redis.call('SET', KEYS[1], ARGV[1]) return 1`,
  pair: `return {ARGV[1], ARGV[2]}`,
  broken: `return redis.call('HGET', KEYS[1], 'field')`,
  thrown: `error('refused by the script')`,
  // the server's time, read after spinning (so that a TIME per call would see it move)
  time: `for i = 1, 200000 do local _ = i * 2 end return tostring(batchTime())`,
};

let client: Redis;
let sent: string[] = [];

beforeAll(async () => {
  client = new Redis(testRedisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await new Promise<void>((resolve) => {
    client.once('ready', () => {
      resolve();
    });
  });
  // Count the script commands the batcher sends (the real client still sends them).
  const call = client.call.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as unknown as { call: (...args: unknown[]) => Promise<unknown> }).call = (...args) => {
    sent.push(String(args[0]));
    return call(...args);
  };
});

afterAll(async () => {
  client.disconnect();
  await deleteKeysWithPrefix(prefix);
});

describe('RedisBatcher', () => {
  it('sends one turn’s calls as one script call, run in the order they were made', async () => {
    const batcher = new RedisBatcher(client, scripts);
    await batcher.run('set', [key('warm')], ['0']); // loads the batch script (EVALSHA, then EVAL once)
    sent = [];
    const replies = await Promise.all([
      batcher.run('set', [key('order')], ['first']),
      batcher.run('get', [key('order')], []),
      batcher.run('set', [key('order')], ['second']),
      batcher.run('get', [key('order')], []),
      ...Array.from({ length: 20 }, () => batcher.run('incr', [key('count')], [1])),
      batcher.run('pair', [], ['a', 'b']),
    ]);
    expect(sent).toEqual(['EVALSHA']);
    expect(replies.slice(0, 4)).toEqual([1, 'first', 1, 'second']);
    expect(replies.slice(4, 24)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    expect(replies[24]).toEqual(['a', 'b']);
  });

  it('a nil reply is null, and calls in later turns go in later batches', async () => {
    const batcher = new RedisBatcher(client, scripts);
    await batcher.run('get', [key('warm')], []);
    sent = [];
    expect(await batcher.run('get', [key('absent')], [])).toBeNull();
    expect(await batcher.run('get', [key('absent')], [])).toBeNull();
    expect(sent).toEqual(['EVALSHA', 'EVALSHA']);
  });

  it('one call’s Lua error fails that call only; the calls around it are answered', async () => {
    const batcher = new RedisBatcher(client, scripts);
    await client.set(key('string'), 'not a hash');
    const [before, wrongType, thrown, after] = await Promise.allSettled([
      batcher.run('incr', [key('around')], [5]),
      batcher.run('broken', [key('string')], []),
      batcher.run('thrown', [], []),
      batcher.run('incr', [key('around')], [5]),
    ]);
    expect(before).toEqual({ status: 'fulfilled', value: 5 });
    expect(wrongType.status).toBe('rejected');
    expect(String((wrongType as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
    expect(thrown.status).toBe('rejected');
    expect(String((thrown as PromiseRejectedResult).reason)).toMatch(/refused by the script/);
    expect(after).toEqual({ status: 'fulfilled', value: 10 });
  });

  it('a large turn is split into batches of at most 512 calls, still in order', async () => {
    const batcher = new RedisBatcher(client, scripts);
    await batcher.run('get', [key('warm')], []);
    sent = [];
    const replies = await Promise.all(
      Array.from({ length: 1_200 }, () => batcher.run('incr', [key('large')], [1])),
    );
    expect(sent).toEqual(['EVALSHA', 'EVALSHA', 'EVALSHA']);
    expect(replies).toEqual(Array.from({ length: 1_200 }, (_, index) => index + 1));
  });

  it('an unknown script name and a lost connection fail the calls (every call of the batch)', async () => {
    const batcher = new RedisBatcher(client, scripts);
    await expect(batcher.run('missing', [], [])).rejects.toThrow(/no batched script named missing/);
    const closed = new Redis(testRedisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });
    closed.on('error', () => undefined);
    const offline = new RedisBatcher(closed, scripts);
    const results = await Promise.allSettled([
      offline.run('incr', [key('offline')], [1]),
      offline.run('incr', [key('offline')], [1]),
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    closed.disconnect();
  });

  it('reads the server time once per batch: every call of a turn sees the same instant', async () => {
    const batcher = new RedisBatcher(client, scripts);
    const first = await Promise.all(Array.from({ length: 5 }, () => batcher.run('time', [], [])));
    expect(new Set(first).size).toBe(1);
    const [later] = await Promise.all([batcher.run('time', [], [])]);
    expect(Number(later)).toBeGreaterThan(Number(first[0]));
  });
});
