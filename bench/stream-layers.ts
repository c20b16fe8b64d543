/**
 * CPU per relayed event on the upstream side of a stream, layer by layer:
 * `node bench/stream-layers.ts [--streams 200] [--chunks 1000] [--gap-ms 1] [--rounds 8] [--root DIR ...]`.
 *
 * The fast upstream (its own process, pinned to CPU 0) streams `--streams` SSE answers of `--chunks`
 * chunks at once, one chunk per stream every `--gap-ms`. This process (pinned to CPU 1) reads them
 * in each of the ways below, the ways alternated round after round in one process, and reports the
 * median CPU (user + system) per chunk:
 *
 * - `socket`: a raw TCP socket, bytes discarded: the kernel's and libuv's floor per read;
 * - `node:http`: Node's HTTP client, 'data' events;
 * - `undici data`: undici's Pool, 'data' events on the body;
 * - `undici for-await`: the same body through its async iterator (what the providers use);
 * - `+ SSE parse`: that, and `SseParser` (src/providers/shared/sse-parser.ts);
 * - `+ decode`: that, and `OpenAIStreamDecoder` (JSON.parse, the zod shape check, canonical events);
 * - `model stream`: `createOpenAIChatModel(...).stream()`, what the gateway's relay pulls from.
 *
 * Each `--root DIR` adds that checkout's `model stream` (its `src/`), so two versions of the
 * providers are compared in the same process and the same rounds. A comparison across processes
 * on this VM moved ±15-30% from run to run, more than the changes it was meant to judge
 * (docs/performance.md, "Eighth pass").
 */
import { connect } from 'node:net';
import { Agent, request as httpRequest } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import type { ChatModel } from '../src/core/chat-model.ts';
import type { ChatRequest } from '../src/core/chat-request.ts';
import { OpenAIStreamDecoder } from '../src/providers/openai/openai-stream-decoder.ts';
import { SseParser } from '../src/providers/shared/sse-parser.ts';
import { median } from './lib/load.ts';
import { pinToCpu, startListening } from './lib/processes.ts';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '200' },
    chunks: { type: 'string', default: '1000' },
    'gap-ms': { type: 'string', default: '1' },
    rounds: { type: 'string', default: '8' },
    root: { type: 'string', multiple: true, default: [] },
  },
});
const streams = Number(values.streams);
const chunks = Number(values.chunks);
const rounds = Number(values.rounds);

const upstream = await startListening('upstream', [
  'bench/fast-upstream.ts',
  '--chunks',
  String(chunks),
  '--gap-ms',
  values['gap-ms'],
]);
pinToCpu(upstream.child.pid, 0);
pinToCpu(process.pid, 1);
const origin = `http://127.0.0.1:${upstream.port}`;
const body = JSON.stringify({
  model: 'bench-model',
  stream: true,
  max_tokens: chunks,
  messages: [{ role: 'user', content: 'hi' }],
});
const path = '/v1/chat/completions';
const pool = new Pool(origin);
const agent = new Agent({ keepAlive: true });
const chatRequest: ChatRequest = {
  model: 'bench-model',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
  maxTokens: chunks,
  stream: true,
};

async function openModel(root: string): Promise<ChatModel> {
  const file = resolve(root, 'src/providers/openai/openai-chat-model.ts');
  const module = (await import(
    pathToFileURL(file).href
  )) as typeof import('../src/providers/openai/openai-chat-model.ts');
  return module.createOpenAIChatModel({
    providerName: 'bench',
    config: { base_url: `${origin}/v1`, api_key: 'bench' },
    modelId: 'bench-model',
  });
}

async function undiciBody(): Promise<AsyncIterable<Buffer> & NodeJS.ReadableStream> {
  const response = await pool.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body,
  });
  return response.body as AsyncIterable<Buffer> & NodeJS.ReadableStream;
}

/**
 * Reads one whole stream; resolves with the number of content chunks it counted (the raw readers,
 * which do not parse, count the `--chunks` the upstream sent once the body ended).
 */
type Reader = () => Promise<number>;

