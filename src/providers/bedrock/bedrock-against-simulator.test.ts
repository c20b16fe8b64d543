import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BedrockProviderConfig } from '../../config/schema.ts';
import type { CallContext, ChatModel } from '../../core/chat-model.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import { startSimulator, type RunningSimulator } from '../../simulator/start-simulator.ts';
import { createBedrockChatModel } from './create-bedrock-chat-model.ts';

// The simulator's default world (src/simulator/default-sim-world.ts), instant latency.
const profileId = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const account1 = { access_key_id: 'AKIASIMACCOUNT1EXAMPLE', secret_access_key: 'sim-secret-account-1' };

let sim: RunningSimulator;
const models: ChatModel[] = [];

beforeAll(async () => {
  sim = await startSimulator({ latencyScale: 0 });
});
afterEach(async () => {
  sim.reset();
  await Promise.all(models.splice(0).map((model) => model.close()));
});
afterAll(async () => {
  await sim.close();
});

function model(
  modelId = profileId,
  credentials: BedrockProviderConfig['credentials'] = account1,
  region = 'us-east-1',
): ChatModel {
  const created = createBedrockChatModel({
    providerName: 'sim-bedrock',
    config: { region, endpoint: sim.url, credentials },
    modelId,
  });
  models.push(created);
  return created;
}

const context: CallContext = { signal: new AbortController().signal, requestId: 'req_sim' };
const hello: ChatRequest = {
  model: 'claude',
  stream: false,
  system: 'Be brief.',
  maxTokens: 200,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello.' }] }],
};
const weatherTool: ChatRequest = {
  ...hello,
  tools: [
    {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  ],
  toolChoice: { type: 'required' },
};

async function collect(
  events: AsyncIterable<ChatStreamEvent>,
): Promise<{ events: ChatStreamEvent[]; error: GatewayError | undefined }> {
  const seen: ChatStreamEvent[] = [];
  try {
    for await (const event of events) seen.push(event);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return { events: seen, error };
  }
  return { events: seen, error: undefined };
}

describe('Bedrock adapter against the simulator', () => {
  it('generates through a cross-region profile with SigV4', async () => {
    const answer = await model().generate(hello, context);
    expect(answer.model).toBe(profileId);
    expect(answer.stopReason).toBe('end_turn');
    expect(answer.content[0]).toMatchObject({ type: 'text' });
    expect(answer.usage.inputTokens).toBeGreaterThan(0);
    expect(answer.usage.outputTokens).toBeGreaterThan(0);
    expect(sim.invocations()).toHaveLength(1);
  });

  it('streams canonical events in order, ending with message_stop and usage', async () => {
    const { events, error } = await collect(model().stream({ ...hello, stream: true }, context));
    expect(error).toBeUndefined();
    expect(events[0]?.type).toBe('message_start');
    expect(events.filter((event) => event.type === 'text_delta').length).toBeGreaterThan(0);
    expect(events.slice(-2).map((event) => event.type)).toEqual(['message_stop', 'usage']);
  });

  it('makes a tool call, in one answer and streamed', async () => {
    const answer = await model().generate(weatherTool, context);
    expect(answer.stopReason).toBe('tool_use');
    const call = answer.content.find((part) => part.type === 'tool_call');
    expect(call).toMatchObject({ type: 'tool_call', name: 'get_weather' });
    expect(JSON.parse(call?.type === 'tool_call' ? call.arguments : '')).toHaveProperty('city');

    const { events, error } = await collect(model().stream({ ...weatherTool, stream: true }, context));
    expect(error).toBeUndefined();
    const start = events.find((event) => event.type === 'tool_call_start');
    expect(start).toMatchObject({ name: 'get_weather' });
    const args = events.flatMap((event) => (event.type === 'tool_call_delta' ? [event.argumentsDelta] : []));
    expect(JSON.parse(args.join(''))).toHaveProperty('city');
    expect(events.find((event) => event.type === 'message_stop')).toMatchObject({ stopReason: 'tool_use' });
  });

  it('classifies a simulated throttle as a retryable rate limit', async () => {
    sim.addFault({ kind: 'throttle', api: 'bedrock', count: 1 });
    await expect(model().generate(hello, context)).rejects.toMatchObject({
      code: 'upstream_rate_limited',
      retryable: true,
      fallbackEligible: true,
      upstreamStatus: 429,
      upstreamCode: 'ThrottlingException',
    });
    // The fault was used up: the next call goes through.
    await expect(model().generate(hello, context)).resolves.toMatchObject({ stopReason: 'end_turn' });
  });

  it('fails a stream cut before its terminal events', async () => {
    sim.addFault({ kind: 'cut_stream', api: 'bedrock', after_events: 2, count: 1 });
    const { events, error } = await collect(model().stream({ ...hello, stream: true }, context));
    expect(events.length).toBeGreaterThan(0);
    expect(error?.code).toBe('upstream_stream_interrupted');
  });

  it('rejects a wrong secret as an upstream auth failure', async () => {
    const wrong = { access_key_id: account1.access_key_id, secret_access_key: 'not-the-secret' };
    await expect(model(profileId, wrong).generate(hello, context)).rejects.toMatchObject({
      code: 'upstream_auth_failed',
      retryable: false,
      fallbackEligible: true,
    });
  });

  it('authenticates with a Bedrock API key', async () => {
    const answer = await model(profileId, { api_key: 'bedrock-api-key-sim-account-1' }).generate(
      hello,
      context,
    );
    expect(answer.stopReason).toBe('end_turn');
  });

  it('embeds with Titan text embeddings v2', async () => {
    const result = await model('amazon.titan-embed-text-v2:0').embed(
      { model: 'embed', input: ['alpha', 'beta'], dimensions: 256 },
      context,
    );
    expect(result.embeddings).toHaveLength(2);
    expect(result.embeddings[0]).toHaveLength(256);
    expect(result.inputTokens).toBeGreaterThan(0);
  });
});
