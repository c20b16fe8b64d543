import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { isGatewayError } from '../errors/gateway-error.ts';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { EchoGateway } from '../../test/support/server/echo-gateway.ts';
import { startTestServer, type TestServer } from '../../test/support/server/start-test-server.ts';

const servers: TestServer[] = [];

async function start(clock?: FakeClock): Promise<TestServer> {
  const server = await startTestServer(clock === undefined ? {} : { clock });
  servers.push(server);
  return server;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.gateway.release();
    await server.edge.shutdown(0);
  }
});

function post(origin: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${EchoGateway.key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: signal ?? null,
  });
}

const streamBody = (model: string) => ({
  model,
  stream: true,
  messages: [{ role: 'user', content: 'a b c' }],
});

/** Reads a streamed body until `text` has arrived; returns what was read. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, text: string): Promise<string> {
  const decoder = new TextDecoder();
  let seen = '';
  while (!seen.includes(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before "${text}": ${seen}`);
    seen += decoder.decode(value, { stream: true });
  }
  return seen;
}

describe('a failure after the first byte is reported in-band', () => {
  it('OpenAI: a data: {"error"} frame, no finish_reason, no [DONE]; the SDK throws', async () => {
    const test = await start();
    const response = await post(test.origin, '/v1/chat/completions', streamBody('fail-mid'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-spillway-deployment')).toBe('fail-mid-east');
    const text = await response.text();
    const frames = text.split('\n\n').filter((frame) => frame !== '');
    expect(frames[0]).toMatch(/^data: .*"role":"assistant"/);
    expect(JSON.parse(frames.at(-1)!.slice('data: '.length))).toEqual({
      error: {
        message: 'the upstream is overloaded',
        type: 'server_error',
        param: null,
        code: 'upstream_overloaded',
      },
    });
    expect(text).not.toContain('[DONE]');
    expect(text).not.toMatch(/"finish_reason":"/);

    const openai = new OpenAI({ apiKey: EchoGateway.key, baseURL: `${test.origin}/v1`, maxRetries: 0 });
    const stream = await openai.chat.completions.create(
      streamBody('fail-mid') as OpenAI.ChatCompletionCreateParamsStreaming,
    );
    let received = '';
    await expect(
      (async () => {
        for await (const chunk of stream) received += chunk.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toThrow(/the upstream is overloaded/);
    expect(received).toBe('echo: ');
  });

  it('Anthropic: an event: error frame with overloaded_error; the SDK throws', async () => {
    const test = await start();
    const response = await post(test.origin, '/v1/messages', { ...streamBody('fail-mid'), max_tokens: 10 });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.startsWith('event: message_start\n')).toBe(true);
    expect(text).toContain('event: ping\n');
    expect(
      text.endsWith(
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"the upstream is overloaded"}}\n\n',
      ),
    ).toBe(true);
    expect(text).not.toContain('message_delta');

    const anthropic = new Anthropic({ apiKey: EchoGateway.key, baseURL: test.origin, maxRetries: 0 });
    const stream = anthropic.messages.stream({
      model: 'fail-mid',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'a b c' }],
    });
    await expect(stream.finalMessage()).rejects.toThrow(/overloaded/);
  });
});

describe('client disconnect', () => {
  it('aborts the gateway call while it is still finding a deployment', async () => {
    const test = await start();
    const client = new AbortController();
    const pending = post(test.origin, '/v1/chat/completions', streamBody('hang'), client.signal).catch(
      (error: unknown) => error,
    );
    while (test.gateway.lastContext === undefined) await new Promise((resolve) => setImmediate(resolve));
    client.abort();
    await test.gateway.whenAborted();
    const reason: unknown = test.gateway.aborted[0]?.signal.reason;
    expect(isGatewayError(reason) && reason.code).toBe('client_closed');
    expect(await pending).toBeInstanceOf(Error);
  });

  it('aborts the upstream of a stream in progress', async () => {
    const test = await start();
    const client = new AbortController();
    const response = await post(
      test.origin,
      '/v1/messages',
      { ...streamBody('held'), max_tokens: 10 },
      client.signal,
    );
    await readUntil(response.body!.getReader(), 'text_delta');
    client.abort();
    await test.gateway.whenAborted();
    expect(test.gateway.aborted).toHaveLength(1);
  });
});

describe('graceful shutdown', () => {
  it('lets an in-flight stream finish, refuses new connections, then resolves', async () => {
    const clock = new FakeClock();
    const test = await start(clock);
    const response = await post(test.origin, '/v1/chat/completions', streamBody('held'));
    const reader = response.body!.getReader();
    let text = await readUntil(reader, '"content":"echo: "');

    const shutdown = test.edge.shutdown(30_000);
    await expect(fetch(`${test.origin}/health/live`)).rejects.toThrow();
    test.gateway.release();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    await shutdown;
    expect(text).toContain('"finish_reason":"stop"');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(test.gateway.aborted).toHaveLength(0);
  });

  it('destroys what is left when the grace period is over, aborting the upstream', async () => {
    const clock = new FakeClock();
    const test = await start(clock);
    const response = await post(test.origin, '/v1/chat/completions', streamBody('held'));
    const reader = response.body!.getReader();
    await readUntil(reader, '"content":"echo: "');

    const shutdown = test.edge.shutdown(5_000);
    await clock.advance(5_000);
    await shutdown;
    await test.gateway.whenAborted();
    await expect(readUntil(reader, '[DONE]')).rejects.toThrow();
  });
});
