import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { defaultSimWorld } from '../src/simulator/default-sim-world.ts';
import { parseSimWorld } from '../src/simulator/sim-world.ts';
import { simAccounts, simModels, singleDeploymentGroup } from './support/gateway-config.ts';
import { routeHeaders, weatherToolAnthropic, weatherToolOpenai } from './support/sdk-clients.ts';
import { useSimulatedGateway } from './support/simulated-gateway.ts';

// Issue 3 acceptance: both SDKs through a real gateway process reach Bedrock deployments of the
// simulator (Converse and ConverseStream), cross-region profiles are served in one of their regions,
// and with one region out of quota the others serve.

const usRegions = defaultSimWorld.bedrock.profiles['us'] ?? [];
const account1 = simAccounts[1].id;

// The default world, with account 1 nearly out of quota in us-east-1 for Nova Pro and Sonnet.
const tinyQuotaWorld = parseSimWorld(
  {
    ...defaultSimWorld,
    bedrock: {
      ...defaultSimWorld.bedrock,
      quotas: {
        default: defaultSimWorld.bedrock.quotas.default,
        overrides: [
          { account: account1, region: 'us-east-1', model: simModels.novaPro, rpm: 2 },
          {
            account: account1,
            region: 'us-east-1',
            model: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
            rpm: 2,
          },
        ],
      },
    },
  },
  'tiny-quota world',
);

const world = useSimulatedGateway({
  simulator: { seed: 5, world: tinyQuotaWorld },
  gateway: {
    models: {
      nova: singleDeploymentGroup('nova', 'a2-us-west-2', simModels.novaPro),
      sonnet: singleDeploymentGroup('sonnet', 'a2-us-east-1', simModels.sonnetUsProfile),
      'sonnet-cris-tiny': singleDeploymentGroup(
        'sonnet-cris-tiny',
        'a1-us-east-1',
        simModels.sonnetUsProfile,
      ),
      'nova-two-regions': {
        strategy: 'round-robin',
        deployments: [
          { id: 'nova-east-tiny', provider: 'a1-us-east-1', model: simModels.novaPro },
          { id: 'nova-west', provider: 'a1-us-west-2', model: simModels.novaPro },
        ],
      },
    },
  },
});

describe.each([
  { group: 'nova', region: 'us-west-2' },
  { group: 'sonnet', region: 'us-east-1' },
])('Bedrock deployment $group', ({ group, region }) => {
  it.each([false, true])(
    'openai SDK: answers with usage and finish_reason stop (stream: %s)',
    async (stream) => {
      let text = '';
      let finishReason: string | null = null;
      let usage: OpenAI.CompletionUsage | null | undefined;
      let headers: Headers;
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Hello' }];
      if (stream) {
        const { data, response } = await world.openai.chat.completions
          .create({ model: group, messages, stream: true, stream_options: { include_usage: true } })
          .withResponse();
        headers = response.headers;
        for await (const chunk of data) {
          text += chunk.choices[0]?.delta.content ?? '';
          finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
          usage = chunk.usage ?? usage;
        }
      } else {
        const { data, response } = await world.openai.chat.completions
          .create({ model: group, messages })
          .withResponse();
        headers = response.headers;
        text = data.choices[0]?.message.content ?? '';
        finishReason = data.choices[0]?.finish_reason ?? null;
        usage = data.usage;
      }
      expect(routeHeaders(headers)).toMatchObject({ deployment: group, region, attempts: 1 });
      expect(text).toMatch(/\w/);
      expect(finishReason).toBe('stop');
      const upstreamCall = world.lastInvocation();
      expect(upstreamCall).toMatchObject({
        api: 'bedrock',
        operation: stream ? 'ConverseStream' : 'Converse',
        status: 200,
        region,
      });
      expect(usage).toMatchObject({
        prompt_tokens: upstreamCall.inputTokens,
        completion_tokens: upstreamCall.outputTokens,
        total_tokens: upstreamCall.inputTokens + upstreamCall.outputTokens,
      });
    },
  );

  it.each([false, true])(
    'anthropic SDK: answers with usage and stop_reason end_turn (stream: %s)',
    async (stream) => {
      const request = {
        model: group,
        max_tokens: 100,
        messages: [{ role: 'user' as const, content: 'Hello' }],
      };
      const message = stream
        ? await world.anthropic.messages.stream(request).finalMessage()
        : await world.anthropic.messages.create(request);
      expect(message.stop_reason).toBe('end_turn');
      expect(message.content[0]?.type).toBe('text');
      const upstreamCall = world.lastInvocation();
      expect(upstreamCall.operation).toBe(stream ? 'ConverseStream' : 'Converse');
      expect(message.usage).toMatchObject({
        input_tokens: upstreamCall.inputTokens,
        output_tokens: upstreamCall.outputTokens,
      });
    },
  );

  it.each([false, true])('openai SDK: tool call round trip (stream: %s)', async (stream) => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Oslo?' }];
    const request = { model: group, messages, tools: [weatherToolOpenai] };
    const completion = stream
      ? await world.openai.chat.completions
          .stream({ ...request, stream_options: { include_usage: true } })
          .finalChatCompletion()
      : await world.openai.chat.completions.create(request);
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    const toolCall = completion.choices[0]?.message.tool_calls?.[0];
    if (toolCall?.type !== 'function')
      throw new Error(`no function tool call: ${JSON.stringify(completion)}`);
    expect(toolCall.id).not.toBe('');
    expect(toolCall.function.name).toBe('get_weather');
    expect(JSON.parse(toolCall.function.arguments)).toMatchObject({ city: expect.any(String) });
    expect(completion.usage?.completion_tokens).toBe(world.lastInvocation().outputTokens);

    const answer = await world.openai.chat.completions.create({
      ...request,
      messages: [
        ...messages,
        { role: 'assistant', content: null, tool_calls: [toolCall] },
        { role: 'tool', tool_call_id: toolCall.id, content: '{"temperature_c": 4}' },
      ],
    });
    expect(answer.choices[0]?.finish_reason).toBe('stop');
    expect(answer.choices[0]?.message.content).toMatch(/\w/);
  });

  it.each([false, true])('anthropic SDK: tool use round trip (stream: %s)', async (stream) => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Oslo?' }];
    const request = { model: group, max_tokens: 200, messages, tools: [weatherToolAnthropic] };
    const message = stream
      ? await world.anthropic.messages.stream(request).finalMessage()
      : await world.anthropic.messages.create(request);
    expect(message.stop_reason).toBe('tool_use');
    const toolUse = message.content.find((block) => block.type === 'tool_use');
    if (toolUse?.type !== 'tool_use') throw new Error(`no tool_use block: ${JSON.stringify(message)}`);
    expect(toolUse.name).toBe('get_weather');
    expect(toolUse.input).toMatchObject({ city: expect.any(String) });

    const answer = await world.anthropic.messages.create({
      ...request,
      messages: [
        ...messages,
        { role: 'assistant', content: message.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '4 °C' }] },
      ],
    });
    expect(answer.stop_reason).toBe('end_turn');
    expect(answer.content[0]?.type).toBe('text');
  });
});

