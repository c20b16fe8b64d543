import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { encodeFrame } from '../../src/providers/bedrock/event-stream-framer.ts';
import type { GatewayConfigInput } from './gateway-config.ts';

/**
 * A loopback upstream that misbehaves on purpose, for the chaos tests. It speaks just enough of
 * OpenAI, Anthropic and Bedrock Converse to look real; the deployment's model id names the
 * behaviour (`reset-before-headers`, `hang`, ...), so one server serves every scenario. Each
 * request is recorded, with whether the gateway closed it before the answer ended.
 */

export type Wire = 'openai' | 'anthropic' | 'bedrock';

/** Gateway providers named `openai`, `anthropic` and `bedrock`, each speaking its wire to `url`. */
export function hostileProviders(url: string): NonNullable<GatewayConfigInput['providers']> {
  return {
    openai: { type: 'openai', base_url: `${url}/v1`, api_key: 'sk-upstream' },
    anthropic: { type: 'anthropic', base_url: url, api_key: 'sk-upstream' },
    bedrock: {
      type: 'bedrock',
      region: 'us-east-1',
      endpoint: url,
      credentials: { access_key_id: 'AKIAHOSTILEEXAMPLE', secret_access_key: 'hostile-secret' },
    },
  };
}

export interface HostileExchange {
  readonly wire: Wire;
  readonly scenario: string;
  readonly stream: boolean;
  /** True once the gateway's side of the socket closed before the response finished. */
  abortedByClient: boolean;
}

export interface HostileUpstream {
  readonly url: string;
  readonly exchanges: HostileExchange[];
  /** Sockets currently open to the server. */
  openSockets(): number;
  /** Adds (or replaces) a scenario. */
  define(name: string, behaviour: Behaviour): void;
  close(): Promise<void>;
}

export interface ScenarioContext {
  readonly wire: Wire;
  readonly stream: boolean;
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly exchange: HostileExchange;
  /** The request body as received. */
  readonly body: Buffer;
}

export type Behaviour = (context: ScenarioContext) => void | Promise<void>;

