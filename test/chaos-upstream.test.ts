import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { hostileProviders, startHostileUpstream, type HostileUpstream } from './support/hostile-upstream.ts';

// Chaos: a real `spillway serve` process in front of upstreams that misbehave on purpose. Whatever
// they do, the client gets a clear error in its dialect and the process keeps serving.

const key = 'sk-chaos-tenant-key';
let upstream: HostileUpstream;
let gateway: GatewayProcess;

function group(provider: string, scenario: string) {
  return { deployments: [{ id: `${provider}-${scenario}`, provider, model: scenario }] };
}

beforeAll(async () => {
  upstream = await startHostileUpstream();
  gateway = await startGatewayProcess({
    config: {
      providers: hostileProviders(upstream.url),
      models: {
        'bedrock-json-stream': group('bedrock', 'json-instead-of-stream'),
        'bedrock-ok': group('bedrock', 'ok'),
        'openai-endless-error': group('openai', 'endless-error'),
        'anthropic-endless-error': group('anthropic', 'endless-error'),
        'bedrock-endless-error': group('bedrock', 'endless-error'),
        ...Object.fromEntries(
          ['openai', 'anthropic', 'bedrock'].flatMap((provider) =>
            ['retry-after-huge', 'retry-after-date'].map((scenario) => [
              `${provider}-${scenario}`,
              group(provider, scenario),
            ]),
          ),
        ),
      },
      tenants: { chaos: { keys: [key] } },
      router: { retries: 0, first_token_timeout_ms: 2000, stream_idle_timeout_ms: 2000, timeout_ms: 5000 },
    },
  });
});

afterAll(async () => {
  await gateway.stop();
  await upstream.close();
});

async function chat(
  model: string,
  stream: boolean,
): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

describe('a Bedrock upstream that answers ConverseStream with plain JSON', () => {
  it('fails the request with a 502 in the client dialect and the gateway keeps serving', async () => {
    const failed = await chat('bedrock-json-stream', true);
    expect(failed.status).toBe(502);
    expect(JSON.parse(failed.text)).toMatchObject({ error: { code: 'upstream_bad_response' } });
    // The process must not die of the discarded body's error.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await chat('bedrock-ok', false);
    expect(after.status).toBe(200);
    expect(gateway.output()).not.toContain('Request aborted');
  });
});

describe('an upstream 429 with an absurd Retry-After', () => {
  it.each(['openai', 'anthropic', 'bedrock'])(
    '%s: the client is told to wait at most five minutes',
    async (provider) => {
      for (const scenario of ['retry-after-huge', 'retry-after-date']) {
        const answer = await chat(`${provider}-${scenario}`, false);
        expect(answer.status).toBe(429);
        expect(JSON.parse(answer.text)).toMatchObject({ error: { type: 'rate_limit_error' } });
        const seconds = Number(answer.headers.get('retry-after'));
        const ms = Number(answer.headers.get('retry-after-ms'));
        expect(seconds).toBeGreaterThanOrEqual(1);
        expect(seconds).toBeLessThanOrEqual(300);
        expect(ms).toBeGreaterThan(0);
        expect(ms).toBeLessThanOrEqual(300_000);
      }
    },
  );
});

describe('an upstream error page that never ends', () => {
  it.each(['openai', 'anthropic', 'bedrock'])(
    '%s: answered as an upstream server error from its first 64 KiB, not read until a timeout',
    async (provider) => {
      const started = Date.now();
      const answer = await chat(`${provider}-endless-error`, false);
      expect(answer.status).toBe(502);
      expect(JSON.parse(answer.text)).toMatchObject({ error: { code: 'upstream_server_error' } });
      expect(answer.text.length).toBeLessThan(4096);
      // The first-token timeout is 2 s: an answer well before it did not wait for the body's end.
      expect(Date.now() - started).toBeLessThan(1500);
    },
  );
});
