import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../test/support/fake-clock.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import type { ChatResponse } from '../../core/chat-response.ts';
import type { RequestContext } from '../../pipeline/gateway.ts';
import { createClassifier, scoreInAnswer, type ClassifierCall } from './classifier.ts';
import { RouteStage } from './route-stage.ts';

const clock = new FakeClock();
const context: RequestContext = {
  requestId: 'req-1',
  dialect: 'openai',
  principal: { tenant: 't', keyId: 'k', tenantLimits: {}, keyLimits: {}, logBodies: false },
  signal: new AbortController().signal,
  receivedAt: clock.now(),
};
const request: ChatRequest = {
  model: 'auto',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'What is 2 + 2?' }] }],
  stream: false,
};
const answer = (text: string): ChatResponse => ({
  id: 'a',
  model: 'judge',
  content: [{ type: 'text', text }],
  stopReason: 'end_turn',
  usage: { inputTokens: 1, outputTokens: 1 },
});

function stageWith(call: ClassifierCall, events: unknown[] = []) {
  return new RouteStage({
    router: 'auto',
    rules: [
      { when: { tags: ['legal'] }, to: 'strong' },
      { when: { complexity_at_least: 0.5 }, to: 'strong' },
      { default: 'cheap' },
    ],
    tenantTags: new Map(),
    events: { emit: (event) => events.push(event) },
    classify: createClassifier({ group: 'judge', timeoutMs: 800, clock, call }),
  });
}

describe('the classifier', () => {
  it('reads a score in 0..1 from JSON or a bare number, and nothing else', () => {
    expect(scoreInAnswer(answer('{"complexity": 0.8}'))).toBe(0.8);
    expect(scoreInAnswer(answer(' 0.25 '))).toBe(0.25);
    expect(scoreInAnswer(answer('{"complexity": 3}'))).toBeUndefined();
    expect(scoreInAnswer(answer('quite hard'))).toBeUndefined();
  });

  it('routes by the classifier score, asking the classifier group with a JSON schema', async () => {
    const asked: ChatRequest[] = [];
    const stage = stageWith((sent) => {
      asked.push(sent);
      return Promise.resolve(answer('{"complexity": 0.9}'));
    });
    const decision = await stage.beforePlan(request, context);
    expect(decision).toMatchObject({
      request: { model: 'strong' },
      headers: {
        'x-spillway-route': 'auto:rule-2 -> strong',
        'x-spillway-complexity': '0.9; source=classifier',
      },
    });
    expect(asked[0]).toMatchObject({
      model: 'judge',
      responseFormat: { type: 'json_schema' },
      temperature: 0,
    });
  });

  it('is not asked when a rule before the first scoring one matches', async () => {
    let calls = 0;
    const stage = stageWith(() => {
      calls += 1;
      return Promise.resolve(answer('1'));
    });
    const decision = await stage.beforePlan(request, { ...context, tags: ['legal'] });
    expect(decision).toMatchObject({ headers: { 'x-spillway-route': 'auto:rule-1 -> strong' } });
    expect(calls).toBe(0);
  });

  it('falls back to the transparent score on a timeout (and aborts the call) or a failure', async () => {
    let signal: AbortSignal | undefined;
    const hanging = stageWith((_sent, _context, given) => {
      signal = given;
      return new Promise<ChatResponse>(() => undefined);
    });
    const pending = hanging.beforePlan(request, context);
    await clock.advance(800);
    const decision = await pending;
    // "What is 2 + 2?" scores low on the transparent score: the default.
    expect(decision).toMatchObject({ headers: { 'x-spillway-route': 'auto:default -> cheap' } });
    expect((decision as { headers: Record<string, string> }).headers['x-spillway-complexity']).toMatch(
      /; source=fallback$/,
    );
    expect(signal?.aborted).toBe(true);
    const failing = stageWith(() => Promise.reject(new Error('upstream down')));
    expect(await failing.beforePlan(request, context)).toMatchObject({
      headers: { 'x-spillway-route': 'auto:default -> cheap' },
    });
  });
});
