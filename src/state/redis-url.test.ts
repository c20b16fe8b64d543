import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.ts';
import { parseRedisUrl, redact } from './redis-url.ts';

describe('parseRedisUrl', () => {
  it('passes a single-server URL through to ioredis', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379/2')).toEqual({
      kind: 'standalone',
      url: 'redis://127.0.0.1:6379/2',
    });
    expect(parseRedisUrl('rediss://user:secret@cache.example:6380')).toMatchObject({ kind: 'standalone' });
  });

  it('reads a cluster URL as seed nodes with credentials and TLS', () => {
    expect(parseRedisUrl('rediss+cluster://app:p%40ss@10.0.0.1:7000,10.0.0.2,[::1]:7002')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 6379 },
        { host: '::1', port: 7002 },
      ],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
  });

  it('reads a sentinel URL as sentinels, master name and database', () => {
    expect(parseRedisUrl('redis+sentinel://:secret@s1:26380,s2/mymaster/3?sentinel_password=s3cr3t')).toEqual(
      {
        kind: 'sentinel',
        sentinels: [
          { host: 's1', port: 26380 },
          { host: 's2', port: 26379 },
        ],
        masterName: 'mymaster',
        db: 3,
        username: undefined,
        password: 'secret',
        sentinelPassword: 's3cr3t',
        tls: false,
      },
    );
  });

  it.each([
    ['http://127.0.0.1:6379', 'expected redis://'],
    ['redis://a:1,b:2', 'several hosts'],
    ['redis+sentinel://s1:26379', 'names the master'],
    ['redis+cluster://a:99999', 'bad port'],
    ['redis+sentinel://s1/master/x', 'bad database'],
  ])('refuses %s, naming the config path', (url, why) => {
    let thrown: unknown;
    try {
      parseRedisUrl(url);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect((thrown as GatewayError).param).toBe('state.redis_url');
    expect((thrown as GatewayError).message).toContain(why);
  });

  it('keeps passwords out of messages', () => {
    expect(redact('redis://user:secret@host:6379')).toBe('redis://user:***@host:6379');
    expect(() => parseRedisUrl('http://user:secret@host')).toThrow(/^(?!.*secret)/);
  });
});
