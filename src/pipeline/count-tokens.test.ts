import { describe, expect, it } from 'vitest';
import type { CallContext } from '../core/chat-model.ts';
import type { ChatRequest } from '../core/chat-request.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { estimatePromptTokens } from '../limits/estimate-tokens.ts';
import {
  chatRequest,
  configWith,
  createHarness,
  ScriptedChatModel,
} from '../../test/support/pipeline/gateway-harness.ts';

/** A scripted model whose upstream has a token counter answering `answer` (a number or an error). */
class CountingModel extends ScriptedChatModel {
  counted = 0;
  private readonly answer: number | GatewayError;

  constructor(modelId: string, answer: number | GatewayError) {
    super(modelId, [{ kind: 'ok' }]);
    this.answer = answer;
  }

  countTokens(_request: ChatRequest, _context: CallContext): Promise<number> {
    this.counted += 1;
    return typeof this.answer === 'number' ? Promise.resolve(this.answer) : Promise.reject(this.answer);
  }
}

const twoDeployments = configWith({
  g: {
    deployments: [
      { id: 'd1', provider: 'east', model: 'm1' },
      { id: 'd2', provider: 'west', model: 'm2' },
    ],
  },
});

describe('countTokens', () => {
  it("answers with the first deployment's upstream counter, else the next, else the estimate", async () => {
    const down = new GatewayError('overloaded', { code: 'upstream_overloaded' });
    const first = new CountingModel('m1', down);
    const second = new CountingModel('m2', 42);
    const harness = createHarness(twoDeployments, { d1: first, d2: second });
    const counted = await harness.gateway.countTokens?.(chatRequest('g'), harness.context());
    expect(counted).toMatchObject({ inputTokens: 42, source: 'upstream' });
    expect(counted?.target?.deployment).toBe('d2');
    expect([first.counted, second.counted]).toEqual([1, 1]);

    const none = createHarness(twoDeployments, {
      d1: new ScriptedChatModel('m1', [{ kind: 'ok' }]),
      d2: new CountingModel('m2', down),
    });
    const request = chatRequest('g', { system: 'Count me.' });
    expect(await none.gateway.countTokens?.(request, none.context())).toEqual({
      inputTokens: estimatePromptTokens(request),
      source: 'estimate',
      target: undefined,
    });
  });

  it("a request the upstream refuses is the client's error; an unknown group is a 404", async () => {
    const refused = new GatewayError('messages: bad', { code: 'invalid_request', param: 'messages' });
    const harness = createHarness(twoDeployments, {
      d1: new CountingModel('m1', refused),
      d2: new CountingModel('m2', 7),
    });
    await expect(harness.gateway.countTokens?.(chatRequest('g'), harness.context())).rejects.toBe(refused);
    await expect(harness.gateway.countTokens?.(chatRequest('nope'), harness.context())).rejects.toMatchObject(
      {
        code: 'unknown_model',
      },
    );
  });
});
