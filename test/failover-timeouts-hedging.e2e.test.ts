import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import {
  behaviours,
  hostileProviders,
  startHostileUpstream,
  type HostileUpstream,
} from './support/hostile-upstream.ts';
import { metricValue, scrapeMetrics } from './support/metrics.ts';
import { anthropicClient, openaiClient, routeHeaders } from './support/sdk-clients.ts';
import { waitFor } from './support/wait-for.ts';

// Issue 15 (failover part): a real `spillway serve` process in front of a scripted upstream. A
// deployment that timed out is not tried again in the request; answers name the group that served.

const firstTokenTimeoutMs = 1000;
const slowFirstTokenMs = 3000;
const hedgeAfterMs = 200;
let upstream: HostileUpstream;
let gateway: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;

function group(provider: string, scenario: string, extra: Record<string, unknown> = {}) {
  return { deployments: [{ id: `${provider}-${scenario}`, provider, model: scenario }], ...extra };
}

/** Upstream exchanges of one scenario so far. */
function exchangesOf(scenario: string): number {
  return upstream.exchanges.filter((exchange) => exchange.scenario === scenario).length;
}

beforeAll(async () => {
  upstream = await startHostileUpstream();
  // One silent scenario per test, so each counts only its own attempts.
  for (const name of ['silent-openai', 'silent-stream', 'silent-anthropic'])
    upstream.define(name, behaviours.hang!);
  // A first token after 3 s (then a normal answer), for the hedging tests.
  for (const name of ['slow-first-openai', 'slow-first-anthropic'])
    upstream.define(name, (context) => {
      const timer = setTimeout(() => void behaviours.ok!(context), slowFirstTokenMs);
      context.response.on('close', () => {
        clearTimeout(timer);
      });
    });
  // An answer that says the upstream has no requests left for 30 s (OpenAI and Anthropic headers).
  upstream.define('exhausted', (context) => {
    if (context.wire === 'anthropic') {
      context.response.setHeader('anthropic-ratelimit-requests-limit', '50');
      context.response.setHeader('anthropic-ratelimit-requests-remaining', '0');
      context.response.setHeader(
        'anthropic-ratelimit-requests-reset',
        new Date(Date.now() + 30_000).toISOString(),
      );
    } else {
      context.response.setHeader('x-ratelimit-limit-requests', '50');
      context.response.setHeader('x-ratelimit-remaining-requests', '0');
      context.response.setHeader('x-ratelimit-reset-requests', '30s');
    }
    void behaviours.ok!(context);
  });
  upstream.define('spare', behaviours.ok!);
  gateway = await startGatewayProcess({
    config: {
      providers: hostileProviders(upstream.url),
      models: {
        healthy: group('openai', 'ok'),
        'healthy-anthropic': group('anthropic', 'ok'),
        'silent-openai': group('openai', 'silent-openai', { fallbacks: ['healthy'] }),
        'silent-stream': group('openai', 'silent-stream', { fallbacks: ['healthy'] }),
        'silent-anthropic': group('anthropic', 'silent-anthropic', { fallbacks: ['healthy-anthropic'] }),
        ...Object.fromEntries(
          (['openai', 'anthropic'] as const).map((provider) => [
            `limited-${provider}`,
            {
              strategy: 'ordered',
              deployments: [
                { id: `exhausted-${provider}`, provider, model: 'exhausted' },
                { id: `spare-${provider}`, provider, model: 'spare' },
              ],
            },
          ]),
        ),
        ...Object.fromEntries(
          (['openai', 'anthropic'] as const).map((provider) => [
            `hedged-${provider}`,
            {
              strategy: 'ordered',
              hedge_after_ms: hedgeAfterMs,
              hedge_budget: 1,
              first_token_timeout_ms: 10_000,
              deployments: [
                { id: `slow-${provider}`, provider, model: `slow-first-${provider}` },
                { id: `fast-${provider}`, provider, model: 'ok' },
              ],
            },
          ]),
        ),
      },
      router: { retries: 2, first_token_timeout_ms: firstTokenTimeoutMs, timeout_ms: 20_000 },
    },
  });
  openai = openaiClient(gateway.url);
  anthropic = anthropicClient(gateway.url);
});

afterAll(async () => {
  await gateway.stop();
  await upstream.close();
});

