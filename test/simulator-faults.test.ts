import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../src/simulator/start-simulator.ts';
import { FakeClock } from './support/fake-clock.ts';

let sim: RunningSimulator;
const clock = new FakeClock();
beforeAll(async () => {
  sim = await startSimulator({ seed: 11, latencyScale: 0, clock });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
});

const headers = { authorization: 'Bearer sk-sim-openai', 'content-type': 'application/json' };
const chat = (stream = false) =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream });

function post(body: string, signal?: AbortSignal) {
  return request(`${sim.url}/v1/chat/completions`, {
    method: 'POST',
    headers,
    body,
    ...(signal ? { signal } : {}),
  });
}

async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 10_000 && !condition(); turn += 1)
    await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}

function bedrock(region = 'eu-west-1'): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region,
    endpoint: sim.url,
    credentials: { accessKeyId: 'AKIASIMACCOUNT2EXAMPLE', secretAccessKey: 'sim-secret-account-2' },
    maxAttempts: 1,
  });
}

describe('faults', () => {
  it('hang: no answer until the client gives up; logged as Hang', async () => {
    const fault = sim.addFault({ kind: 'hang', api: 'openai' });
    const controller = new AbortController();
    const pending = post(chat(), controller.signal).catch((error: unknown) => error);
    await until(() => sim.faults().find((f) => f.id === fault.id)?.hits === 1);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    await until(() => sim.invocations().length === 1);
    expect(sim.invocations()[0]).toMatchObject({ status: 0, errorCode: 'Hang', faultId: fault.id });
  });

  it('reset: the connection breaks before any response', async () => {
    sim.addFault({ kind: 'reset', count: 1 });
    const error = await post(chat()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(sim.invocations()[0]?.errorCode).toBe('ConnectionReset');
    expect((await post(chat())).statusCode).toBe(200);
  });

  it('slow_first_token: the answer waits the extra time on the simulator clock', async () => {
    sim.addFault({ kind: 'slow_first_token', ms: 5000, count: 1 });
    let done = false;
    const pending = post(chat()).then((response) => {
      done = true;
      return response;
    });
    await until(() => clock.pendingSleeps() === 1);
    await clock.advance(4999);
    expect(done).toBe(false);
    await clock.advance(1);
    expect((await pending).statusCode).toBe(200);
    expect(sim.invocations()[0]?.latencyMs).toBe(5000);
  });

  it('cut_stream: an OpenAI stream ends after N events without [DONE]', async () => {
    sim.addFault({ kind: 'cut_stream', after_events: 2, count: 1 });
    const response = await post(chat(true));
    const text = await response.body.text();
    expect(text.match(/^data: /gm)).toHaveLength(2);
    expect(text).not.toContain('[DONE]');
    expect(sim.invocations()[0]?.errorCode).toBe('StreamCut');
  });

  it('cut_stream on Bedrock: the SDK iterator ends without messageStop or metadata', async () => {
    sim.addFault({ kind: 'cut_stream', api: 'bedrock', after_events: 3, count: 1 });
    const client = bedrock();
    const response = await client.send(
      new ConverseStreamCommand({
        modelId: 'eu.anthropic.claude-haiku-4-5-20251001-v1:0',
        messages: [{ role: 'user', content: [{ text: 'hi' }] }],
      }),
    );
    const events = [];
    for await (const event of response.stream ?? []) events.push(event);
    expect(events).toHaveLength(3);
    expect(events.some((event) => event.metadata !== undefined)).toBe(false);
    client.destroy();
  });

  it("content_filter: a 200 cut by the filter, in each protocol's words", async () => {
    sim.addFault({ kind: 'content_filter' });
    const openai = (await (await post(chat())).body.json()) as { choices: { finish_reason: string }[] };
    expect(openai.choices[0]?.finish_reason).toBe('content_filter');
    const streamed = await (await post(chat(true))).body.text();
    expect(streamed).toContain('"finish_reason":"content_filter"');
    expect(streamed.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const client = bedrock();
    const converse = await client.send(
      new ConverseCommand({
        modelId: 'amazon.nova-pro-v1:0',
        messages: [{ role: 'user', content: [{ text: 'hi' }] }],
      }),
    );
    expect(converse.stopReason).toBe('content_filtered');
    const stream = await client.send(
      new ConverseStreamCommand({
        modelId: 'amazon.nova-pro-v1:0',
        messages: [{ role: 'user', content: [{ text: 'hi' }] }],
      }),
    );
    const stops: string[] = [];
    for await (const event of stream.stream ?? [])
      if (event.messageStop) stops.push(event.messageStop.stopReason ?? '');
    expect(stops).toEqual(['content_filtered']);
    client.destroy();
    const anthropic = await request(`${sim.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': 'sk-ant-sim',
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'claude-sonnet-4-6',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(((await anthropic.body.json()) as { stop_reason: string }).stop_reason).toBe('refusal');
    expect(sim.invocations().map((record) => [record.status, record.errorCode])).toEqual(
      Array.from({ length: 5 }, () => [200, 'ContentFiltered']),
    );
  });

  it('malformed: bad JSON bodies, and event-stream frames with a bad CRC', async () => {
    sim.addFault({ kind: 'malformed', api: 'openai', count: 1 });
    const response = await post(chat());
    expect(response.statusCode).toBe(200);
    const body = await response.body.text();
    expect(() => JSON.parse(body) as unknown).toThrow();
    sim.addFault({ kind: 'malformed', api: 'bedrock', after_events: 2, count: 1 });
    const client = bedrock();
    const stream = await client.send(
      new ConverseStreamCommand({
        modelId: 'amazon.nova-pro-v1:0',
        messages: [{ role: 'user', content: [{ text: 'hi' }] }],
      }),
    );
    const error = await (async () => {
      for await (const _event of stream.stream ?? []) {
        // drain
      }
    })().catch((caught: unknown) => caught);
    expect(String(error)).toMatch(/checksum/i);
    client.destroy();
  });

  it('matches by account, region and model, for a share of requests, a count and a duration', async () => {
    sim.addFault({
      kind: 'error',
      status: 503,
      account: '222222222222',
      region: 'eu-central-1',
      model: 'amazon.nova-lite-v1:0',
      duration_ms: 60_000,
    });
    const call = (region: string) =>
      request(`${sim.url}/model/amazon.nova-lite-v1%3A0/converse`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer bedrock-api-key-sim-account-1',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: region }] }] }),
      });
    expect((await call('x')).statusCode).toBe(200);
    expect(await converseStatus('eu-west-1')).toBe(200);
    expect(await converseStatus('eu-central-1')).toBe(503);
    await clock.advance(60_000);
    expect(await converseStatus('eu-central-1')).toBe(200);
    const half = sim.addFault({ kind: 'throttle', api: 'openai', rate: 0.5 });
    const statuses = [];
    for (let index = 0; index < 40; index += 1) statuses.push((await post(chat())).statusCode);
    const throttled = statuses.filter((status) => status === 429).length;
    expect(throttled).toBeGreaterThan(8);
    expect(throttled).toBeLessThan(32);
    expect(sim.faults().find((fault) => fault.id === half.id)?.hits).toBe(throttled);
  });
});

async function converseStatus(region: string): Promise<number> {
  const client = bedrock(region);
  try {
    await client.send(
      new ConverseCommand({
        modelId: 'amazon.nova-lite-v1:0',
        messages: [{ role: 'user', content: [{ text: 'hi' }] }],
      }),
    );
    return 200;
  } catch (error) {
    return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? -1;
  } finally {
    client.destroy();
  }
}
