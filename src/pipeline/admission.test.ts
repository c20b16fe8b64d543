import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import {
  chatRequest,
  configWith,
  createHarness,
  principalOf,
  ScriptedChatModel,
  until,
} from '../../test/support/pipeline/gateway-harness.ts';

const single = configWith({
  g: {
    description: 'the group',
    deployments: [{ id: 'd1', provider: 'east', model: 'm1', price: { input: 2, output: 4 } }],
  },
  h: { deployments: [{ id: 'd2', provider: 'west', model: 'm2', tpm: 1000 }] },
});
const ok = (id: string) => new ScriptedChatModel(id, [{ kind: 'ok' }]);

describe('admission', () => {
  it('refuses models the principal may not use (403) and unknown models (404, listing known ones)', async () => {
    const harness = createHarness(single, { d1: ok('m1'), d2: ok('m2') });
    const restricted = principalOf('t', {}, { allowedModels: ['g'] });
    await expect(harness.gateway.chat(chatRequest('h'), harness.context(restricted))).rejects.toMatchObject({
      code: 'permission_denied',
      status: 403,
    });
    const unknown = (await harness.gateway
      .chat(chatRequest('nope'), harness.context())
      .catch((error: unknown) => error)) as GatewayError;
    expect(unknown).toMatchObject({ code: 'unknown_model', status: 404 });
    expect(unknown.message).toContain('g, h');
    expect(harness.gateway.listModels(restricted)).toEqual([{ id: 'g', description: 'the group' }]);
    expect(harness.eventsOf('request-finished').map((event) => event.status)).toEqual([403, 404]);
  });

  it('refuses a spent budget with 402 before any limit or upstream', async () => {
    const budget = () => {
      throw new GatewayError('budget spent', { code: 'budget_exceeded' });
    };
    const d1 = ok('m1');
    const harness = createHarness(single, { d1, d2: ok('m2') }, { budget });
    await expect(harness.gateway.chat(chatRequest('g'), harness.context())).rejects.toMatchObject({
      status: 402,
    });
    expect(d1.calls).toBe(0);
    expect(harness.eventsOf('rate-limited')[0]).toMatchObject({ limit: 'budget' });
  });

  it('delegates authentication', () => {
    const harness = createHarness(single, { d1: ok('m1'), d2: ok('m2') });
    expect(harness.gateway.authenticate('acme-key').tenant).toBe('acme-key');
    expect(() => harness.gateway.authenticate(undefined)).toThrow(GatewayError);
    expect(harness.gateway.readiness()).toEqual({
      ready: true,
      checks: { config: { status: 'ok', detail: '2 model groups' } },
    });
  });
});

describe('accounting', () => {
  it('reconciles token reservations with the real usage', async () => {
    const harness = createHarness(single, { d1: ok('m1'), d2: ok('m2') });
    const principal = principalOf('t', { tpm: 1000 });
    // Reserves prompt (≈6) + max tokens (500); the answer used 15.
    const request = chatRequest('h', { maxTokens: 500 });
    const first = await harness.gateway.chat(request, harness.context(principal));
    expect(first.headers['x-ratelimit-remaining-tokens']).toBe('494');
    const second = await harness.gateway.chat(request, harness.context(principal));
    expect(second.headers['x-ratelimit-remaining-tokens']).toBe(String(1000 - 15 - 506));
    // The deployment's tpm (1000) was reconciled too: two more such requests still fit.
    await harness.gateway.chat(request, harness.context());
    await harness.gateway.chat(request, harness.context());
  });

  it('refunds a failed request and reports cost, tokens and overhead', async () => {
    // The upstream takes 30 ms; the request reached the edge 7 ms before the pipeline saw it.
    const upstream = new ScriptedChatModel('m1', [{ kind: 'ok', during: () => harness.clock.advance(30) }]);
    const harness = createHarness(single, {
      d1: upstream,
      d2: new ScriptedChatModel('m2', [{ kind: 'fail', status: 400 }]),
    });
    const principal = principalOf('t', { tpm: 1000 });
    await harness.gateway
      .chat(chatRequest('h', { maxTokens: 500 }), harness.context(principal))
      .catch(() => undefined);
    const result = await harness.gateway.chat(
      chatRequest('g', { maxTokens: 500 }),
      harness.context(principal, { receivedAt: harness.clock.now() - 7 }),
    );
    expect(result.headers['x-ratelimit-remaining-tokens']).toBe('494');
    expect(result.costUsd).toBeCloseTo((10 * 2 + 5 * 4) / 1e6, 12);
    const finished = harness.eventsOf('request-finished')[1];
    expect(finished).toMatchObject({
      status: 200,
      attempts: 1,
      fallbacks: 0,
      inputTokens: 10,
      outputTokens: 5,
      keyId: 'key-t',
    });
    expect(finished?.latencyMs).toBe(37);
    expect(finished?.overheadMs).toBe(7);
    expect(finished?.bodies).toBeUndefined();
  });

  it('logs bodies only for tenants that opted in', async () => {
    const harness = createHarness(single, { d1: ok('m1'), d2: ok('m2') });
    await harness.gateway.chat(chatRequest('g'), harness.context(principalOf('t', {}, { logBodies: true })));
    expect(harness.eventsOf('request-finished')[0]?.bodies?.request).toMatchObject({ model: 'g' });
  });

  it('embeds through the same plan', async () => {
    const harness = createHarness(single, { d1: ok('m1'), d2: ok('m2') });
    const result = await harness.gateway.embed({ model: 'g', input: ['a', 'b'] }, harness.context());
    expect(result.response.embeddings).toHaveLength(1);
    expect(result.route.target?.deployment).toBe('d1');
    expect(result.costUsd).toBeCloseTo((3 * 2) / 1e6, 12);
    expect(harness.eventsOf('request-finished')[0]).toMatchObject({ endpoint: 'embeddings', inputTokens: 3 });
  });
});

