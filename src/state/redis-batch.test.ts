import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteKeysWithPrefix,
  testRedisUrl,
  uniquePrefix,
} from '../../test/support/state/redis-test-support.ts';
import { RedisBatcher, encodeCalls } from './redis-batch.ts';

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
  // every argument back, with its type and how many there were
  echo: `local out = {tostring(#ARGV)} for i = 1, #ARGV do out[#out + 1] = type(ARGV[i]) .. ':' .. ARGV[i] end return out`,
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

  it('hands each script its arguments as the strings a separate Redis argument would carry', async () => {
    const batcher = new RedisBatcher(client, scripts);
    const awkward = [
      'quote " backslash \\ slash / newline \n tab \t',
      'nul \u0000 and \u001f controls',
      'é 中文 😀 \u2028',
      '',
      '{"json": [1, 2]}',
    ];
    const numbers = [0, -1, 1.5, 0.1 + 0.2, 1796624724973, 1e21, -0.000001, Infinity, -Infinity, Number.NaN];
    const [strings, numeric, none] = await Promise.all([
      batcher.run('echo', [], awkward),
      batcher.run('echo', [], numbers),
      batcher.run('echo', [], []),
    ]);
    // What ioredis would have sent for each as its own argument: the string itself, String(n).
    expect(strings).toEqual([String(awkward.length), ...awkward.map((text) => `string:${text}`)]);
    expect(numeric).toEqual([String(numbers.length), ...numbers.map((n) => `string:${String(n)}`)]);
    expect(none).toEqual(['0']);
  });

  it('a lone surrogate reaches the script as U+FFFD (as UTF-8 encoding a separate argument makes it)', async () => {
    const batcher = new RedisBatcher(client, scripts);
    const reply = await batcher.run('echo', [], ['a\ud800b', '\udfff', 'ok \ud83d\ude00']);
    expect(reply).toEqual(['3', 'string:a\ufffdb', 'string:\ufffd', 'string:ok 😀']);
    expect(encodeCalls([{ script: 1, keys: ['k'], args: ['x\ud800', 2] }])).toBe('[[1,1,["x\ufffd","2"]]]');
  });
});
