import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultSimWorld } from '../src/simulator/default-sim-world.ts';
import { startSimulator, type RunningSimulator } from '../src/simulator/start-simulator.ts';

let sim: RunningSimulator;
let anthropic: Anthropic;
beforeAll(async () => {
  sim = await startSimulator({ seed: 5, latencyScale: 0 });
  anthropic = new Anthropic({ apiKey: 'sk-ant-sim', baseURL: sim.url, maxRetries: 0 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
});

const model = 'claude-sonnet-4-6';

describe('Anthropic Messages API fidelity (@anthropic-ai/sdk)', () => {
  it('lists only models the SDK does not warn about (no end-of-life notice on the console)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const listed = defaultSimWorld.anthropic.models.map((entry) => entry.id);
      expect(listed.length).toBeGreaterThan(0);
      for (const id of listed) {
        await anthropic.messages.create({
          model: id,
          max_tokens: 20,
          messages: [{ role: 'user', content: 'Hi' }],
        });
      }
      expect(warn.mock.calls.map((call) => String(call[0]))).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });

  it('answers a message with usage and anthropic-ratelimit headers', async () => {
    const { data, response } = await anthropic.messages
      .create({ model, max_tokens: 200, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello' }] })
      .withResponse();
    expect(data.type).toBe('message');
    expect(data.stop_reason).toBe('end_turn');
    expect(data.content[0]?.type).toBe('text');
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('4000');
    expect(response.headers.get('anthropic-ratelimit-requests-reset')).toMatch(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/,
    );
    expect(response.headers.get('request-id')).toMatch(/^req_/);
  });

  it('streams named events to a final message, and tool use with input_json_delta', async () => {
    const stream = anthropic.messages.stream({
      model,
      max_tokens: 200,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const final = await stream.finalMessage();
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    const tools = [
      {
        name: 'get_time',
        input_schema: {
          type: 'object' as const,
          properties: { zone: { type: 'string', enum: ['UTC'] } },
          required: ['zone'],
        },
      },
    ];
    const toolStream = anthropic.messages.stream({
      model,
      max_tokens: 200,
      tools,
      messages: [{ role: 'user', content: 'time?' }],
    });
    const toolMessage = await toolStream.finalMessage();
    expect(toolMessage.stop_reason).toBe('tool_use');
    const block = toolMessage.content[0];
    expect(block?.type === 'tool_use' ? block.input : undefined).toEqual({ zone: 'UTC' });
  });

  it('answers 529 overloaded_error as the SDK class, and an in-stream error event', async () => {
    sim.addFault({ kind: 'error', status: 529, api: 'anthropic', count: 1 });
    const error = await anthropic.messages
      .create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((error as InstanceType<typeof Anthropic.APIError>).constructor.name).toBe('OverloadedError');
    sim.addFault({ kind: 'error', status: 529, after_events: 3, count: 1 });
    const stream = anthropic.messages.stream({
      model,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'x' }],
    });
    const streamError = await stream.finalMessage().catch((caught: unknown) => caught);
    expect(streamError).toBeInstanceOf(Anthropic.APIError);
    expect((streamError as Error).message).toMatch(/overloaded_error/);
  });

  it('accepts x-api-key with the 2023-06-01 version, and rejects sampling params under 2026-10-21', async () => {
    const headers = {
      'x-api-key': 'sk-ant-sim',
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
    };
    const body = { model, max_tokens: 20, temperature: 0.5, messages: [{ role: 'user', content: 'x' }] };
    const old = await fetch(`${sim.url}/v1/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    expect(old.status).toBe(200);
    const error = await anthropic.messages
      .create({ ...body, messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as Error).message).toMatch(/temperature: Extra inputs are not permitted/);
    const badKey = new Anthropic({ apiKey: 'nope', baseURL: sim.url, maxRetries: 0 });
    await expect(
      badKey.messages.create({ model, max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });
});
