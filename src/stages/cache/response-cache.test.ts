import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat-request.ts';
import type { ChatResponse } from '../../core/chat-response.ts';
import type { StateStore } from '../../core/state-store.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { FakeClock } from '../../../test/support/fake-clock.ts';
import { AnswerCollector } from './answer-collector.ts';
import { MemoryAnswerStore, parseAnswer, serializeAnswer, SharedAnswerStore } from './answer-store.ts';
import { cacheKey } from './cache-key.ts';

const request: ChatRequest = {
  model: 'g',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
  stream: false,
};

const response: ChatResponse = {
  id: 'r1',
  model: 'm',
  content: [
    { type: 'text', text: 'hi there' },
    { type: 'tool_call', id: 't1', name: 'f', arguments: '{"a":1}' },
  ],
  stopReason: 'tool_use',
  usage: { inputTokens: 3, outputTokens: 4 },
};

describe('cacheKey', () => {
  it('ignores stream and user, keeps everything that changes the answer', () => {
    const base = cacheKey(request, 't:a');
    expect(cacheKey({ ...request, stream: true, user: 'u1' }, 't:a')).toBe(base);
    expect(cacheKey(request, 't:b')).not.toBe(base);
    expect(cacheKey({ ...request, model: 'h' }, 't:a')).not.toBe(base);
    expect(cacheKey({ ...request, maxTokens: 10 }, 't:a')).not.toBe(base);
    expect(cacheKey({ ...request, system: 'be brief' }, 't:a')).not.toBe(base);
  });

  it('keeps a nested property named user or stream (only the top-level fields are left out)', () => {
    const withTool = (property: string): ChatRequest => ({
      ...request,
      tools: [{ name: 'f', parameters: { type: 'object', properties: { [property]: { type: 'string' } } } }],
    });
    expect(cacheKey(withTool('user'), 't:a')).not.toBe(cacheKey(withTool('other'), 't:a'));
    expect(cacheKey(withTool('stream'), 't:a')).not.toBe(cacheKey(withTool('other'), 't:a'));
  });
});

describe('MemoryAnswerStore', () => {
  const text = serializeAnswer({ response, costUsd: 0.01, storedAt: 0 });

  it('serves an answer until its TTL, then misses', async () => {
    const clock = new FakeClock(1000);
    const store = new MemoryAnswerStore({ maxBytes: 1 << 20, clock });
    await store.set('k', text, 500);
    expect((await store.get('k'))?.response).toEqual(response);
    await clock.advance(499);
    expect(await store.get('k')).toBeDefined();
    await clock.advance(1);
    expect(await store.get('k')).toBeUndefined();
    expect(store.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('holds at most maxBytes, the least recently used leaving first', async () => {
    const clock = new FakeClock(0);
    const entryBytes = text.length * 2;
    const store = new MemoryAnswerStore({ maxBytes: entryBytes * 2, clock });
    await store.set('a', text, 10_000);
    await store.set('b', text, 10_000);
    await store.get('a'); // a is now the most recently used
    await store.set('c', text, 10_000);
    expect(store.size).toEqual({ entries: 2, bytes: entryBytes * 2 });
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBeDefined();
    expect(await store.get('c')).toBeDefined();
    // Replacing a key does not count it twice; an answer over the bound is not kept.
    await store.set('c', text, 10_000);
    expect(store.size.bytes).toBe(entryBytes * 2);
    const small = new MemoryAnswerStore({ maxBytes: entryBytes - 1, clock });
    await small.set('x', text, 10_000);
    expect(small.size.entries).toBe(0);
  });

  it('treats a value that is not an answer as a miss', () => {
    expect(parseAnswer('not json')).toBeUndefined();
    expect(parseAnswer('{"response":{"id":1}}')).toBeUndefined();
    expect(parseAnswer(text)?.costUsd).toBe(0.01);
  });
});

describe('SharedAnswerStore', () => {
  it('turns a failing state store into a miss and an answer not kept', async () => {
    const failing = {
      get: () => Promise.reject(new Error('redis away')),
      set: () => Promise.reject(new Error('redis away')),
    } as unknown as StateStore;
    const store = new SharedAnswerStore(failing);
    await expect(store.get('k')).resolves.toBeUndefined();
    await expect(store.set('k', 'v', 1000)).resolves.toBeUndefined();
  });
});

describe('AnswerCollector', () => {
  const events: ChatStreamEvent[] = [
    { type: 'message_start', id: 'r1', model: 'm' },
    { type: 'text_delta', index: 0, text: 'hi ' },
    { type: 'text_delta', index: 0, text: 'there' },
    { type: 'content_block_stop', index: 0 },
    { type: 'tool_call_start', index: 1, id: 't1', name: 'f' },
    { type: 'tool_call_delta', index: 1, argumentsDelta: '{"a"' },
    { type: 'tool_call_delta', index: 1, argumentsDelta: ':1}' },
    { type: 'content_block_stop', index: 1 },
    { type: 'message_stop', stopReason: 'tool_use' },
    { type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } },
  ];

  it('rebuilds the complete answer of a finished stream', () => {
    const collector = new AnswerCollector(1 << 20);
    for (const event of events) collector.add(event);
    expect(collector.answer()).toEqual({ ...response, stopSequence: undefined });
  });

  it('has no answer for a stream that did not finish, or one too large to keep', () => {
    const cut = new AnswerCollector(1 << 20);
    for (const event of events.slice(0, 5)) cut.add(event);
    expect(cut.answer()).toBeUndefined();
    const large = new AnswerCollector(8);
    for (const event of events) large.add(event);
    expect(large.answer()).toBeUndefined();
  });

  it('rebuilds reasoning blocks, signed and redacted, before the answer', () => {
    const collector = new AnswerCollector(1 << 20);
    collector.add({ type: 'message_start', id: 'r2', model: 'm' });
    collector.add({ type: 'reasoning_delta', index: 0, text: 'let me ' });
    collector.add({ type: 'reasoning_delta', index: 0, text: 'think' });
    collector.add({ type: 'reasoning_signature', index: 0, signature: 'sig' });
    collector.add({ type: 'content_block_stop', index: 0 });
    collector.add({ type: 'redacted_reasoning', index: 1, data: 'opaque' });
    collector.add({ type: 'content_block_stop', index: 1 });
    collector.add({ type: 'text_delta', index: 2, text: 'done' });
    collector.add({ type: 'message_stop', stopReason: 'end_turn' });
    collector.add({ type: 'usage', usage: { inputTokens: 1, outputTokens: 2 } });
    expect(collector.answer()?.content).toEqual([
      { type: 'reasoning', text: 'let me think', signature: 'sig' },
      { type: 'redacted_reasoning', data: 'opaque' },
      { type: 'text', text: 'done' },
    ]);
  });

  it('has no answer when a delta does not fit its block (nothing partial is cached)', () => {
    const collector = new AnswerCollector(1 << 20);
    for (const event of events.slice(0, 4)) collector.add(event);
    collector.add({ type: 'tool_call_delta', index: 0, argumentsDelta: '{}' });
    for (const event of events.slice(4)) collector.add(event);
    expect(collector.answer()).toBeUndefined();
  });
});
