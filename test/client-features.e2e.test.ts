import { createAnthropic } from '@ai-sdk/anthropic';
import type Anthropic from '@anthropic-ai/sdk';
import { ChatAnthropic } from '@langchain/anthropic';
import { ChatOpenAI } from '@langchain/openai';
import { generateObject } from 'ai';
import { APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { simModels, singleDeploymentGroup } from './support/gateway-config.ts';
import { routeHeaders } from './support/sdk-clients.ts';
import { useSimulatedGateway } from './support/simulated-gateway.ts';

// Issue 13: structured output, reasoning, prompt caching and token counting through a real gateway
// process, with the clients that use them (anthropic and openai SDKs, the Vercel AI SDK's Anthropic
// provider, LangChain's ChatOpenAI), against groups served by each upstream type of the simulator.

/** USD per million tokens, with cache prices, so cache reads and writes show in the cost header. */
const price = { input: 3, output: 15, cached_input: 0.3, cache_write: 3.75 };

function group(id: string, provider: string, model: string): ReturnType<typeof singleDeploymentGroup> {
  return { deployments: [{ id, provider, model, price }] };
}

const world = useSimulatedGateway({
  simulator: { seed: 1313 },
  gateway: {
    models: {
      gpt: group('gpt', 'openai', simModels.gpt),
      claude: group('claude', 'anthropic', simModels.claudeDirect),
      sonnet: group('sonnet', 'a1-us-east-1', simModels.sonnetUsProfile),
      nova: group('nova', 'a2-us-west-2', simModels.novaPro),
      llama: group('llama', 'a1-us-east-1', simModels.llama),
    },
  },
});

const upstreams = [
  { group: 'gpt', upstream: 'openai' },
  { group: 'claude', upstream: 'anthropic' },
  { group: 'sonnet', upstream: 'bedrock' },
] as const;

const citySchema = z.object({ city: z.string(), population: z.number().int(), rivers: z.array(z.string()) });
const cityJsonSchema = {
  type: 'object',
  properties: {
    city: { type: 'string' },
    population: { type: 'integer' },
    rivers: { type: 'array', items: { type: 'string' } },
  },
  required: ['city', 'population', 'rivers'],
  additionalProperties: false,
};

/** A system prompt past the 1024-token minimum the providers cache. */
const longRules = 'You answer questions about rivers, briefly and precisely. '.repeat(90);

/** The error a call rejects with (fails the test when it resolves). */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  const outcome = await call.then(
    () => 'resolved',
    (error: unknown) => error,
  );
  expect(outcome).not.toBe('resolved');
  return outcome;
}

describe.each(upstreams)('structured output → gateway → $upstream-style upstream', ({ group }) => {
  it('openai SDK chat with response_format json_schema: the JSON is the message content', async () => {
    const completion = await world.openai.chat.completions.create({
      model: group,
      messages: [{ role: 'user', content: 'Describe Paris' }],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'city', schema: cityJsonSchema, strict: true },
      },
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('stop');
    expect(citySchema.parse(JSON.parse(choice?.message.content ?? ''))).toBeDefined();
  });

  it('LangChain ChatOpenAI.withStructuredOutput (chat completions) returns the parsed object', async () => {
    const model = new ChatOpenAI({
      model: group,
      apiKey: 'sk-anonymous',
      configuration: { baseURL: `${world.gateway.url}/v1` },
      maxRetries: 0,
    });
    const structured = model.withStructuredOutput(citySchema, { name: 'city' });
    const city = await structured.invoke('Describe Lyon');
    expect(citySchema.parse(city)).toEqual(city);
  });

  it.each(['outputFormat', 'jsonTool'] as const)(
    'Vercel AI SDK @ai-sdk/anthropic generateObject (zod, %s) returns the object',
    async (structuredOutputMode) => {
      const anthropic = createAnthropic({ baseURL: `${world.gateway.url}/v1`, apiKey: 'sk-anonymous' });
      // generateObject is what the issue names (and what most code in the wild still calls).
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      const { object } = await generateObject({
        model: anthropic(group),
        schema: citySchema,
        prompt: 'Describe Bordeaux',
        maxRetries: 0,
        providerOptions: { anthropic: { structuredOutputMode } },
      });
      expect(citySchema.parse(object)).toEqual(object);
    },
  );
});

describe('structured output: what goes upstream', () => {
  it('Anthropic output_config.format reaches Anthropic natively and Bedrock as a forced tool', async () => {
    const body = {
      max_tokens: 500,
      messages: [{ role: 'user' as const, content: 'Describe Nice' }],
      output_config: { format: { type: 'json_schema' as const, schema: cityJsonSchema } },
    };
    for (const model of ['claude', 'sonnet']) {
      const message = await world.anthropic.messages.create({ ...body, model });
      const [block] = message.content;
      expect(message.stop_reason).toBe('end_turn');
      expect(block?.type).toBe('text');
      expect(citySchema.parse(JSON.parse(block?.type === 'text' ? block.text : ''))).toBeDefined();
    }
  });
});

