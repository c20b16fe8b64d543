import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../src/core/clock.ts';
import { startSimulator, type RunningSimulator } from '../src/simulator/start-simulator.ts';

let sim: RunningSimulator;
let openai: OpenAI;
// Quota buckets refill with time: on a loaded machine a few milliseconds between the request and
// the header would refill the one request taken. Time stands still here (sleeps still sleep).
const frozenAt = Date.parse('2026-01-01T00:00:00Z');
const stillClock: Clock = { now: () => frozenAt, sleep: (ms, signal) => systemClock.sleep(ms, signal) };
beforeAll(async () => {
  sim = await startSimulator({ seed: 3, latencyScale: 0, clock: stillClock });
  openai = new OpenAI({ apiKey: 'sk-sim-openai', baseURL: `${sim.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
});

describe('OpenAI API fidelity (openai SDK)', () => {
  it('answers a chat completion with usage and rate-limit headers', async () => {
    const { data, response } = await openai.chat.completions
      .create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hi' },
        ],
      })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.choices[0]?.message.content).toMatch(/\w+\./);
    expect(data.usage?.total_tokens).toBe(
      (data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0),
    );
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('10000');
    expect(Number(response.headers.get('x-ratelimit-remaining-requests'))).toBe(9999);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(sim.invocations()[0]).toMatchObject({
      api: 'openai',
      operation: 'ChatCompletions',
      accountId: 'openai-sim',
      status: 200,
    });
  });

  it('streams with include_usage: a usage chunk with no choices before [DONE]', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text.length).toBeGreaterThan(10);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('calls a tool, streamed and not, then answers the tool result in text', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'lookup',
          parameters: {
            type: 'object',
            properties: { query: { type: 'string' }, limit: { type: 'integer' } },
            required: ['query'],
          },
        },
      },
    ];
    const first = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'find it' }],
      tools,
    });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' ? call.function.name : '').toBe('lookup');
    const args = JSON.parse(call?.type === 'function' ? call.function.arguments : '{}');
    expect(typeof args.query).toBe('string');
    expect(Number.isInteger(args.limit)).toBe(true);
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'find it' }],
      tools,
      stream: true,
    });
    let streamedArgs = '';
    for await (const chunk of stream)
      streamedArgs += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '';
    expect(JSON.parse(streamedArgs)).toHaveProperty('query');
    const second = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      tools,
      messages: [
        { role: 'user', content: 'find it' },
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: call!.id, content: 'found' },
      ],
    });
    expect(second.choices[0]?.finish_reason).toBe('stop');
    const none = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x' }],
      tools,
      tool_choice: 'none',
    });
    expect(none.choices[0]?.finish_reason).toBe('stop');
  });

  it('returns embeddings in the SDK default base64 and as floats', async () => {
    const decoded = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['alpha', 'beta'],
    });
    expect(decoded.data).toHaveLength(2);
    const vector = decoded.data[0]!.embedding;
    expect(vector).toHaveLength(1536);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 4);
    const floats = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'alpha',
      encoding_format: 'float',
      dimensions: 8,
    });
    expect(floats.data[0]?.embedding).toHaveLength(8);
    expect(decoded.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('lists models and rejects bad keys and unknown models with real error bodies', async () => {
    const models = await openai.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small']);
    const bad = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${sim.url}/v1`, maxRetries: 0 });
    await expect(
      bad.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const missing = await openai.chat.completions
      .create({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('answers a throttle fault with 429, retry-after and retry-after-ms; a mid-stream error as data: {error}', async () => {
    sim.addFault({ kind: 'throttle', api: 'openai', count: 1 });
    const error = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rate = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rate.code).toBe('rate_limit_exceeded');
    expect(rate.headers.get('retry-after')).toBe('1');
    expect(rate.headers.get('retry-after-ms')).toBe('1000');
    sim.addFault({ kind: 'error', status: 500, code: 'server_error', after_events: 2, count: 1 });
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const streamError = await (async () => {
      for await (const _chunk of stream) {
        // drain
      }
    })().catch((caught: unknown) => caught);
    expect(streamError).toBeInstanceOf(OpenAI.APIError);
    expect((streamError as InstanceType<typeof OpenAI.APIError>).status).toBeUndefined();
    expect(sim.invocations().map((record) => record.errorCode)).toEqual([
      'rate_limit_exceeded',
      'server_error',
    ]);
  });

  it('refuses inputs beyond the context window with context_length_exceeded', async () => {
    const error = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'word '.repeat(110_000) }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded');
  });
});
