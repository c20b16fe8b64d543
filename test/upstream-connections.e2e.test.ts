import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { waitFor } from './support/wait-for.ts';

// Issue 18, no stream ceiling: the gateway's upstream pool used to cap at 256 sockets per origin, so
// the 257th concurrent stream to one provider queued behind the others. Now there is no cap unless a
// provider sets `max_connections`, and then that cap holds. A held-open OpenAI-style upstream counts
// the streams it serves at once.

interface HeldUpstream {
  readonly url: string;
  /** Streams open at the upstream now, and the most at once. */
  active(): number;
  peak(): number;
  /** Finishes every held stream and those still to come. */
  releaseAll(): void;
  close(): Promise<void>;
}

async function startHeldUpstream(): Promise<HeldUpstream> {
  let active = 0;
  let peak = 0;
  let released = false;
  const held: ServerResponse[] = [];
  const finish = (res: ServerResponse): void => {
    const chunk = {
      id: 'c',
      object: 'chat.completion.chunk',
      model: 'm',
      choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
    };
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    res.write(
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm', choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } })}\n\n`,
    );
    res.end('data: [DONE]\n\n');
  };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      active += 1;
      peak = Math.max(peak, active);
      res.on('close', () => {
        active -= 1;
      });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const first = {
        id: 'c',
        object: 'chat.completion.chunk',
        model: 'm',
        choices: [{ index: 0, delta: { role: 'assistant', content: 'tok' }, finish_reason: null }],
      };
      res.write(`data: ${JSON.stringify(first)}\n\n`);
      if (released) finish(res);
      else held.push(res);
    });
  });
  server.maxConnections = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    active: () => active,
    peak: () => peak,
    releaseAll: () => {
      released = true;
      for (const res of held.splice(0)) finish(res);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Opens `count` streams to the gateway at once; resolves with each one's completion. */
function openStreams(gateway: GatewayProcess, group: string, count: number): Promise<boolean>[] {
  const pool = new Pool(gateway.url, { connections: count });
  const body = JSON.stringify({ model: group, messages: [{ role: 'user', content: 'hold' }], stream: true });
  const streams = Array.from({ length: count }, async () => {
    const response = await pool.request({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const text = await response.body.text();
    return response.statusCode === 200 && text.includes('[DONE]');
  });
  void Promise.allSettled(streams).then(() => pool.close());
  return streams;
}

describe('upstream connections', () => {
  let open: HeldUpstream;
  let capped: HeldUpstream;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    open = await startHeldUpstream();
    capped = await startHeldUpstream();
    const provider = (url: string) => ({
      type: 'openai' as const,
      base_url: `${url}/v1`,
      api_key: 'sk-test',
    });
    gateway = await startGatewayProcess({
      config: {
        server: { log_level: 'info' },
        providers: { open: provider(open.url), capped: { ...provider(capped.url), max_connections: 2 } },
        models: {
          open: { deployments: [{ id: 'open', provider: 'open', model: 'm' }] },
          capped: { deployments: [{ id: 'capped', provider: 'capped', model: 'm' }] },
        },
        router: { first_token_timeout_ms: 60_000, stream_idle_timeout_ms: 60_000 },
      },
    });
  });

  afterAll(async () => {
    await gateway.stop();
    await open.close();
    await capped.close();
  });

  it('streams 300 requests to one origin at once (the old pool queued past 256)', async () => {
    const streams = openStreams(gateway, 'open', 300);
    await waitFor(() => open.active() === 300, {
      timeoutMs: 30_000,
      intervalMs: 20,
      what: '300 streams open at the upstream at once',
    });
    open.releaseAll();
    expect(await Promise.all(streams)).toEqual(Array.from({ length: 300 }, () => true));
  });

  it("holds a provider's max_connections: of 5 concurrent streams, 2 at a time reach the upstream", async () => {
    const streams = openStreams(gateway, 'capped', 5);
    await waitFor(() => capped.active() >= 2, { timeoutMs: 10_000, what: 'two streams at the upstream' });
    capped.releaseAll();
    expect(await Promise.all(streams)).toEqual([true, true, true, true, true]);
    expect(capped.peak()).toBe(2);
  });
});
