import { createOpenAI } from '@ai-sdk/openai';
import { APICallError, generateText, type ModelMessage, streamText } from 'ai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { simModels, singleDeploymentGroup } from './support/gateway-config.ts';
import { useSimulatedGateway } from './support/simulated-gateway.ts';

// Issue 13: the edges of the Responses API through a real gateway process — a response cut by the
// output cap is `incomplete`, a stream failing after its first byte ends with an in-band error the
// clients raise, and what the gateway does not do (stored state, built-in tools) is a 400 naming it.

const world = useSimulatedGateway({
  simulator: { seed: 1315 },
  gateway: {
    models: {
      gpt: singleDeploymentGroup('gpt', 'openai', simModels.gpt),
      claude: singleDeploymentGroup('claude', 'anthropic', simModels.claudeDirect),
      nova: singleDeploymentGroup('nova', 'a2-us-west-2', simModels.novaPro),
    },
  },
});

function aiSdk(): ReturnType<typeof createOpenAI> {
  return createOpenAI({ baseURL: `${world.gateway.url}/v1`, apiKey: 'sk-anonymous' });
}

/** The APIError a call rejects with (fails the test when it resolves). */
async function refusal(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const thrown = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown).toBeInstanceOf(OpenAI.APIError);
  return thrown as InstanceType<typeof OpenAI.APIError>;
}

const longAnswer = 'Tell me everything you know about rivers, at length.';

describe.each([
  { group: 'gpt', upstream: 'openai' },
  { group: 'claude', upstream: 'anthropic' },
  { group: 'nova', upstream: 'bedrock' },
])('Responses API edges → gateway → $upstream-style upstream', ({ group }) => {
  it('the output cap: incomplete with reason max_output_tokens, complete and streamed', async () => {
    const cut = await world.openai.responses.create({
      model: group,
      input: longAnswer,
      max_output_tokens: 16,
    });
    expect(cut.status).toBe('incomplete');
    expect(cut.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(cut.output.at(-1)).toMatchObject({ type: 'message', status: 'incomplete' });
    expect(cut.usage?.output_tokens).toBe(16);
    const stream = world.openai.responses.stream({ model: group, input: longAnswer, max_output_tokens: 16 });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe('response.incomplete');
    expect((await stream.finalResponse()).incomplete_details).toEqual({ reason: 'max_output_tokens' });
    const viaAiSdk = await generateText({
      model: aiSdk()(group),
      prompt: longAnswer,
      maxOutputTokens: 16,
      maxRetries: 0,
    });
    expect(viaAiSdk.finishReason).toBe('length');
  });

  it('AI SDK: a conversation replaying its answer needs store: false (no item references)', async () => {
    const model = aiSdk()(group);
    const first = await generateText({ model, prompt: 'Say hello', maxRetries: 0 });
    const messages: ModelMessage[] = [
      { role: 'user', content: 'Say hello' },
      ...first.finalStep.response.messages,
      { role: 'user', content: 'Again, please.' },
    ];
    // With the SDK's default store: true it sends the earlier answer as an item reference: refused by name.
    const referenced = await generateText({ model, messages, maxRetries: 0 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(APICallError.isInstance(referenced)).toBe(true);
    if (APICallError.isInstance(referenced)) {
      expect(referenced.statusCode).toBe(400);
      expect(referenced.message).toContain('does not store responses');
    }
    const replayed = await generateText({
      model,
      messages,
      providerOptions: { openai: { store: false } },
      maxRetries: 0,
    });
    expect(replayed.text).toMatch(/\w/);
  });
});

describe('Responses API edges', () => {
  it('refusals in the OpenAI error shape, naming the field', async () => {
    const stored = await refusal(
      world.openai.responses.create({ model: 'claude', input: 'hi', previous_response_id: 'resp_1' }),
    );
    expect(stored.status).toBe(400);
    expect(stored.param).toBe('previous_response_id');
    expect(stored.message).toContain('does not store responses');
    const builtIn = await refusal(
      world.openai.responses.create({ model: 'claude', input: 'hi', tools: [{ type: 'web_search' }] }),
    );
    expect(builtIn.status).toBe(400);
    expect(builtIn.param).toBe('tools[0].type');
    const unknown = await refusal(world.openai.responses.create({ model: 'no-such-group', input: 'hi' }));
    expect(unknown.status).toBe(404);
    expect(unknown.type).toBe('invalid_request_error');
  });

  it('a stream cut after its first byte: the openai SDK and the AI SDK raise the in-band error', async () => {
    world.sim.addFault({ kind: 'cut_stream', after_events: 4, count: 1, api: 'openai' });
    const stream = world.openai.responses.stream({ model: 'gpt', input: longAnswer });
    const types: string[] = [];
    const failure = await (async () => {
      for await (const event of stream) types.push(event.type);
    })().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).message).toMatch(/stream/i);
    expect(types).toContain('response.output_text.delta');
    expect(types).not.toContain('response.completed');

    world.sim.addFault({ kind: 'cut_stream', after_events: 4, count: 1, api: 'openai' });
    const errors: unknown[] = [];
    const streamed = streamText({
      model: aiSdk()('gpt'),
      prompt: longAnswer,
      maxRetries: 0,
      onError: ({ error }) => {
        errors.push(error);
      },
    });
    for await (const part of streamed.stream) if (part.type === 'error') errors.push(part.error);
    expect(errors.length).toBeGreaterThan(0);
    expect(JSON.stringify(errors[0])).toMatch(/stream/i);
  });
});
