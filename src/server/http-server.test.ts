import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoGateway } from '../../test/support/server/echo-gateway.ts';
import { startTestServer, type TestServer } from '../../test/support/server/start-test-server.ts';

let test: TestServer;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  test = await startTestServer({
    routes: [{ method: 'GET', prefix: '/metrics', handle: (_req, res) => void res.end('metrics here') }],
  });
  openai = new OpenAI({ apiKey: EchoGateway.key, baseURL: `${test.origin}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: EchoGateway.key, baseURL: test.origin, maxRetries: 0 });
});

afterAll(async () => {
  await test.edge.shutdown(1000);
});

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'weather for a city',
    parameters: { type: 'object', properties: { echo: { type: 'string' } } },
  },
};

describe('OpenAI dialect through the openai SDK', () => {
  it('answers a chat completion with route headers and the requested model name', async () => {
    const { data, response } = await openai.chat.completions
      .create({
        model: 'echo',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'hello there' },
        ],
        max_completion_tokens: 50,
      })
      .withResponse();
    expect(data.model).toBe('echo');
    expect(data.choices[0]?.message.content).toBe('echo: hello there');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
    expect(data.usage?.prompt_tokens_details?.cached_tokens).toBe(2);
    expect(response.headers.get('x-spillway-deployment')).toBe('echo-east');
    expect(response.headers.get('x-spillway-model-group')).toBe('echo');
    expect(response.headers.get('x-spillway-region')).toBe('us-east-1');
    expect(response.headers.get('x-spillway-attempts')).toBe('1');
    expect(response.headers.get('x-spillway-cost-usd')).toBe('0.00012');
    expect(response.headers.get('x-test')).toBe('chat');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    // No client id: x-request-id is the gateway's own, also in x-spillway-request-id.
    expect(response.headers.get('x-spillway-request-id')).toBe(response.headers.get('x-request-id'));
    expect(test.gateway.lastRequest?.system).toBe('be brief');
    expect(test.gateway.lastRequest?.maxTokens).toBe(50);
  });

  it("echoes the client's x-request-id and gives each request its own gateway id beside it", async () => {
    const ids: string[] = [];
    for (let index = 0; index < 2; index += 1) {
      const { response } = await openai.chat.completions
        .create(
          { model: 'echo', messages: [{ role: 'user', content: 'hi' }] },
          { headers: { 'x-request-id': 'client-chosen.1' } },
        )
        .withResponse();
      expect(response.headers.get('x-request-id')).toBe('client-chosen.1');
      ids.push(response.headers.get('x-spillway-request-id') ?? '');
      expect(test.gateway.lastContext).toMatchObject({
        requestId: ids[index],
        clientRequestId: 'client-chosen.1',
      });
    }
    expect(ids[0]).toMatch(/^req_/);
    expect(ids[1]).not.toBe(ids[0]);
  });

  it('streams with include_usage: role chunk, deltas, finish, usage chunk, [DONE]', async () => {
    const stream = await openai.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'one two three' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const finishReasons: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      if (chunk.choices.length === 0) usage = chunk.usage;
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        finishReasons.push(choice.finish_reason);
      }
      expect(chunk.model).toBe('echo');
    }
    expect(text).toBe('echo: one two three');
    expect(finishReasons.at(-1)).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
  });

  it('round-trips a tool call (non-streamed and streamed) and a tool result', async () => {
    const first = await openai.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'please use tool' }],
      tools: [weatherTool],
      tool_choice: 'auto',
    });
    const message = first.choices[0]!.message;
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(message.content).toBe('calling');
    const call = message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ echo: 'please use tool' });

    const runner = openai.chat.completions.stream({
      model: 'echo',
      messages: [{ role: 'user', content: 'please use tool' }],
      tools: [weatherTool],
    });
    const streamed = await runner.finalChatCompletion();
    const streamedCall = streamed.choices[0]?.message.tool_calls?.[0];
    expect(streamed.choices[0]?.finish_reason).toBe('tool_calls');
    expect(streamedCall).toMatchObject({ id: 'call_1', type: 'function' });
    if (streamedCall?.type !== 'function') throw new Error('expected a function call');
    expect(JSON.parse(streamedCall.function.arguments)).toEqual({ echo: 'please use tool' });

    const second = await openai.chat.completions.create({
      model: 'echo',
      messages: [
        { role: 'user', content: 'please use tool' },
        message,
        { role: 'tool', tool_call_id: call.id, content: 'sunny' },
      ],
      tools: [weatherTool],
    });
    expect(second.choices[0]?.message.content).toBe('tool said: sunny');
    expect(test.gateway.lastRequest?.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'text', text: 'calling' },
        { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: call.function.arguments },
      ],
    });
  });

  it('returns embeddings as base64 float32 by default and as floats when asked', async () => {
    const decoded = await openai.embeddings.create({ model: 'echo', input: ['abc', 'hello'] });
    expect(decoded.data.map((entry) => entry.embedding)).toEqual([
      [3, 0.5, -0.25, 0],
      [5, 0.5, -0.25, 1],
    ]);
    expect(decoded.model).toBe('echo');
    expect(decoded.usage).toEqual({ prompt_tokens: 6, total_tokens: 6 });
    const floats = await openai.embeddings.create({ model: 'echo', input: 'x', encoding_format: 'float' });
    expect(floats.data[0]?.embedding).toEqual([1, 0.5, -0.25, 0]);
  });

  it('lists models and gets one', async () => {
    const page = await openai.models.list();
    expect(page.data.map((model) => model.id)).toEqual(['echo', 'fail-mid']);
    const model = await openai.models.retrieve('echo');
    expect(model).toMatchObject({ id: 'echo', object: 'model', owned_by: 'spillway' });
    await expect(openai.models.retrieve('nope')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('reports an unknown model as the gateway said (404 in the OpenAI shape)', async () => {
    const error: unknown = await openai.chat.completions
      .create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('unknown_model');
  });
});

describe('Anthropic dialect through the @anthropic-ai/sdk', () => {
  it('answers a message', async () => {
    const { data, response } = await anthropic.messages
      .create({
        model: 'echo',
        max_tokens: 100,
        system: 'be brief',
        messages: [{ role: 'user', content: 'hi claude' }],
      })
      .withResponse();
    expect(data.model).toBe('echo');
    expect(data.content).toEqual([{ type: 'text', text: 'echo: hi claude' }]);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.usage).toMatchObject({ input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 2 });
    expect(response.headers.get('x-spillway-deployment')).toBe('echo-east');
    expect(response.headers.get('request-id')).toBe(response.headers.get('x-request-id'));
    expect(test.gateway.lastRequest).toMatchObject({ system: 'be brief', maxTokens: 100, stream: false });
  });

  it('streams named events into a final message', async () => {
    const stream = anthropic.messages.stream({
      model: 'echo',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'stream me' }],
    });
    const eventTypes: string[] = [];
    for await (const event of stream) eventTypes.push(event.type);
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: 'echo: stream me' }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage).toMatchObject({ input_tokens: 10, output_tokens: 5 });
    expect(eventTypes[0]).toBe('message_start');
    expect(eventTypes.at(-2)).toBe('message_delta');
    expect(eventTypes.at(-1)).toBe('message_stop');
  });

  it('round-trips tool use, streamed and not', async () => {
    const tools: Anthropic.Tool[] = [
      {
        name: 'get_weather',
        description: 'weather',
        input_schema: { type: 'object', properties: { echo: { type: 'string' } } },
      },
    ];
    const first = await anthropic.messages.create({
      model: 'echo',
      max_tokens: 100,
      tools,
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'please use tool' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content[1]).toEqual({
      type: 'tool_use',
      id: 'call_1',
      name: 'get_weather',
      input: { echo: 'please use tool' },
    });
    expect(test.gateway.lastRequest?.toolChoice).toEqual({ type: 'required' });

    const streamed = await anthropic.messages
      .stream({
        model: 'echo',
        max_tokens: 100,
        tools,
        messages: [{ role: 'user', content: 'please use tool' }],
      })
      .finalMessage();
    expect(streamed.content).toEqual(first.content);
    expect(streamed.stop_reason).toBe('tool_use');

    const second = await anthropic.messages.create({
      model: 'echo',
      max_tokens: 100,
      tools,
      messages: [
        { role: 'user', content: 'please use tool' },
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: [{ type: 'text', text: 'rainy' }] },
          ],
        },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'tool said: rainy' }]);
  });
});

describe('edge routes', () => {
  it('lists models in the Anthropic shape for Anthropic clients', async () => {
    const page = await anthropic.models.list();
    expect(page.data.map((model) => model.id)).toEqual(['echo', 'fail-mid']);
    expect(page.data[0]).toMatchObject({ type: 'model', display_name: 'echoes' });
    const model = await anthropic.models.retrieve('fail-mid');
    expect(model).toMatchObject({ type: 'model', id: 'fail-mid' });
  });

  it('serves /chat/completions without the /v1 prefix', async () => {
    const response = await fetch(`${test.origin}/chat/completions?ignored=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${EchoGateway.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'short path' }] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ choices: [{ message: { content: 'echo: short path' } }] });
  });

  it('serves health, mounted routes, and echoes a sane x-request-id', async () => {
    const live = await fetch(`${test.origin}/health/live`);
    expect(live.status).toBe(200);
    const down = { status: 'down', detail: 'nothing to serve with' } as const;
    test.gateway.ready = false;
    test.gateway.checks = { config: down };
    const notReady = await fetch(`${test.origin}/health/ready`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'not_ready', checks: { config: down } });
    // A store away but degraded gracefully: still ready (200), and the body says which.
    const degraded = { status: 'degraded', detail: 'Redis unreachable: limits enforced locally' } as const;
    test.gateway.ready = true;
    test.gateway.checks = { config: { status: 'ok', detail: '1 model group' }, state: degraded };
    const degradedAnswer = await fetch(`${test.origin}/health/ready`);
    expect(degradedAnswer.status).toBe(200);
    expect(await degradedAnswer.json()).toMatchObject({ status: 'degraded', checks: { state: degraded } });
    test.gateway.checks = {};
    const ready = await fetch(`${test.origin}/health/ready`, { headers: { 'x-request-id': 'abc.DEF-1_2' } });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: {} });
    expect(ready.headers.get('x-request-id')).toBe('abc.DEF-1_2');
    const insane = await fetch(`${test.origin}/health/live`, { headers: { 'x-request-id': 'bad id!' } });
    expect(insane.headers.get('x-request-id')).toMatch(/^req_/);
    const metrics = await fetch(`${test.origin}/metrics`);
    expect(await metrics.text()).toBe('metrics here');
  });

  it('passes the client regions and traceparent into the request context', async () => {
    await fetch(`${test.origin}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${EchoGateway.key}`,
        'content-type': 'application/json',
        'x-spillway-regions': 'eu-, us-west-',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(test.gateway.lastContext?.regions).toEqual(['eu-', 'us-west-']);
    expect(test.gateway.lastContext?.traceparent).toMatch(/^00-/);
    expect(test.gateway.lastContext?.dialect).toBe('openai');
  });
});