describe.each([
  { group: 'claude', upstream: 'anthropic', signed: true },
  { group: 'sonnet', upstream: 'bedrock', signed: true },
  { group: 'nova', upstream: 'bedrock', signed: true },
])('thinking → gateway → $group ($upstream)', ({ group }) => {
  const thinking = { type: 'enabled', budget_tokens: 2048 } as const;

  it('anthropic SDK messages.create: a signed thinking block before the answer, counted as output', async () => {
    const message = await world.anthropic.messages.create({
      model: group,
      max_tokens: 4096,
      thinking,
      messages: [{ role: 'user', content: 'Why do rivers meander?' }],
    });
    const [first, second] = message.content;
    expect(first?.type).toBe('thinking');
    if (first?.type !== 'thinking') return;
    expect(first.thinking).toContain('Why do rivers meander?');
    expect(first.signature).toMatch(/\S/);
    expect(second?.type).toBe('text');
    expect(message.usage.output_tokens).toBe(world.lastInvocation().outputTokens);
  });

  it('anthropic SDK messages.stream: thinking_delta then signature_delta, accumulated by the SDK', async () => {
    const stream = world.anthropic.messages.stream({
      model: group,
      max_tokens: 4096,
      thinking,
      messages: [{ role: 'user', content: 'Why do rivers meander?' }],
    });
    const deltas: string[] = [];
    stream.on('streamEvent', (event) => {
      if (event.type === 'content_block_delta') deltas.push(event.delta.type);
    });
    const message = await stream.finalMessage();
    expect(deltas).toContain('thinking_delta');
    expect(deltas).toContain('signature_delta');
    expect(deltas.indexOf('signature_delta')).toBeLessThan(deltas.indexOf('text_delta'));
    const [first] = message.content;
    expect(first?.type === 'thinking' ? first.signature : '').toMatch(/\S/);
  });

  it('a tool round trip sends the signed thinking back and gets the answer', async () => {
    const tools: Anthropic.Tool[] = [
      {
        name: 'river_length',
        description: 'Length of a river in km',
        input_schema: { type: 'object', properties: { river: { type: 'string' } }, required: ['river'] },
      },
    ];
    const question: Anthropic.MessageParam = { role: 'user', content: 'How long is the Loire?' };
    const first = await world.anthropic.messages.create({
      model: group,
      max_tokens: 4096,
      thinking,
      tools,
      messages: [question],
    });
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((block) => block.type === 'tool_use');
    expect(first.content[0]?.type).toBe('thinking');
    const second = await world.anthropic.messages.create({
      model: group,
      max_tokens: 4096,
      thinking,
      tools,
      messages: [
        question,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call?.id ?? '', content: '1006 km' }] },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content.some((block) => block.type === 'text')).toBe(true);
  });
});

