import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatResponse } from '../../core/chat-response.ts';
import type { EmbeddingResponse } from '../../core/embedding.ts';
import type { ModelInfo } from '../../core/model-info.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import type { GatewayError } from '../../errors/gateway-error.ts';
import type { ChatRouteParams, Dialect, DialectRoute, ParsedChat } from '../dialect.ts';
import { matchPattern, pathPattern } from '../dialect-path.ts';

// The server the dialect contract (src/dialects/dialect.contract.ts) points each official SDK at.
/** The route serving `method path`, with the model its path names (the edge's matching, in small). */
function routeFor(
  routes: readonly DialectRoute[],
  method: string | undefined,
  path: string,
): { route: DialectRoute; params: ChatRouteParams } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    if (route.operation === 'get-model') {
      if (path.startsWith(route.path)) return { route, params: {} };
      continue;
    }
    const pattern = pathPattern(route.path);
    const model = pattern === undefined ? undefined : matchPattern(pattern, path);
    if (pattern === undefined ? route.path === path : model !== undefined)
      return { route, params: { model, stream: route.stream } };
  }
  return undefined;
}

/** What the server answers the next SDK call with. */
export type Script =
  | { readonly kind: 'answer'; readonly response: ChatResponse }
  | { readonly kind: 'stream'; readonly events: readonly ChatStreamEvent[]; readonly failWith?: GatewayError }
  | { readonly kind: 'error'; readonly error: GatewayError }
  | { readonly kind: 'models'; readonly models: readonly ModelInfo[] }
  | { readonly kind: 'embeddings'; readonly response: EmbeddingResponse };

/** The creation time (epoch seconds) every rendered answer carries. */
export const created = 1_700_000_000;

/** A server speaking only `dialect`: it parses what the SDK sends and answers with the script. */
export class DialectServer {
  script: Script | undefined;
  /** Requests the SDK made to paths the dialect does not serve. */
  readonly strayPaths: string[] = [];
  /** The chat requests the SDK sent, as the dialect parsed them. */
  readonly parsed: ParsedChat[] = [];
  private readonly server: Server;
  private readonly dialect: Dialect;
  origin = '';

  constructor(dialect: Dialect) {
    this.dialect = dialect;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.answer(req, res, Buffer.concat(chunks).toString('utf8'));
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }

  private answer(req: IncomingMessage, res: ServerResponse, text: string): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const matched = routeFor(this.dialect.routes, req.method, path);
    const script = this.script;
    if (matched === undefined || script === undefined) {
      this.strayPaths.push(`${req.method ?? ''} ${path}`);
      res.writeHead(418).end();
      return;
    }
    if (script.kind === 'error') {
      const rendered = this.dialect.renderError(script.error);
      res.writeHead(rendered.status, { ...rendered.headers, 'content-type': 'application/json' });
      res.end(rendered.body);
      return;
    }
    if (script.kind === 'models') {
      const body = this.dialect.models?.renderList(script.models, created * 1000) ?? '';
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    if (script.kind === 'embeddings') {
      const codec = this.dialect.embeddings;
      if (codec === undefined || matched.route.operation !== 'embeddings')
        throw new Error('not an embeddings route');
      const body = codec.render(script.response, codec.parse(JSON.parse(text)));
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    const parsed = this.dialect.parseChat(JSON.parse(text), matched.params);
    this.parsed.push(parsed);
    if (script.kind === 'answer') {
      const body = this.dialect.renderChat(script.response, parsed.request.model, created, parsed);
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    const renderer = this.dialect.createStreamRenderer(parsed, 'req_contract', created);
    const contentType = this.dialect.streamContentType ?? 'text/event-stream';
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache' });
    for (const event of script.events) res.write(renderer.event(event));
    res.end(script.failWith === undefined ? renderer.end() : renderer.error(script.failWith));
  }
}
