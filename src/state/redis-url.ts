import { GatewayError } from '../errors/gateway-error.ts';

/*
 * `state.redis_url`: its forms, parsing and redaction. Apart from redis-connection.ts so that the
 * config checks and a gateway without Redis do not load ioredis (its code is ~2 MB of live heap).
 */

/** One Redis (or Sentinel) node address. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/**
 * Where Redis is, parsed from `state.redis_url`. URL convention:
 *
 * - `redis://[user[:password]@]host[:port][/db]`, `rediss://...` (TLS): one server.
 * - `redis+cluster://[user[:password]@]host1:port1,host2:port2` (or `rediss+cluster://`): Redis
 *   Cluster, the hosts are seed nodes.
 * - `redis+sentinel://[user[:password]@]host1:26379,host2:26379/masterName[/db][?sentinel_password=x]`
 *   (or `rediss+sentinel://`): the master named `masterName`, found through the sentinels; the
 *   credentials are the master's.
 */
export type RedisTarget =
  | { readonly kind: 'standalone'; readonly url: string }
  | {
      readonly kind: 'cluster';
      readonly nodes: readonly RedisNode[];
      readonly username: string | undefined;
      readonly password: string | undefined;
      readonly tls: boolean;
    }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly RedisNode[];
      readonly masterName: string;
      readonly db: number;
      readonly username: string | undefined;
      readonly password: string | undefined;
      readonly sentinelPassword: string | undefined;
      readonly tls: boolean;
    };

const urlPattern =
  /^(redis|rediss)(?:\+(cluster|sentinel))?:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]+)(\/[^?]*)?(?:\?(.*))?$/;

function invalidUrl(url: string, why: string): GatewayError {
  return new GatewayError(`invalid state.redis_url ${redact(url)}: ${why}`, {
    code: 'internal_error',
    param: 'state.redis_url',
  });
}

/** The URL with its password replaced by `***`, for logs and errors. */
export function redact(url: string): string {
  return url.replace(/^([a-z+]+:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

function parseNodes(url: string, hosts: string, defaultPort: number): RedisNode[] {
  return hosts.split(',').map((part) => {
    const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(part.trim());
    if (match === null) throw invalidUrl(url, `bad host "${part}"`);
    const host = match[1] ?? match[2] ?? '';
    const port = match[3] === undefined ? defaultPort : Number(match[3]);
    if (port < 1 || port > 65_535) throw invalidUrl(url, `bad port in "${part}"`);
    return { host, port };
  });
}

function decode(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : decodeURIComponent(value);
}

/** Parses a Redis URL (see RedisTarget for the forms); throws a GatewayError naming the config path. */
export function parseRedisUrl(url: string): RedisTarget {
  const match = urlPattern.exec(url.trim());
  if (match === null)
    throw invalidUrl(url, 'expected redis://, rediss://, redis+cluster:// or redis+sentinel://');
  const [, scheme, mode, user, password, hosts = '', path = '', query = ''] = match;
  const tls = scheme === 'rediss';
  if (mode === undefined) {
    if (hosts.includes(','))
      throw invalidUrl(url, 'several hosts need redis+cluster:// or redis+sentinel://');
    return { kind: 'standalone', url: url.trim() };
  }
  if (mode === 'cluster') {
    if (path !== '' && path !== '/') throw invalidUrl(url, 'a cluster URL has no database path');
    return {
      kind: 'cluster',
      nodes: parseNodes(url, hosts, 6379),
      username: decode(user),
      password: decode(password),
      tls,
    };
  }
  const segments = path.split('/').filter((segment) => segment !== '');
  const [masterName, dbText] = segments;
  if (masterName === undefined || segments.length > 2) {
    throw invalidUrl(url, 'a sentinel URL names the master: redis+sentinel://host:26379/masterName[/db]');
  }
  const db = dbText === undefined ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw invalidUrl(url, `bad database "${dbText ?? ''}"`);
  const params = new URLSearchParams(query);
  return {
    kind: 'sentinel',
    sentinels: parseNodes(url, hosts, 26_379),
    masterName: decodeURIComponent(masterName),
    db,
    username: decode(user),
    password: decode(password),
    sentinelPassword: params.get('sentinel_password') ?? undefined,
    tls,
  };
}
