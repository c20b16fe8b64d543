import type { Dialect } from '../core/dialect-name.ts';

/** The built-in routes of the edge. */
export type RouteName = 'chat' | 'messages' | 'embeddings' | 'models' | 'model' | 'live' | 'ready';

export interface EdgeRoute {
  /** Which handler serves it. */
  readonly name: RouteName;
  /** The one method it accepts (others get 405 with Allow). */
  readonly method: 'GET' | 'POST';
  /** The dialect the route speaks; undefined: the client's (Anthropic when it sends anthropic-version). */
  readonly dialect: Dialect | undefined;
}

const routes = new Map<string, EdgeRoute>([
  ['/v1/chat/completions', { name: 'chat', method: 'POST', dialect: 'openai' }],
  ['/chat/completions', { name: 'chat', method: 'POST', dialect: 'openai' }],
  ['/v1/embeddings', { name: 'embeddings', method: 'POST', dialect: 'openai' }],
  ['/v1/messages', { name: 'messages', method: 'POST', dialect: 'anthropic' }],
  ['/v1/models', { name: 'models', method: 'GET', dialect: undefined }],
  ['/health/live', { name: 'live', method: 'GET', dialect: 'openai' }],
  ['/health/ready', { name: 'ready', method: 'GET', dialect: 'openai' }],
]);

const modelRoute: EdgeRoute = { name: 'model', method: 'GET', dialect: undefined };

/** The prefix of GET /v1/models/{id}. */
export const modelPathPrefix = '/v1/models/';

/** The route serving a path (query string already removed), or undefined for a 404. */
export function matchRoute(path: string): EdgeRoute | undefined {
  const exact = routes.get(path);
  if (exact !== undefined) return exact;
  if (path.length > modelPathPrefix.length && path.startsWith(modelPathPrefix)) return modelRoute;
  return undefined;
}