describe('hot reload', () => {
  it('new requests use the new table, in-flight ones finish on theirs, breaker state survives', async () => {
    const hanging = new ScriptedChatModel('m1', [{ kind: 'hang' }]);
    const config = configWith(
      { g: { deployments: [{ id: 'd1', provider: 'east', model: 'm1' }] } },
      { retries: 0, first_token_timeout_ms: 1000 },
    );
    const models: Record<string, ScriptedChatModel> = { d1: hanging };
    const harness = createHarness(config, models);
    const inFlight = harness.gateway
      .chat(chatRequest('g'), harness.context())
      .catch((error: unknown) => error);
    await until(() => hanging.active === 1);
    models.d9 = ok('m9');
    harness.gateway.applyConfig(
      configSchema.parse(configWith({ g: { deployments: [{ id: 'd9', provider: 'west', model: 'm9' }] } })),
    );
    expect((await harness.gateway.chat(chatRequest('g'), harness.context())).route.target?.deployment).toBe(
      'd9',
    );
    expect(hanging.closed).toBe(false);
    await harness.clock.advance(1000);
    expect(await inFlight).toMatchObject({ code: 'upstream_timeout' });
    await until(() => hanging.closed);
  });

  it('keeps a chat model whose connection settings did not change', async () => {
    const d1 = ok('m1');
    const first = configWith({ g: { deployments: [{ id: 'd1', provider: 'east', model: 'm1', rpm: 1 }] } });
    const harness = createHarness(first, { d1 });
    await harness.gateway.chat(chatRequest('g'), harness.context());
    harness.gateway.applyConfig(
      configSchema.parse(
        configWith({ g: { deployments: [{ id: 'd1', provider: 'east', model: 'm1', rpm: 1, weight: 3 }] } }),
      ),
    );
    // Limit state is keyed by deployment id: the rpm spent before the reload stays spent.
    await expect(harness.gateway.chat(chatRequest('g'), harness.context())).rejects.toMatchObject({
      code: 'no_capacity',
      status: 429,
    });
    expect(d1.closed).toBe(false);
    await harness.gateway.close();
    expect(d1.closed).toBe(true);
  });
});

describe('applyConfig with a config that cannot be routed', () => {
  it('throws and keeps serving on the old table', async () => {
    const d1 = new ScriptedChatModel('m1', [{ kind: 'ok' }]);
    const harness = createHarness(
      configWith({ g: { deployments: [{ id: 'd1', provider: 'east', model: 'm1' }] } }),
      { d1 },
    );
    const broken = configSchema.parse(
      configWith({ g: { deployments: [{ id: 'd1', provider: 'nowhere', model: 'm1' }] } }),
    );
    expect(() => {
      harness.gateway.applyConfig(broken);
    }).toThrow(/unknown provider "nowhere"/);
    expect((await harness.gateway.chat(chatRequest('g'), harness.context())).route.target?.deployment).toBe(
      'd1',
    );
  });
});
