import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { simModels, singleDeploymentGroup } from './support/gateway-config.ts';
import { routeHeaders, weatherToolAnthropic, weatherToolOpenai } from './support/sdk-clients.ts';
import { useSimulatedGateway } from './support/simulated-gateway.ts';

// Issue 2 acceptance: both SDKs through a real gateway process, same-dialect and cross-dialect,
// against the simulator's OpenAI-style (`gpt`) and Anthropic-style (`claude`) upstreams.

const world = useSimulatedGateway({
  simulator: { seed: 2 },
  gateway: {
    models: {
      gpt: singleDeploymentGroup('gpt', 'openai', simModels.gpt),
      claude: singleDeploymentGroup('claude', 'anthropic', simModels.claudeDirect),
      embed: singleDeploymentGroup('embed', 'openai', simModels.openaiEmbed),
    },
  },
});

function expectServedBy(headers: Headers, group: string): void {
  const route = routeHeaders(headers);
  expect(route.deployment).toBe(group);
  expect(route.modelGroup).toBe(group);
  expect(route.attempts).toBe(1);
}

const ask = [{ role: 'user', content: 'Say hello' }] as const;

describe.each([
  { group: 'gpt', upstream: 'openai' },
  { group: 'claude', upstream: 'anthropic' },
])('openai SDK → gateway → $upstream-style upstream', ({ group, upstream }) => {
  it('answers without streaming, with usage and finish_reason stop', async () => {
    const { data, response } = await world.openai.chat.completions
      .create({ model: group, messages: [...ask], max_completion_tokens: 100 })
      .withResponse();
    expectServedBy(response.headers, group);
    const choice = data.choices[0];
    expect(choice?.finish_reason).toBe('stop');
    expect(choice?.message.content).toMatch(/\w/);
    const upstreamCall = world.lastInvocation();
    expect(upstreamCall.api).toBe(upstream);
    expect(data.usage).toMatchObject({
      prompt_tokens: upstreamCall.inputTokens,
      completion_tokens: upstreamCall.outputTokens,
      total_tokens: upstreamCall.inputTokens + upstreamCall.outputTokens,
    });
  });

  it('streams with include_usage: content, finish_reason stop, then a usage chunk', async () => {
    const { data: stream, response } = await world.openai.chat.completions
      .create({
        model: group,
        messages: [...ask],
        max_completion_tokens: 100,
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expectServedBy(response.headers, group);
    let text = '';
    const finishReasons: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        if (choice.finish_reason !== null) finishReasons.push(choice.finish_reason);
      }
      if (chunk.usage) {
        expect(chunk.choices).toEqual([]);
        usage = chunk.usage;
      }
    }
    expect(text).toMatch(/\w/);
    expect(finishReasons).toEqual(['stop']);
    const upstreamCall = world.lastInvocation();
    expect(upstreamCall.stream).toBe(true);
    expect(usage).toMatchObject({
      prompt_tokens: upstreamCall.inputTokens,
      completion_tokens: upstreamCall.outputTokens,
      total_tokens: upstreamCall.inputTokens + upstreamCall.outputTokens,
    });
  });

  it.each([false, true])('round-trips a tool call (stream: %s)', async (stream) => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'What is the weather in Paris?' },
    ];
    const request = { model: group, messages, tools: [weatherToolOpenai], max_completion_tokens: 200 };
    let call: { id: string; name: string; arguments: string };
    if (stream) {
      const runner = world.openai.chat.completions.stream(request);
      const completion = await runner.finalChatCompletion();
      expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
      const toolCall = completion.choices[0]?.message.tool_calls?.[0];
      expect(toolCall?.type).toBe('function');
      call =
        toolCall?.type === 'function'
          ? { id: toolCall.id, ...toolCall.function }
          : { id: '', name: '', arguments: '' };
    } else {
      const completion = await world.openai.chat.completions.create(request);
      expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
      const toolCall = completion.choices[0]?.message.tool_calls?.[0];
      expect(toolCall?.type).toBe('function');
      call =
        toolCall?.type === 'function'
          ? { id: toolCall.id, ...toolCall.function }
          : { id: '', name: '', arguments: '' };
    }
    expect(call.id).not.toBe('');
    expect(call.name).toBe('get_weather');
    expect(JSON.parse(call.arguments)).toMatchObject({ city: expect.any(String) });

    const answer = await world.openai.chat.completions.create({
      ...request,
      messages: [
        ...messages,
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } },
          ],
        },
        { role: 'tool', tool_call_id: call.id, content: '{"temperature_c": 21}' },
      ],
    });
    expect(answer.choices[0]?.finish_reason).toBe('stop');
    expect(answer.choices[0]?.message.content).toMatch(/\w/);
    expect(answer.choices[0]?.message.tool_calls ?? []).toEqual([]);
  });
});

