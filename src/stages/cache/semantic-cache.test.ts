import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat-request.ts';
import type { ChatResponse } from '../../core/chat-response.ts';
import type { GatewayEvent } from '../../core/gateway-events.ts';
import type { RequestContext } from '../../pipeline/gateway.ts';
import type { StageDecision } from '../../pipeline/request-stage.ts';
import { MemoryStateStore } from '../../state/memory-state-store.ts';
import { FakeClock } from '../../../test/support/fake-clock.ts';
import { MemoryAnswerStore } from './answer-store.ts';
import { ResponseCacheStage } from './response-cache-stage.ts';
import { semanticKey } from './semantic-key.ts';
import { SemanticLocator, type EmbedText } from './semantic-locator.ts';
import { SharedVectors } from './shared-vectors.ts';
import { VectorIndex } from './vector-index.ts';

function ask(text: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'g',
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    stream: false,
    ...extra,
  };
}

function contextOf(tenant: string, requestId = `r-${tenant}`): RequestContext {
  return {
    requestId,
    dialect: 'openai',
    principal: { tenant, keyId: 'k', tenantLimits: {}, keyLimits: {}, logBodies: false },
    signal: new AbortController().signal,
    receivedAt: 0,
  };
}

const answer: ChatResponse = {
  id: 'r1',
  model: 'm',
  content: [{ type: 'text', text: 'Paris' }],
  stopReason: 'end_turn',
  usage: { inputTokens: 3, outputTokens: 1 },
};

/** Vectors by text: cos(a, b) = 0.96, cos(a, c) = 0.8, d orthogonal to all. */
const vectors: Record<string, number[]> = {
  a: [1, 0, 0],
  b: [0.96, 0.28, 0],
  c: [0.8, 0, 0.6],
  d: [0, 1, 0],
};

describe('semanticKey', () => {
  it('compares the last user turn and keys everything else exactly', () => {
    const base = semanticKey(ask('  What is\n the  capital? '), 't:a');
    expect(base.text).toBe('What is the capital?');
    expect(semanticKey(ask('other words'), 't:a').shape).toBe(base.shape);
    expect(semanticKey(ask('x', { stream: true, user: 'u' }), 't:a').shape).toBe(base.shape);
    for (const changed of [
      ask('x', { system: 'be brief' }),
      ask('x', { temperature: 0 }),
      ask('x', { responseFormat: { type: 'json_object' } }),
      ask('x', { tools: [{ name: 'f', parameters: {} }] }),
      ask('x', { model: 'h' }),
    ]) {
      expect(semanticKey(changed, 't:a').shape).not.toBe(base.shape);
    }
    expect(semanticKey(ask('x'), 't:b').shape).not.toBe(base.shape);
  });

  it('keys a request whose last turn is not plain text exactly (no text to compare)', () => {
    const toolResult = (content: string): ChatRequest => ({
      model: 'g',
      messages: [{ role: 'user', content: [{ type: 'tool_result', toolCallId: 't', content }] }],
      stream: false,
    });
    expect(semanticKey(toolResult('1'), 't:a').text).toBeUndefined();
    expect(semanticKey(toolResult('1'), 't:a').shape).not.toBe(semanticKey(toolResult('2'), 't:a').shape);
  });
});

describe('VectorIndex', () => {
  it('finds the most similar live entry, keeps at most maxEntries per shape, drops expired ones', async () => {
    const clock = new FakeClock(0);
    const index = new VectorIndex({ maxEntries: 2, clock });
    const unit = (values: number[]) => Float32Array.from(values);
    index.add('s', { key: 'a', vector: unit(vectors.a ?? []), expiresAt: 100 });
    index.add('s', { key: 'c', vector: unit(vectors.c ?? []), expiresAt: 200 });
    expect(index.nearest('s', unit(vectors.b ?? []))?.key).toBe('a');
    expect(index.nearest('other', unit(vectors.b ?? []))).toBeUndefined();
    await clock.advance(100);
    expect(index.nearest('s', unit(vectors.b ?? []))?.key).toBe('c');
    index.add('s', { key: 'd', vector: unit(vectors.d ?? []), expiresAt: 300 });
    index.add('s', { key: 'b', vector: unit(vectors.b ?? []), expiresAt: 300 });
    expect(index.size).toBe(2); // c left first
    expect(index.nearest('s', unit(vectors.c ?? []))?.key).toBe('b');
    await clock.advance(200);
    expect(index.nearest('s', unit(vectors.a ?? []))).toBeUndefined();
    expect(index.size).toBe(0);
  });
});

const target = {
  group: 'g',
  deployment: 'x',
  providerType: 'openai',
  provider: 'p',
  region: 'r',
  account: 'acc',
  model: 'm',
};

