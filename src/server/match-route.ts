import type {
  ChatRouteParams,
  Dialect,
  DialectRoute,
  EmbeddingsCodec,
  ModelsRenderer,
  RequestHeaders,
  TokenCountCodec,
} from '../dialects/dialect.ts';
import { matchPattern, pathPattern, type PathPattern } from '../dialects/dialect-path.ts';

/** A route of the edge: a dialect's route with what its operation needs, or a health check. */
export type EdgeRoute =
  | (DialectEdgeRoute<'chat'> & {
      /** The path's `{model}` segment, when it has one. */
      readonly pattern: PathPattern | undefined;
      /** The route's `stream` (DialectRoute.stream). */
      readonly stream: boolean | undefined;
      /** The route's `anyContentType` (DialectRoute.anyContentType). */
      readonly anyContentType: boolean | undefined;
    })
  | (DialectEdgeRoute<'embeddings'> & { readonly embeddings: EmbeddingsCodec })
  | (DialectEdgeRoute<'count-tokens'> & {
      readonly countTokens: TokenCountCodec;
      /** The path's `{model}` segment, when it has one (Bedrock's /model/{modelId}/count-tokens). */
      readonly pattern: PathPattern | undefined;
    })
  | (DialectEdgeRoute<'list-models' | 'get-model'> & { readonly models: ModelsRenderer })
  | {
      /** The health check answered (the edge's own routes, in no dialect). */
      readonly operation: 'live' | 'ready';
      readonly method: 'GET';
      readonly path: string;
      readonly dialect: undefined;
    };

interface DialectEdgeRoute<Operation extends DialectRoute['operation']> {
  /** What the edge does for it. */
  readonly operation: Operation;
  /** The one method it accepts (others get 405 with Allow). */
  readonly method: 'GET' | 'POST';
  /** The path, or for `get-model` the prefix the model id follows. */
  readonly path: string;
  /** The dialect that parses, renders and words the errors of this route. */
  readonly dialect: Dialect;
}

/** The routes of the edge, built once from the dialect registry. */
export interface RouteTable {
  /**
   * The route serving a path (query string removed), or undefined for a 404. Where several dialects
   * serve the path, the one claiming the request by its headers, else the first registered.
   */
  match(path: string, headers: RequestHeaders): EdgeRoute | undefined;
  /** The dialect a request is answered in when no dialect route names one: the claimant, else the first. */
  dialectFor(headers: RequestHeaders): Dialect;
}

const healthRoutes: readonly EdgeRoute[] = [
  { operation: 'live', method: 'GET', path: '/health/live', dialect: undefined },
  { operation: 'ready', method: 'GET', path: '/health/ready', dialect: undefined },
];

function toEdgeRoute(dialect: Dialect, route: DialectRoute): EdgeRoute {
  const base = { method: route.method, path: route.path, dialect };
  switch (route.operation) {
    case 'chat':
      return {
        ...base,
        operation: 'chat',
        pattern: pathPattern(route.path),
        stream: route.stream,
        anyContentType: route.anyContentType,
      };
    case 'embeddings':
      if (dialect.embeddings === undefined)
        throw new Error(`dialect ${dialect.name} serves ${route.path} but has no embeddings codec`);
      return { ...base, operation: 'embeddings', embeddings: dialect.embeddings };
    case 'count-tokens':
      if (dialect.countTokens === undefined)
        throw new Error(`dialect ${dialect.name} serves ${route.path} but has no token-count codec`);
      return {
        ...base,
        operation: 'count-tokens',
        countTokens: dialect.countTokens,
        pattern: pathPattern(route.path),
      };
    case 'list-models':
    case 'get-model':
      if (dialect.models === undefined)
        throw new Error(`dialect ${dialect.name} serves ${route.path} but has no models renderer`);
      if (route.operation === 'get-model' && !route.path.endsWith('/'))
        throw new Error(`dialect ${dialect.name}: the get-model path ${route.path} must end with /`);
      return { ...base, operation: route.operation, models: dialect.models };
  }
}

function choose(candidates: readonly EdgeRoute[], headers: RequestHeaders): EdgeRoute | undefined {
  // The usual case, one dialect on the path, asks no claims and allocates nothing.
  if (candidates.length === 1) return candidates[0];
  for (const candidate of candidates) if (candidate.dialect?.claims(headers) === true) return candidate;
  return candidates[0];
}

function addTo(table: Map<string, EdgeRoute[]>, route: EdgeRoute): void {
  const list = table.get(route.path);
  if (list === undefined) table.set(route.path, [route]);
  else list.push(route);
}

/** Builds the edge's routes from the dialects (registry order) and the health checks. */
export function createRouteTable(dialects: readonly Dialect[]): RouteTable {
  const fallback = dialects[0];
  if (fallback === undefined) throw new Error('the edge needs at least one dialect');
  const names = new Set<string>();
  const exact = new Map<string, EdgeRoute[]>();
  const prefixed = new Map<string, EdgeRoute[]>();
  const patterned = new Map<string, EdgeRoute[]>();
  for (const route of healthRoutes) addTo(exact, route);
  for (const dialect of dialects) {
    if (names.has(dialect.name)) throw new Error(`two dialects are named ${dialect.name}`);
    names.add(dialect.name);
    for (const route of dialect.routes) {
      const edgeRoute = toEdgeRoute(dialect, route);
      const table =
        route.operation === 'get-model'
          ? prefixed
          : 'pattern' in edgeRoute && edgeRoute.pattern !== undefined
            ? patterned
            : exact;
      addTo(table, edgeRoute);
    }
  }
  const prefixes = [...prefixed.entries()];
  const patterns = [...patterned.values()].map((routes) => {
    const first = routes[0] as EdgeRoute & { pattern: PathPattern };
    return { pattern: first.pattern, routes };
  });

  const defaultDialect: Dialect = fallback;

  function dialectFor(headers: RequestHeaders): Dialect {
    for (const dialect of dialects) if (dialect.claims(headers)) return dialect;
    return defaultDialect;
  }

  function match(path: string, headers: RequestHeaders): EdgeRoute | undefined {
    const candidates = exact.get(path);
    if (candidates !== undefined) return choose(candidates, headers);
    for (const [prefix, routes] of prefixes) {
      if (path.length > prefix.length && path.startsWith(prefix)) return choose(routes, headers);
    }
    for (const { pattern, routes } of patterns) {
      if (matchPattern(pattern, path) !== undefined) return choose(routes, headers);
    }
    return undefined;
  }

  return { match, dialectFor };
}

const noParams: ChatRouteParams = {};

/**
 * What a chat or count-tokens route's path fixed, for the dialect's parser: the `{model}` segment
 * and the route's `stream`.
 */
export function chatRouteParams(route: EdgeRoute, path: string): ChatRouteParams {
  if (route.operation === 'count-tokens')
    return route.pattern === undefined ? noParams : { model: matchPattern(route.pattern, path) };
  if (route.operation !== 'chat' || (route.pattern === undefined && route.stream === undefined))
    return noParams;
  return {
    model: route.pattern === undefined ? undefined : matchPattern(route.pattern, path),
    stream: route.stream,
  };
}