export function okJson(wire: Wire, text = 'hello'): unknown {
  switch (wire) {
    case 'openai':
      return {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      };
    case 'anthropic':
      return {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'm',
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 3, output_tokens: 1 },
      };
    case 'bedrock':
      return {
        output: { message: { role: 'assistant', content: [{ text }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 },
        metrics: { latencyMs: 1 },
      };
  }
}

/**
 * The stream of `wire` as byte chunks: a start, `count` text deltas (`w0 `, `w1 `, ..., or the
 * given `texts`), then the end (unless `end` is false).
 */
export function streamChunks(
  wire: Wire,
  count: number,
  options: { end?: boolean; start?: boolean; texts?: readonly string[] } = {},
): Buffer[] {
  const end = options.end ?? true;
  const start = options.start ?? true;
  const texts = options.texts;
  if (texts !== undefined) count = texts.length;
  const word = (index: number): string => texts?.[index] ?? `w${index} `;
  const chunks: Buffer[] = [];
  const sse = (data: unknown, event?: string): Buffer =>
    Buffer.from(`${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`);
  switch (wire) {
    case 'openai': {
      const chunk = (delta: unknown, finish: string | null = null): unknown => ({
        id: 'chatcmpl-1',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'm',
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
      if (start) chunks.push(sse(chunk({ role: 'assistant', content: '' })));
      for (let index = 0; index < count; index += 1) chunks.push(sse(chunk({ content: word(index) })));
      if (end) {
        chunks.push(sse(chunk({}, 'stop')));
        chunks.push(
          sse({
            id: 'chatcmpl-1',
            object: 'chat.completion.chunk',
            created: 1,
            model: 'm',
            choices: [],
            usage: { prompt_tokens: 3, completion_tokens: count, total_tokens: 3 + count },
          }),
        );
        chunks.push(Buffer.from('data: [DONE]\n\n'));
      }
      break;
    }
    case 'anthropic': {
      if (start) {
        chunks.push(
          sse(
            {
              type: 'message_start',
              message: {
                id: 'msg_1',
                type: 'message',
                role: 'assistant',
                model: 'm',
                content: [],
                stop_reason: null,
                stop_sequence: null,
                usage: { input_tokens: 3, output_tokens: 0 },
              },
            },
            'message_start',
          ),
        );
        chunks.push(
          sse(
            { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
            'content_block_start',
          ),
        );
      }
      for (let index = 0; index < count; index += 1)
        chunks.push(
          sse(
            { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: word(index) } },
            'content_block_delta',
          ),
        );
      if (end) {
        chunks.push(sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'));
        chunks.push(
          sse(
            {
              type: 'message_delta',
              delta: { stop_reason: 'end_turn', stop_sequence: null },
              usage: { output_tokens: count },
            },
            'message_delta',
          ),
        );
        chunks.push(sse({ type: 'message_stop' }, 'message_stop'));
      }
      break;
    }
    case 'bedrock': {
      if (start) chunks.push(bedrockEvent('messageStart', { role: 'assistant' }));
      for (let index = 0; index < count; index += 1)
        chunks.push(
          bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: word(index) } }),
        );
      if (end) {
        chunks.push(bedrockEvent('contentBlockStop', { contentBlockIndex: 0 }));
        chunks.push(bedrockEvent('messageStop', { stopReason: 'end_turn' }));
        chunks.push(
          bedrockEvent('metadata', {
            usage: { inputTokens: 3, outputTokens: count, totalTokens: 3 + count },
            metrics: { latencyMs: 1 },
          }),
        );
      }
      break;
    }
  }
  return chunks;
}

export function bedrockEvent(type: string, payload: unknown): Buffer {
  return Buffer.from(
    encodeFrame({
      headers: {
        ':event-type': { type: 'string', value: type },
        ':content-type': { type: 'string', value: 'application/json' },
        ':message-type': { type: 'string', value: 'event' },
      },
      body: new TextEncoder().encode(JSON.stringify({ ...(payload as object), p: 'abcd' })),
    }),
  );
}

export function streamContentType(wire: Wire): string {
  return wire === 'bedrock' ? 'application/vnd.amazon.eventstream' : 'text/event-stream';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The built-in scenarios. */
export const behaviours: Record<string, Behaviour> = {
  ok: ({ wire, stream, response }) => {
    if (stream) {
      response.writeHead(200, { 'content-type': streamContentType(wire) });
      for (const chunk of streamChunks(wire, 3)) response.write(chunk);
      response.end();
    } else {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(okJson(wire)));
    }
  },
  hang: () => undefined,
  'reset-before-headers': ({ request }) => {
    request.socket.destroy();
  },
  'reset-after-headers': ({ wire, stream, response }) => {
    response.writeHead(200, { 'content-type': stream ? streamContentType(wire) : 'application/json' });
    response.flushHeaders();
    setTimeout(() => response.socket?.destroy(), 20);
  },
  'reset-mid-body': ({ wire, response }) => {
    const text = JSON.stringify(okJson(wire));
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(text.length) });
    response.write(text.slice(0, 20));
    setTimeout(() => response.socket?.destroy(), 20);
  },
  'json-instead-of-stream': ({ response }) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"message":"not a stream"}');
  },
  'invalid-json': ({ response }) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "x", oops');
  },
  'wrong-shape': ({ response }) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"foo": [1, 2, 3]}');
  },
  'html-200': ({ response }) => {
    response
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<html><body>Welcome to nginx</body></html>');
  },
  'html-502': ({ response }) => {
    response.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
  },
  'empty-200': ({ response }) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': '0' }).end();
  },
  'empty-200-stream': ({ wire, response }) => {
    response.writeHead(200, { 'content-type': streamContentType(wire) }).end();
  },
  'stream-no-end': ({ wire, response }) => {
    response.writeHead(200, { 'content-type': streamContentType(wire) });
    for (const chunk of streamChunks(wire, 3, { end: false })) response.write(chunk);
    response.end();
  },
  'stream-reset-before-content': ({ wire, response }) => {
    response.writeHead(200, { 'content-type': streamContentType(wire) });
    for (const chunk of streamChunks(wire, 0, { end: false })) response.write(chunk);
    setTimeout(() => response.socket?.destroy(), 20);
  },
  'stream-reset-after-chunks': ({ wire, response }) => {
    response.writeHead(200, { 'content-type': streamContentType(wire) });
    for (const chunk of streamChunks(wire, 3, { end: false })) response.write(chunk);
    setTimeout(() => response.socket?.destroy(), 50);
  },
  'stream-idle-after-chunks': ({ wire, response }) => {
    response.writeHead(200, { 'content-type': streamContentType(wire) });
    for (const chunk of streamChunks(wire, 2, { end: false })) response.write(chunk);
  },
  'stream-hang-after-headers': ({ wire, response }) => {
    response.writeHead(200, { 'content-type': streamContentType(wire) });
    response.flushHeaders();
  },
  'bad-crc': ({ response }) => {
    response.writeHead(200, { 'content-type': streamContentType('bedrock') });
    response.write(bedrockEvent('messageStart', { role: 'assistant' }));
    const bad = bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } });
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
    response.end(bad);
  },
  'bad-crc-later': ({ response }) => {
    response.writeHead(200, { 'content-type': streamContentType('bedrock') });
    for (const chunk of streamChunks('bedrock', 2, { end: false })) response.write(chunk);
    const bad = bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } });
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
    response.end(bad);
  },
  'truncated-frame': ({ response }) => {
    response.writeHead(200, { 'content-type': streamContentType('bedrock') });
    for (const chunk of streamChunks('bedrock', 2, { end: false })) response.write(chunk);
    const frame = bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } });
    response.end(frame.subarray(0, frame.length - 5));
  },
  'retry-after-huge': ({ response }) => {
    response
      .writeHead(429, { 'content-type': 'application/json', 'retry-after': '99999' })
      .end('{"error":{"message":"slow down"}}');
  },
  'retry-after-negative-ms': ({ response }) => {
    response
      .writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': '-5' })
      .end('{"error":{"message":"slow down"}}');
  },
  'retry-after-date': ({ response }) => {
    response
      .writeHead(429, {
        'content-type': 'application/json',
        'retry-after': new Date(Date.now() + 3_600_000).toUTCString(),
      })
      .end('{"error":{"message":"slow down"}}');
  },
  huge: ({ wire, response }) => {
    const text = 'x'.repeat(40 * 1024 * 1024);
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(okJson(wire, text)));
  },
  'huge-error': ({ response }) => {
    response.writeHead(500, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(1024 * 1024, 'e');
    let sent = 0;
    const pump = (): void => {
      while (sent < 40) {
        sent += 1;
        if (!response.write(chunk)) {
          response.once('drain', pump);
          return;
        }
      }
      response.end();
    };
    pump();
  },
  'endless-error': ({ response }) => {
    // A 500 whose body goes on and on: 1 MiB at once, then a trickle that never ends.
    response.writeHead(500, { 'content-type': 'text/html' });
    response.write(Buffer.alloc(1024 * 1024, 'e'));
    const timer = setInterval(() => response.write('e'), 50);
    response.on('close', () => {
      clearInterval(timer);
    });
  },
  'slow-drip': async ({ wire, response }) => {
    const text = JSON.stringify(okJson(wire));
    response.writeHead(200, { 'content-type': 'application/json' });
    for (const character of text) {
      if (response.destroyed) return;
      response.write(character);
      await sleep(10);
    }
    response.end();
  },
  gzip: ({ wire, stream, response }) => {
    const body = stream ? Buffer.concat(streamChunks(wire, 3)) : Buffer.from(JSON.stringify(okJson(wire)));
    response
      .writeHead(200, {
        'content-type': stream ? streamContentType(wire) : 'application/json',
        'content-encoding': 'gzip',
      })
      .end(gzipSync(body));
  },
  'chunked-odd': async ({ wire, stream, response }) => {
    // One byte per chunk, including chunks splitting multi-byte sequences.
    const body = stream
      ? Buffer.concat(streamChunks(wire, 3))
      : Buffer.from(JSON.stringify(okJson(wire, 'héllo 😀')));
    response.writeHead(200, { 'content-type': stream ? streamContentType(wire) : 'application/json' });
    for (let index = 0; index < body.length; index += 1) {
      response.write(body.subarray(index, index + 1));
      if (index % 64 === 0) await sleep(1);
    }
    response.end();
  },
};