function harness(options: { embed?: EmbedText; threshold?: number } = {}) {
  const clock = new FakeClock(0);
  const events: GatewayEvent[] = [];
  const embedded: string[] = [];
  const embed: EmbedText =
    options.embed ??
    ((text) => {
      embedded.push(text);
      const vector = vectors[text];
      return vector === undefined ? Promise.reject(new Error('no vector')) : Promise.resolve(vector);
    });
  const index = new VectorIndex({ maxEntries: 10, clock });
  const stage = new ResponseCacheStage({
    settings: { ttl_s: 60, max_entry_bytes: 1 << 20, scope: 'tenant', include_sampled: false },
    store: new MemoryAnswerStore({ maxBytes: 1 << 20, clock }),
    locator: new SemanticLocator({
      index,
      embed,
      threshold: options.threshold ?? 0.92,
      timeoutMs: 500,
      clock,
    }),
    events: { emit: (event) => events.push(event) },
    clock,
  });
  const lookup = async (text: string, tenant = 'a'): Promise<StageDecision | undefined> =>
    stage.beforePlan(ask(text), contextOf(tenant));
  const keep = async (text: string, tenant = 'a'): Promise<void> => {
    const request = ask(text);
    await stage.beforePlan(request, contextOf(tenant));
    stage.afterAnswer(answer, request, contextOf(tenant), { target, costUsd: 0.002 });
    await clock.advance(0); // the keeping settles
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { clock, events, embedded, index, stage, lookup, keep };
}

describe('ResponseCacheStage in semantic mode', () => {
  it('answers a near-duplicate at or above the threshold, with its similarity, and misses below it', async () => {
    const { lookup, keep, index } = harness();
    expect((await lookup('a'))?.kind).toBe('annotate');
    await keep('a');
    expect(index.size).toBe(1);
    const near = await lookup('b');
    expect(near).toMatchObject({
      kind: 'answer',
      response: answer,
      savedUsd: 0.002,
      headers: { 'x-spillway-cache': 'hit', 'x-spillway-cache-similarity': '0.9600' },
    });
    expect(await lookup('c')).toMatchObject({ kind: 'annotate', headers: { 'x-spillway-cache': 'miss' } });
    expect(await lookup('d')).toMatchObject({ kind: 'annotate' });
  });

  it('answers an identical prompt by its hash, without an embedding call', async () => {
    const { lookup, keep, embedded } = harness();
    await keep('a');
    expect(embedded).toEqual(['a']); // once, for the lookup and the keeping
    expect(await lookup('a')).toMatchObject({
      kind: 'answer',
      headers: { 'x-spillway-cache': 'hit', 'x-spillway-cache-similarity': '1.0000' },
    });
    expect(embedded).toEqual(['a']);
  });

  it('never answers another tenant', async () => {
    const { lookup, keep } = harness();
    await keep('a', 'tenant-a');
    expect((await lookup('a', 'tenant-a'))?.kind).toBe('answer');
    expect((await lookup('a', 'tenant-b'))?.kind).toBe('annotate');
  });

  it('treats a failing embedding as a miss and keeps nothing then', async () => {
    const { lookup, keep, index, events } = harness();
    expect(await lookup('unknown text')).toMatchObject({ kind: 'annotate' });
    await keep('unknown text');
    expect(index.size).toBe(0);
    expect(events.filter((event) => event.type === 'cache-lookup').map((event) => event.result)).toEqual([
      'miss',
      'miss',
    ]);
  });

  it('treats an embedding slower than its timeout as a miss (on the injected clock)', async () => {
    let aborted = false;
    const { lookup, clock } = harness({
      embed: (_text, _context, signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          });
        }),
    });
    const decision = lookup('a');
    await clock.advance(500);
    expect(await decision).toMatchObject({ kind: 'annotate', headers: { 'x-spillway-cache': 'miss' } });
    expect(aborted).toBe(true);
  });
});

describe('SharedVectors', () => {
  it("adds what one replica keeps to the other's index, and skips its own", async () => {
    const clock = new FakeClock(0);
    const state = new MemoryStateStore(clock);
    const [one, two] = [new SharedVectors(state), new SharedVectors(state)];
    const [indexOne, indexTwo] = [
      new VectorIndex({ maxEntries: 5, clock }),
      new VectorIndex({ maxEntries: 5, clock }),
    ];
    const announcer = one.attach('g', indexOne);
    two.attach('g', indexTwo);
    await Promise.all([one.ready(), two.ready()]);
    indexOne.add('s', { key: 'k1', vector: Float32Array.from([0.6, 0.8]), expiresAt: 1000 });
    announcer.announce('s', { key: 'k1', vector: Float32Array.from([0.6, 0.8]), expiresAt: 1000 });
    announcer.announce('s', { key: 'k2', vector: undefined, expiresAt: 1000 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(indexOne.size).toBe(1);
    expect(indexTwo.size).toBe(2);
    expect(indexTwo.nearest('s', Float32Array.from([0.6, 0.8]))).toEqual({
      key: 'k1',
      similarity: expect.closeTo(1, 5),
    });
    expect(indexTwo.nearest('s', undefined)).toEqual({ key: 'k2', similarity: 1 });
  });
});