describe.each([
  { group: 'claude', upstream: 'anthropic' },
  { group: 'gpt', upstream: 'openai' },
])('anthropic SDK → gateway → $upstream-style upstream', ({ group, upstream }) => {
  it('answers without streaming, with usage and stop_reason end_turn', async () => {
    const { data, response } = await world.anthropic.messages
      .create({ model: group, max_tokens: 100, messages: [...ask] })
      .withResponse();
    expectServedBy(response.headers, group);
    expect(data.type).toBe('message');
    expect(data.stop_reason).toBe('end_turn');
    const block = data.content[0];
    expect(block?.type === 'text' ? block.text : '').toMatch(/\w/);
    const upstreamCall = world.lastInvocation();
    expect(upstreamCall.api).toBe(upstream);
    expect(data.usage).toMatchObject({
      input_tokens: upstreamCall.inputTokens,
      output_tokens: upstreamCall.outputTokens,
    });
  });

  it('streams named events: message_start … message_delta(end_turn, usage) … message_stop', async () => {
    const { data: stream, response } = await world.anthropic.messages
      .create({ model: group, max_tokens: 100, messages: [...ask], stream: true })
      .withResponse();
    expectServedBy(response.headers, group);
    const types: string[] = [];
    let text = '';
    let stopReason: string | null = null;
    let outputTokens = -1;
    let inputTokens = -1;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'message_start') inputTokens = event.message.usage.input_tokens;
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      if (event.type === 'message_delta') {
        stopReason = event.delta.stop_reason;
        outputTokens = event.usage.output_tokens;
        if (event.usage.input_tokens !== null) inputTokens = event.usage.input_tokens;
      }
    }
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(types).toContain('content_block_start');
    expect(types).toContain('content_block_stop');
    expect(text).toMatch(/\w/);
    expect(stopReason).toBe('end_turn');
    const upstreamCall = world.lastInvocation();
    expect(upstreamCall.stream).toBe(true);
    expect({ inputTokens, outputTokens }).toEqual({
      inputTokens: upstreamCall.inputTokens,
      outputTokens: upstreamCall.outputTokens,
    });
  });

  it.each([false, true])('round-trips a tool use (stream: %s)', async (stream) => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const request = { model: group, max_tokens: 200, messages, tools: [weatherToolAnthropic] };
    const message = stream
      ? await world.anthropic.messages.stream(request).finalMessage()
      : await world.anthropic.messages.create(request);
    expect(message.stop_reason).toBe('tool_use');
    const toolUse = message.content.find((block) => block.type === 'tool_use');
    expect(toolUse).toBeDefined();
    if (toolUse?.type !== 'tool_use') return;
    expect(toolUse.id).not.toBe('');
    expect(toolUse.name).toBe('get_weather');
    expect(toolUse.input).toMatchObject({ city: expect.any(String) });
    const upstreamCall = world.lastInvocation();
    expect(message.usage).toMatchObject({
      input_tokens: upstreamCall.inputTokens,
      output_tokens: upstreamCall.outputTokens,
    });

    const answer = await world.anthropic.messages.create({
      ...request,
      messages: [
        ...messages,
        { role: 'assistant', content: message.content },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '{"temperature_c": 21}' }],
        },
      ],
    });
    expect(answer.stop_reason).toBe('end_turn');
    expect(answer.content.every((block) => block.type === 'text')).toBe(true);
    expect(answer.content.map((block) => (block.type === 'text' ? block.text : '')).join('')).toMatch(/\w/);
  });
});

describe('embeddings', () => {
  it("serves the openai SDK's default base64 encoding, decoded to floats by the SDK", async () => {
    const { data, response } = await world.openai.embeddings
      .create({ model: 'embed', input: ['first text', 'second text'] })
      .withResponse();
    expectServedBy(response.headers, 'embed');
    expect(data.data).toHaveLength(2);
    expect(data.data.map((entry) => entry.index)).toEqual([0, 1]);
    for (const entry of data.data) {
      expect(entry.embedding).toHaveLength(1536);
      expect(entry.embedding.every((value) => Number.isFinite(value))).toBe(true);
    }
    expect(data.data[0]?.embedding).not.toEqual(data.data[1]?.embedding);
    expect(data.usage.prompt_tokens).toBe(world.lastInvocation().inputTokens);
  });

  it('serves encoding_format float as plain arrays', async () => {
    const data = await world.openai.embeddings.create({
      model: 'embed',
      input: 'first text',
      encoding_format: 'float',
    });
    expect(data.data[0]?.embedding).toHaveLength(1536);
  });
});
