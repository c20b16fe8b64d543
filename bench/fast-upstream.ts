/**
 * A fast OpenAI-style upstream for the benchmark: answers /v1/chat/completions at once (JSON) or as
 * an SSE stream of `chunks` chunks `gapMs` apart (a stream of more than 1,000 chunks is sent in 1,000
 * writes of several chunks, so it lasts 1,000 gaps at most), and /v1/embeddings with one fixed 1536-dimension vector. Run as its own process so its CPU is not counted
 * against the proxy under test: `node bench/fast-upstream.ts [--port N] [--chunks 64] [--gap-ms 20]`.
 * Prints `listening <port>` on stdout once ready.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    chunks: { type: 'string', default: '64' },
    'gap-ms': { type: 'string', default: '20' },
    'latency-ms': { type: 'string', default: '0' },
  },
});
const chunks = Number(values.chunks);
const gapMs = Number(values['gap-ms']);
const latencyMs = Number(values['latency-ms']);

const completion = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'bench-model',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello from the bench upstream.' },
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
});

/** The same vector for every input: the semantic cache benchmark's hits have similarity 1. */
const embedding = JSON.stringify({
  object: 'list',
  data: [
    { object: 'embedding', index: 0, embedding: Array.from({ length: 1536 }, (_, i) => ((i % 7) - 3) / 10) },
  ],
  model: 'bench-embed',
  usage: { prompt_tokens: 8, total_tokens: 8 },
});

function chunk(delta: object, finish: string | null): string {
  return `data: ${JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'bench-model',
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;
}

/** A stream is paced over at most this many ticks: a longer one sends several chunks per write. */
const maxTicks = 1000;

/** Streams `count` content chunks (the request's max_tokens when it asks for fewer than --chunks). */
function stream(res: ServerResponse, count: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(chunk({ role: 'assistant', content: '' }, null));
  const perTick = Math.ceil(count / maxTicks);
  let sent = 0;
  const timer = setInterval(() => {
    if (res.destroyed) {
      clearInterval(timer);
      return;
    }
    if (sent < count) {
      let text = '';
      for (const last = Math.min(count, sent + perTick); sent < last;) {
        sent += 1;
        text += chunk({ content: `tok${sent} ` }, null);
      }
      res.write(text);
      return;
    }
    clearInterval(timer);
    res.write(chunk({}, 'stop'));
    res.write(
      `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'bench-model', choices: [], usage: { prompt_tokens: 12, completion_tokens: count, total_tokens: 12 + count } })}\n\n`,
    );
    res.end('data: [DONE]\n\n');
  }, gapMs);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (part: Buffer) => parts.push(part));
  req.on('end', () => {
    const body = Buffer.concat(parts).toString('utf8');
    const wantsStream = body.includes('"stream":true');
    const respond = (): void => {
      if (req.url?.endsWith('/embeddings') === true) {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(embedding),
        });
        res.end(embedding);
        return;
      }
      if (wantsStream) {
        const asked = /"max_(?:completion_)?tokens":(\d+)/.exec(body)?.[1];
        stream(res, Math.min(chunks, asked === undefined ? chunks : Number(asked)));
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(completion),
      });
      res.end(completion);
    };
    if (latencyMs > 0) setTimeout(respond, latencyMs);
    else respond();
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
});
