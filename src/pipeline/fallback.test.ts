import { describe, expect, it } from 'vitest';
import {
  chatRequest,
  configWith,
  createHarness,
  ScriptedChatModel,
} from '../../test/support/pipeline/gateway-harness.ts';

const failing = (id: string) => new ScriptedChatModel(id, [{ kind: 'fail', status: 503 }]);
const ok = (id: string) => new ScriptedChatModel(id, [{ kind: 'ok' }]);
const group = (id: string, extra: Record<string, unknown> = {}) => ({
  deployments: [{ id, provider: 'east', model: id }],
  ...extra,
});

describe('fallback chain', () => {
  it('is depth-first and ends on loops', async () => {
    const config = configWith(
      {
        a: group('da', { fallbacks: ['b', 'c'] }),
        b: group('db', { fallbacks: ['d', 'a'] }),
        c: group('dc', { fallbacks: ['a'] }),
        d: group('dd', { fallbacks: ['b'] }),
      },
      { retries: 0 },
    );
    const models = { da: failing('da'), db: failing('db'), dc: failing('dc'), dd: failing('dd') };
    const harness = createHarness(config, models);
    await expect(harness.gateway.chat(chatRequest('a'), harness.context())).rejects.toMatchObject({
      code: 'upstream_unavailable',
    });
    expect(harness.eventsOf('attempt-finished').map((event) => event.target.deployment)).toEqual([
      'da',
      'db',
      'dd',
      'dc',
    ]);
    expect(harness.eventsOf('fallback-taken').map((event) => `${event.fromGroup}>${event.toGroup}`)).toEqual([
      'a>b',
      'b>d',
      'a>c',
    ]);
    expect(harness.eventsOf('request-finished')[0]).toMatchObject({ attempts: 4, fallbacks: 3 });
  });

  it('reports the serving group and attempts in the route', async () => {
    const config = configWith({ a: group('da', { fallbacks: ['b'] }), b: group('db') }, { retries: 0 });
    const harness = createHarness(config, { da: failing('da'), db: ok('db') });
    const result = await harness.gateway.chat(chatRequest('a'), harness.context());
    expect(result.route).toEqual({
      attempts: 2,
      target: {
        group: 'b',
        deployment: 'db',
        provider: 'east',
        providerType: 'bedrock',
        region: 'us-east-1',
        account: 'east',
        model: 'db',
      },
    });
  });
});

describe('context-window fallbacks', () => {
  const config = configWith(
    {
      small: {
        fallbacks: ['other'],
        context_window_fallbacks: ['long'],
        deployments: [{ id: 'ds', provider: 'east', model: 'ds', context_window: 100 }],
      },
      other: group('do'),
      long: group('dl'),
    },
    { retries: 0 },
  );

  it('a request too large for the context window goes to the context fallbacks only', async () => {
    const harness = createHarness(config, { ds: ok('ds'), do: ok('do'), dl: ok('dl') });
    const big = chatRequest('small', {
      messages: [{ role: 'user', content: [{ type: 'text', text: 'x'.repeat(800) }] }],
    });
    const result = await harness.gateway.chat(big, harness.context());
    expect(result.route.target?.deployment).toBe('dl');
    expect(result.route.attempts).toBe(1);
  });

  it('an upstream context error goes to the context fallbacks only', async () => {
    const ds = new ScriptedChatModel('ds', [{ kind: 'fail', status: 400, contextWindow: true }]);
    const harness = createHarness(config, { ds, do: ok('do'), dl: ok('dl') });
    const result = await harness.gateway.chat(chatRequest('small'), harness.context());
    expect(result.route.target?.deployment).toBe('dl');
  });

  it('other failures go to the ordinary fallbacks, never the context ones', async () => {
    const harness = createHarness(config, { ds: failing('ds'), do: ok('do'), dl: ok('dl') });
    const result = await harness.gateway.chat(chatRequest('small'), harness.context());
    expect(result.route.target?.deployment).toBe('do');
  });

  it('without context fallbacks, the context error reaches the client', async () => {
    const plain = configWith({ g: group('ds', { fallbacks: ['other'] }), other: group('do') });
    const ds = new ScriptedChatModel('ds', [{ kind: 'fail', status: 400, contextWindow: true }]);
    const harness = createHarness(plain, { ds, do: ok('do') });
    await expect(harness.gateway.chat(chatRequest('g'), harness.context())).rejects.toMatchObject({
      code: 'context_window_exceeded',
      status: 400,
    });
  });
});