describe('cross-region inference profiles', () => {
  it('a us. profile is served in one of the profile regions; the invocation log names it', async () => {
    const since = world.sim.invocations().length;
    for (let turn = 0; turn < 4; turn += 1) {
      const { response } = await world.openai.chat.completions
        .create({ model: 'sonnet', messages: [{ role: 'user', content: 'Hello' }] })
        .withResponse();
      expect(routeHeaders(response.headers).region).toBe('us-east-1');
    }
    const calls = world.sim.invocations().slice(since);
    expect(calls).toHaveLength(4);
    for (const call of calls) {
      expect(call).toMatchObject({ modelId: simModels.sonnetUsProfile, region: 'us-east-1', status: 200 });
      expect(usRegions).toContain(call.inferenceRegion);
    }
  });

  it('with us-east-1 out of quota, the profile is served by the other US regions', async () => {
    const since = world.sim.invocations().length;
    for (let turn = 0; turn < 8; turn += 1) {
      const message = await world.anthropic.messages.create({
        model: 'sonnet-cris-tiny',
        max_tokens: 50,
        messages: [{ role: 'user', content: 'Hello' }],
      });
      expect(message.stop_reason).toBe('end_turn');
    }
    const calls = world.sim.invocations().slice(since);
    expect(calls.every((call) => call.status === 200)).toBe(true);
    const servedIn = calls.map((call) => call.inferenceRegion);
    expect(servedIn.filter((region) => region === 'us-east-1').length).toBeLessThanOrEqual(2);
    expect(new Set(servedIn).size).toBeGreaterThan(1);
    for (const region of servedIn) expect(usRegions).toContain(region);
  });
});

describe('one region out of quota at the gateway level', () => {
  it('every request succeeds: us-east-1 throttles, us-west-2 serves, retries show in x-spillway-attempts', async () => {
    const since = world.sim.invocations().length;
    const attempts: number[] = [];
    const deployments: string[] = [];
    for (let turn = 0; turn < 8; turn += 1) {
      const { data, response } = await world.openai.chat.completions
        .create({ model: 'nova-two-regions', messages: [{ role: 'user', content: 'Hello' }] })
        .withResponse();
      expect(data.choices[0]?.finish_reason).toBe('stop');
      const route = routeHeaders(response.headers);
      attempts.push(route.attempts);
      deployments.push(route.deployment);
    }
    const calls = world.sim.invocations().slice(since);
    const east = calls.filter((call) => call.region === 'us-east-1');
    // us-east-1 took its quota of 2, then answered ThrottlingException; us-west-2 served the rest.
    expect(east.filter((call) => call.status === 200)).toHaveLength(2);
    expect(east.some((call) => call.errorCode === 'ThrottlingException')).toBe(true);
    expect(deployments.filter((id) => id === 'nova-west').length).toBeGreaterThanOrEqual(6);
    expect(attempts.some((count) => count > 1)).toBe(true);
  });
});