const readers: [string, Reader][] = [
  [
    'socket',
    () =>
      new Promise((resolvePromise, reject) => {
        const socket = connect(upstream.port, '127.0.0.1');
        socket.write(
          `POST ${path} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: ${String(Buffer.byteLength(body))}\r\n\r\n${body}`,
        );
        socket.on('data', () => {});
        socket.on('end', () => {
          resolvePromise(chunks);
        });
        socket.on('error', reject);
      }),
  ],
  [
    'node:http',
    () =>
      new Promise((resolvePromise, reject) => {
        const outgoing = httpRequest(
          {
            host: '127.0.0.1',
            port: upstream.port,
            method: 'POST',
            path,
            agent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (incoming) => {
            incoming.on('data', () => {});
            incoming.on('end', () => {
              resolvePromise(chunks);
            });
            incoming.on('error', reject);
          },
        );
        outgoing.on('error', reject);
        outgoing.end(body);
      }),
  ],
  [
    'undici data',
    async () => {
      const stream = await undiciBody();
      await new Promise((resolvePromise, reject) => {
        stream.on('data', () => {});
        stream.on('end', resolvePromise);
        stream.on('error', reject);
      });
      return chunks;
    },
  ],
  [
    'undici for-await',
    async () => {
      let bytes = 0;
      for await (const chunk of await undiciBody()) bytes += chunk.length;
      return bytes > 0 ? chunks : 0;
    },
  ],
  [
    '+ SSE parse',
    async () => {
      const parser = new SseParser();
      let messages = 0;
      for await (const chunk of await undiciBody()) messages += parser.push(chunk).length;
      // The content chunks, and the role chunk, the finish chunk and [DONE] around them.
      return messages;
    },
  ],
  [
    '+ decode',
    async () => {
      const parser = new SseParser();
      const decoder = new OpenAIStreamDecoder('bench-model', 'bench');
      let events = 0;
      for await (const chunk of await undiciBody()) {
        for (const message of parser.push(chunk)) {
          if (decoder.done) continue;
          for (const event of decoder.decode(message.data)) events += event.type === 'text_delta' ? 1 : 0;
        }
      }
      return events;
    },
  ],
];
const models: ChatModel[] = [];
for (const root of ['.', ...values.root]) {
  const model = await openModel(root);
  models.push(model);
  readers.push([
    root === '.' ? 'model stream' : `model stream (${root})`,
    async () => {
      let events = 0;
      const context = { signal: new AbortController().signal, requestId: 'bench' };
      for await (const event of model.stream(chatRequest, context))
        events += event.type === 'text_delta' ? 1 : 0;
      return events;
    },
  ]);
}

const samples = new Map<string, number[]>(readers.map(([name]) => [name, []]));
try {
  // Round 0 warms every path up (JIT, pools) and is not counted.
  for (let round = 0; round <= rounds; round++) {
    for (const [name, read] of readers) {
      const before = process.cpuUsage();
      const counts = await Promise.all(Array.from({ length: streams }, read));
      const used = process.cpuUsage(before);
      // Every way must have read every content chunk: a reader that lost data would look cheap.
      const short = counts.find((count) => count < chunks);
      if (short !== undefined) throw new Error(`${name} read ${String(short)} of ${String(chunks)} chunks`);
      const perChunk = (used.user + used.system) / (streams * chunks);
      if (round > 0) samples.get(name)?.push(perChunk);
    }
    process.stderr.write(`round ${String(round)}/${String(rounds)}\n`);
  }
} finally {
  for (const model of models) await model.close();
  await pool.close();
  agent.destroy();
  await upstream.stop();
}

console.log(
  `Stream layers (Node ${process.version}, ${String(streams)} streams of ${String(chunks)} chunks, ${values['gap-ms']} ms apart, ${String(rounds)} rounds, ${new Date().toISOString()})`,
);
console.log('CPU µs per content chunk, median (min-max) over the rounds:');
for (const [name, list] of samples) {
  console.log(
    `  ${name.padEnd(30)} ${median(list).toFixed(2).padStart(6)}  (${Math.min(...list).toFixed(2)}-${Math.max(...list).toFixed(2)})`,
  );
}