function wireOf(path: string): { wire: Wire; model: string | undefined; stream: boolean | undefined } {
  const bedrock = /\/model\/([^/]+)\/(converse|converse-stream)$/.exec(path);
  if (bedrock !== null)
    return {
      wire: 'bedrock',
      model: decodeURIComponent(bedrock[1] ?? ''),
      stream: bedrock[2] === 'converse-stream',
    };
  if (path.endsWith('/messages')) return { wire: 'anthropic', model: undefined, stream: undefined };
  return { wire: 'openai', model: undefined, stream: undefined };
}

export async function startHostileUpstream(): Promise<HostileUpstream> {
  const exchanges: HostileExchange[] = [];
  const scenarios: Record<string, Behaviour> = { ...behaviours };
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const route = wireOf(request.url ?? '');
      let model = route.model;
      let stream = route.stream ?? false;
      if (route.wire !== 'bedrock') {
        try {
          const parsed = JSON.parse(body.toString('utf8')) as {
            model?: string;
            stream?: boolean;
          };
          model = parsed.model;
          stream = parsed.stream === true;
        } catch {
          model = undefined;
        }
      }
      const scenario = model ?? 'ok';
      const exchange: HostileExchange = { wire: route.wire, scenario, stream, abortedByClient: false };
      exchanges.push(exchange);
      response.on('close', () => {
        if (!response.writableFinished) exchange.abortedByClient = true;
      });
      const behaviour = scenarios[scenario] ?? scenarios['ok'];
      void Promise.resolve(
        behaviour?.({ wire: route.wire, stream, request, response, exchange, body }),
      ).catch(() => response.destroy());
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    openSockets: () => sockets.size,
    define(name, behaviour) {
      scenarios[name] = behaviour;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}
