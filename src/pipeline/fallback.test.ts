import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.ts';
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

describe('content-policy fallbacks', () => {
  const refusing = (id: string) => new ScriptedChatModel(id, [{ kind: 'ok', stopReason: 'content_filter' }]);
  const azureRefusal = (id: string) =>
    new ScriptedChatModel(id, [
      {
        kind: 'error',
        error: new GatewayError('azure: content_filter', {
          code: 'upstream_content_filtered',
          upstreamStatus: 400,
        }),
      },
    ]);
  const config = configWith(
    {
      strict: {
        fallbacks: ['other'],
        content_policy_fallbacks: ['lenient'],
        deployments: [
          { id: 'ds1', provider: 'east', model: 'ds1' },
          { id: 'ds2', provider: 'east', model: 'ds2' },
        ],
        strategy: 'ordered',
      },
      other: group('do'),
      lenient: group('dl'),
    },
    { retries: 2 },
  );

  it('a refusal (content_filter stop) goes to the content fallbacks only, never the same group again', async () => {
    const ds1 = refusing('ds1');
    const ds2 = ok('ds2');
    const harness = createHarness(config, { ds1, ds2, do: ok('do'), dl: ok('dl') });
    const result = await harness.gateway.chat(chatRequest('strict'), harness.context());
    expect(result.route.target?.deployment).toBe('dl');
    expect(result.response.stopReason).toBe('end_turn');
    expect(ds1.calls).toBe(1);
    expect(ds2.calls).toBe(0);
    expect(harness.eventsOf('fallback-taken')).toMatchObject([
      { fromGroup: 'strict', toGroup: 'lenient', errorCode: 'upstream_content_filtered' },
    ]);
  });

  it("an upstream's content-filter error (Azure 400) goes to the content fallbacks", async () => {
    const harness = createHarness(config, {
      ds1: azureRefusal('ds1'),
      ds2: ok('ds2'),
      do: ok('do'),
      dl: ok('dl'),
    });
    const result = await harness.gateway.chat(chatRequest('strict'), harness.context());
    expect(result.route.target?.deployment).toBe('dl');
  });

  it('a stream refused before any content falls back; one refused after text is relayed as it is', async () => {
    const refusedAtOnce = new ScriptedChatModel('ds1', [
      {
        kind: 'events',
        events: [
          { type: 'message_start', id: 'm', model: 'ds1' },
          { type: 'message_stop', stopReason: 'content_filter' },
        ],
      },
    ]);
    const harness = createHarness(config, { ds1: refusedAtOnce, ds2: ok('ds2'), do: ok('do'), dl: ok('dl') });
    const result = await harness.gateway.streamChat(chatRequest('strict'), harness.context());
    expect(result.route.target?.deployment).toBe('dl');
    const texts: string[] = [];
    for await (const event of result.events) if (event.type === 'text_delta') texts.push(event.text);
    expect(texts.join('')).toBe('from dl');
  });

  it('without content fallbacks (or once they are used up) the refusal reaches the client as it is', async () => {
    const plain = configWith({ g: group('dg', { fallbacks: ['other'] }), other: group('do') });
    const harness = createHarness(plain, { dg: refusing('dg'), do: ok('do') });
    const result = await harness.gateway.chat(chatRequest('g'), harness.context());
    expect(result.route.target?.deployment).toBe('dg');
    expect(result.response.stopReason).toBe('content_filter');
    const both = createHarness(config, {
      ds1: refusing('ds1'),
      ds2: ok('ds2'),
      do: ok('do'),
      dl: refusing('dl'),
    });
    const last = await both.gateway.chat(chatRequest('strict'), both.context());
    expect(last.route.target?.deployment).toBe('dl');
    expect(last.response.stopReason).toBe('content_filter');
    const azure = createHarness(plain, { dg: azureRefusal('dg'), do: ok('do') });
    await expect(azure.gateway.chat(chatRequest('g'), azure.context())).rejects.toMatchObject({
      code: 'upstream_content_filtered',
      status: 400,
    });
  });
});
