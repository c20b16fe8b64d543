/**
 * The ceiling the gateway is measured against (docs/performance.md, which overhead): a node:http server that
 * forwards each request to the upstream with an undici Pool, bodies buffered (SSE streamed through),
 * headers copied, nothing else. `node bench/noop-proxy.ts --upstream http://127.0.0.1:PORT [--port N]`; prints `listening <port>`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, upstream: { type: 'string' } },
});
if (values.upstream === undefined) throw new Error('--upstream is required');
const upstream = new URL(values.upstream);
const pool = new Pool(upstream.origin, { connections: 512, pipelining: 1, keepAliveTimeout: 60_000 });

const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length']);

function handle(req: IncomingMessage, res: ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (part: Buffer) => parts.push(part));
  req.on('end', () => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !hopByHop.has(name)) headers[name] = value;
    }
    pool
      .request({ method: 'POST', path: req.url ?? '/', headers, body: Buffer.concat(parts) })
      .then(async (answer) => {
        const out: Record<string, string | number> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (typeof value === 'string' && !hopByHop.has(name)) out[name] = value;
        }
        if (answer.headers['content-type'] === 'text/event-stream') {
          res.writeHead(answer.statusCode, out);
          for await (const part of answer.body) res.write(part as Buffer);
          res.end();
          return;
        }
        // A complete answer is buffered and sent with its length in one write, as the gateway does
        // (streaming it chunked costs a second packet per response and would flatter the gateway).
        const body = Buffer.from(await answer.body.arrayBuffer());
        out['content-length'] = body.length;
        res.writeHead(answer.statusCode, out);
        res.end(body);
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
  });
}

const server = createServer({ keepAliveTimeout: 60_000, noDelay: true }, handle);
// The gateway's backlog (src/server/http-server.ts): a burst of thousands of connects is not dropped here either.
server.listen({ port: Number(values.port), host: '127.0.0.1', backlog: 4096 }, () => {
  const address = server.address();
  if (address !== null && typeof address === 'object') process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.close();
});