describe('reasoning elsewhere', () => {
  it('OpenAI-style upstream: reasoning_effort goes through; reasoning tokens show in usage, no reasoning text', async () => {
    const completion = await world.openai.chat.completions.create({
      model: 'gpt',
      reasoning_effort: 'low',
      messages: [{ role: 'user', content: 'Why do rivers meander?' }],
    });
    const reasoning = completion.usage?.completion_tokens_details?.reasoning_tokens ?? 0;
    expect(reasoning).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBe(world.lastInvocation().outputTokens);
    // Through the Anthropic dialect the same upstream answers without a thinking block.
    const message = await world.anthropic.messages.create({
      model: 'gpt',
      max_tokens: 4096,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [{ role: 'user', content: 'Why?' }],
    });
    expect(message.content.map((block) => block.type)).toEqual(['text']);
  });

  it('a Bedrock model without reasoning: a clear 400 naming reasoning, in each dialect', async () => {
    const openaiError = await rejection(
      world.openai.chat.completions.create({
        model: 'llama',
        reasoning_effort: 'high',
        messages: [{ role: 'user', content: 'Why?' }],
      }),
    );
    expect(openaiError).toBeInstanceOf(APIError);
    expect((openaiError as APIError).status).toBe(400);
    expect((openaiError as APIError).message).toMatch(/reasoning .*not supported .*meta\.llama/);
    const anthropicError = (await rejection(
      world.anthropic.messages.create({
        model: 'llama',
        max_tokens: 4096,
        thinking: { type: 'enabled', budget_tokens: 2048 },
        messages: [{ role: 'user', content: 'Why?' }],
      }),
    )) as { status: number; message: string };
    expect(anthropicError.status).toBe(400);
    expect(anthropicError.message).toMatch(/reasoning/);
  });

  it('fields the gateway cannot honour are refused by name, never dropped', async () => {
    const error = (await rejection(
      world.openai.chat.completions.create({
        model: 'gpt',
        logprobs: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    )) as APIError;
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/logprobs/);
  });
});

describe.each([
  { group: 'claude', upstream: 'anthropic' },
  { group: 'sonnet', upstream: 'bedrock' },
  { group: 'gpt', upstream: 'openai' },
])('prompt caching → gateway → $upstream-style upstream', ({ group, upstream }) => {
  it('cache_control: a cache write on the first call, a cache read on the second, both priced', async () => {
    const ask = (question: string) =>
      world.anthropic.messages
        .create({
          model: group,
          max_tokens: 200,
          system: [{ type: 'text', text: longRules, cache_control: { type: 'ephemeral' } }],
          messages: [{ role: 'user', content: question }],
        })
        .withResponse();
    const first = await ask(`Which river is longest? (${upstream})`);
    const second = await ask(`And which is widest? (${upstream})`);
    const usage = second.data.usage;
    expect(usage.cache_read_input_tokens).toBeGreaterThan(1024);
    if (upstream !== 'openai') {
      // OpenAI caches by itself and reports no writes.
      expect(first.data.usage.cache_creation_input_tokens).toBeGreaterThan(1024);
      expect(usage.cache_read_input_tokens).toBe(first.data.usage.cache_creation_input_tokens);
    }
    const cost = Number(second.response.headers.get('x-spillway-cost-usd'));
    const expected =
      (usage.input_tokens * price.input +
        usage.output_tokens * price.output +
        (usage.cache_read_input_tokens ?? 0) * price.cached_input +
        (usage.cache_creation_input_tokens ?? 0) * price.cache_write) /
      1_000_000;
    expect(cost).toBeCloseTo(expected, 8);
  });
});

describe('token counting and stream input counts', () => {
  const body = {
    system: 'You answer questions about rivers.',
    messages: [
      { role: 'user' as const, content: 'How long is the Danube, and which countries does it cross?' },
    ],
  };

  it.each([
    { group: 'claude', source: 'upstream' },
    { group: 'sonnet', source: 'upstream' },
    { group: 'gpt', source: 'estimate' },
    // Bedrock CountTokens counts for Claude only
    { group: 'nova', source: 'estimate' },
  ])('anthropic SDK messages.countTokens on $group: counted by the $source', async ({ group, source }) => {
    const { data, response } = await world.anthropic.messages
      .countTokens({ model: group, ...body })
      .withResponse();
    expect(response.headers.get('x-spillway-token-count')).toBe(source);
    expect(data.input_tokens).toBeGreaterThan(10);
    const message = await world.anthropic.messages.create({ model: group, max_tokens: 50, ...body });
    if (source === 'upstream') expect(data.input_tokens).toBe(message.usage.input_tokens);
  });

  it('an unknown group is a 404 in the Anthropic shape', async () => {
    const error = (await rejection(world.anthropic.messages.countTokens({ model: 'nope', ...body }))) as {
      status: number;
    };
    expect(error.status).toBe(404);
  });

  it.each(['claude', 'sonnet', 'gpt'])(
    'message_start carries the input count on %s (the estimate, corrected at the end, where the upstream gives none)',
    async (group) => {
      const stream = world.anthropic.messages.stream({ model: group, max_tokens: 50, ...body });
      let startInput = 0;
      stream.on('streamEvent', (event) => {
        if (event.type === 'message_start') startInput = event.message.usage.input_tokens;
      });
      const message = await stream.finalMessage();
      expect(startInput).toBeGreaterThan(10);
      expect(message.usage.input_tokens).toBe(world.lastInvocation().inputTokens);
      expect(routeHeaders((await stream.withResponse()).response.headers).deployment).toBe(group);
    },
  );

  it.each([
    { group: 'claude', exact: true },
    { group: 'sonnet', exact: false },
    { group: 'gpt', exact: false },
  ])(
    'LangChain ChatAnthropic streaming on $group counts the input tokens (it reads them from message_start)',
    async ({ group, exact }) => {
      const model = new ChatAnthropic({
        model: group,
        apiKey: 'sk-anonymous',
        anthropicApiUrl: world.gateway.url,
        maxTokens: 50,
        maxRetries: 0,
        streaming: true,
      });
      const reply: { usage_metadata?: { input_tokens: number } | undefined } = await model.invoke([
        ['system', body.system],
        ['human', body.messages[0]?.content ?? ''],
      ]);
      const input = reply.usage_metadata?.input_tokens ?? 0;
      expect(input).toBeGreaterThan(10);
      if (exact) expect(input).toBe(world.lastInvocation().inputTokens);
    },
  );

  it('structured output streamed from a Bedrock group: the answer tool arrives as text deltas', async () => {
    const stream = await world.openai.chat.completions.create({
      model: 'sonnet',
      stream: true,
      messages: [{ role: 'user', content: 'Describe Toulouse' }],
      response_format: { type: 'json_schema', json_schema: { name: 'city', schema: cityJsonSchema } },
    });
    let text = '';
    const finish: string[] = [];
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        expect(choice.delta.tool_calls).toBeUndefined();
        if (choice.finish_reason !== null) finish.push(choice.finish_reason);
      }
    }
    expect(finish).toEqual(['stop']);
    expect(citySchema.parse(JSON.parse(text))).toBeDefined();
  });
});