describe('timeouts fail over', () => {
  it('a silent upstream is tried once, then the fallback answers (openai SDK)', async () => {
    const started = performance.now();
    const { data, response } = await openai.chat.completions
      .create({ model: 'silent-openai', messages: [{ role: 'user', content: 'Hello' }] })
      .withResponse();
    const elapsed = performance.now() - started;
    expect(exchangesOf('silent-openai')).toBe(1);
    expect(routeHeaders(response.headers)).toMatchObject({ modelGroup: 'healthy', attempts: 2 });
    // Generous: less than two timeouts' worth (the old behaviour waited three).
    expect(elapsed).toBeLessThan(2 * firstTokenTimeoutMs);
    // The truthful model: the body names the group that served; the header keeps the one asked for.
    expect(data.model).toBe('healthy');
    expect(response.headers.get('x-spillway-requested-model')).toBe('silent-openai');
  });

  it('streamed: one try of the silent deployment, every chunk names the fallback group', async () => {
    const { data, response } = await openai.chat.completions
      .create({
        model: 'silent-stream',
        messages: [{ role: 'user', content: 'Hello' }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    const models = new Set<string>();
    let text = '';
    for await (const chunk of data) {
      models.add(chunk.model);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe('w0 w1 w2 ');
    expect([...models]).toEqual(['healthy']);
    expect(exchangesOf('silent-stream')).toBe(1);
    expect(response.headers.get('x-spillway-requested-model')).toBe('silent-stream');
  });

  it('anthropic SDK: the fallback answers after one try; the message names the fallback group', async () => {
    const message = await anthropic.messages.create({
      model: 'silent-anthropic',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(message.model).toBe('healthy-anthropic');
    expect(exchangesOf('silent-anthropic')).toBe(1);
    const stream = anthropic.messages.stream({
      model: 'silent-anthropic',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    const final = await stream.finalMessage();
    expect(final.model).toBe('healthy-anthropic');
    expect(exchangesOf('silent-anthropic')).toBe(2);
  });

  it('without a fallback the answer names the requested group', async () => {
    const completion = await openai.chat.completions.create({
      model: 'healthy',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(completion.model).toBe('healthy');
  });
});

describe('hedged first tokens', () => {
  it('openai SDK, streamed: the healthy deployment answers, the slow one is aborted', async () => {
    const before = upstream.exchanges.length;
    const started = performance.now();
    const { data, response } = await openai.chat.completions
      .create({ model: 'hedged-openai', messages: [{ role: 'user', content: 'Hello' }], stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('w0 w1 w2 ');
    expect(performance.now() - started).toBeLessThan(slowFirstTokenMs);
    expect(routeHeaders(response.headers)).toMatchObject({ deployment: 'fast-openai', attempts: 2 });
    expect(response.headers.get('x-spillway-hedged')).toBe('true');
    const slow = upstream.exchanges
      .slice(before)
      .filter((exchange) => exchange.scenario === 'slow-first-openai');
    expect(slow).toHaveLength(1);
    // The upstream sees the abort (the gateway closed the slow request before it answered).
    await waitFor(() => slow[0]?.abortedByClient === true, {
      what: 'the slow upstream request to be aborted',
    });
    const metrics = await scrapeMetrics(gateway.url);
    expect(metricValue(metrics, 'spillway_hedges_total', { group: 'hedged-openai', outcome: 'won' })).toBe(1);
  });

  it('anthropic SDK, complete answer: served by the healthy deployment, x-spillway-hedged', async () => {
    const before = upstream.exchanges.length;
    const { data, response } = await anthropic.messages
      .create({ model: 'hedged-anthropic', max_tokens: 50, messages: [{ role: 'user', content: 'Hello' }] })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: 'text', text: 'hello' });
    expect(response.headers.get('x-spillway-deployment')).toBe('fast-anthropic');
    expect(response.headers.get('x-spillway-hedged')).toBe('true');
    const slow = upstream.exchanges
      .slice(before)
      .filter((exchange) => exchange.scenario === 'slow-first-anthropic');
    await waitFor(() => slow[0]?.abortedByClient === true, {
      what: 'the slow upstream request to be aborted',
    });
  });
});

describe('limits learned from the upstream', () => {
  it('openai: a deployment that answered with 0 requests remaining is avoided for the next request', async () => {
    const first = await openai.chat.completions
      .create({ model: 'limited-openai', messages: [{ role: 'user', content: 'Hello' }] })
      .withResponse();
    expect(first.response.headers.get('x-spillway-deployment')).toBe('exhausted-openai');
    for (const stream of [false, true]) {
      const next = await openai.chat.completions
        .create({ model: 'limited-openai', messages: [{ role: 'user', content: 'Hello' }], stream })
        .withResponse();
      expect(next.response.headers.get('x-spillway-deployment')).toBe('spare-openai');
      expect(next.response.headers.get('x-spillway-attempts')).toBe('1');
    }
  });

  it('anthropic: the same from anthropic-ratelimit-* headers', async () => {
    const create = () =>
      anthropic.messages
        .create({
          model: 'limited-anthropic',
          max_tokens: 50,
          messages: [{ role: 'user', content: 'Hello' }],
        })
        .withResponse();
    expect((await create()).response.headers.get('x-spillway-deployment')).toBe('exhausted-anthropic');
    expect((await create()).response.headers.get('x-spillway-deployment')).toBe('spare-anthropic');
  });
});
