import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ChatStreamEvent } from '../core/stream-event.ts';
import { configSchema } from '../config/schema.ts';
import { buildRoutingTable } from '../routing/routing-table.ts';
import { MemoryStateStore } from '../state/memory-state-store.ts';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { chatRequest, configWith, ScriptedChatModel } from '../../test/support/pipeline/gateway-harness.ts';
import { streamCall } from './attempt-calls.ts';
import { createTally } from './execution-request.ts';
import { Execution } from './execution.ts';
import type { RequestContext } from './gateway.ts';
import { createExecutionPolicy } from './policies/execution-policy.ts';
import { relayStream } from './relay-stream.ts';

const start: ChatStreamEvent = { type: 'message_start', id: 'm', model: 'm1' };
const delta: ChatStreamEvent = { type: 'text_delta', index: 0, text: 'partial' };

describe('Execution', () => {
  it('outlives a committed stream: after a failure mid-stream, resume yields the next candidates in plan order, never the failed one', async () => {
    const clock = new FakeClock();
    const state = new MemoryStateStore(clock);
    const models: Record<string, ScriptedChatModel> = {
      d1: new ScriptedChatModel('m1', [{ kind: 'events', events: [start, delta], then: 'fail' }]),
      d2: new ScriptedChatModel('m2', [{ kind: 'ok' }]),
      d3: new ScriptedChatModel('m3', [{ kind: 'ok' }]),
    };
    const config = configSchema.parse(
      configWith({
        g: {
          strategy: 'ordered',
          deployments: [
            { id: 'd1', provider: 'east', model: 'm1' },
            { id: 'd2', provider: 'west', model: 'm2' },
            { id: 'd3', provider: 'east', model: 'm3' },
          ],
        },
      }),
    );
    const table = buildRoutingTable(config, ({ deployment }) => models[deployment.id] as ScriptedChatModel);
    const group = table.groups.get('g');
    if (group === undefined) throw new Error('no group g');
    const logger = pino({ level: 'silent' });
    const policy = createExecutionPolicy({
      state,
      clock,
      events: { emit: () => undefined },
      logger,
      random: () => 0,
    });
    const context: RequestContext = {
      requestId: 'req-resume',
      dialect: 'openai',
      principal: { tenant: 't', keyId: 'k', tenantLimits: {}, keyLimits: {}, logBodies: false },
      signal: new AbortController().signal,
      receivedAt: clock.now(),
    };
    const request = chatRequest('g', { stream: true });
    const execution = new Execution(
      {
        requestId: context.requestId,
        tenant: 't',
        signal: context.signal,
        table,
        group,
        promptTokens: 10,
        outputTokens: 16,
        contextTokens: 26,
        reservedTokens: 26,
        deadlineAt: clock.now() + group.settings.timeoutMs,
        timeoutMs: group.settings.timeoutMs,
        leaseId: context.requestId,
        stream: true,
      },
      streamCall(request, context, () => clock.now(), { emit: () => undefined }),
      createTally(),
    );

    const committed = await policy.execute(execution);
    expect(committed.candidate.deployment.id).toBe('d1');
    // The committed attempt keeps the execution: the plan did not die at the first byte.
    expect(committed.execution).toBe(execution);

    let failure: unknown;
    const received: ChatStreamEvent[] = [];
    try {
      for await (const event of relayStream(committed.value, committed.scope, false, 7, () => undefined)) {
        received.push(event);
      }
    } catch (error) {
      failure = error;
    }
    // A start without usage carries the prompt estimate, marked estimated.
    expect(received).toEqual([
      { ...start, usage: { inputTokens: 7, outputTokens: 0, estimated: true } },
      delta,
    ]);
    expect(failure).toMatchObject({ code: 'upstream_unavailable' });

    const afterError = failure as Parameters<typeof execution.resume>[0];
    expect(execution.resume(afterError)?.deployment.id).toBe('d2');
    // d2 fails too: the next is d3, and then nothing is left (d1 is never offered again).
    expect(execution.resume(afterError)?.deployment.id).toBe('d3');
    expect(execution.resume(afterError)).toBeUndefined();
  });
});
