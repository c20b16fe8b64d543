import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InvocationRecord } from '../src/simulator/invocation-log.ts';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simAccounts, simBedrockProvider, simGatewayConfig, simModels } from './support/gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { circuitState } from './support/metrics.ts';
import { anthropicClient, openaiClient, routeHeaders } from './support/sdk-clients.ts';
import { simulatorControl, startTestSimulator } from './support/simulator.ts';
import { waitFor } from './support/wait-for.ts';

// Issue 4: with one healthy deployment in the group, every request survives a throttled region, a
// hanging region, bad credentials, a flaky deployment and a stream cut before the first byte; the
// breaker takes a failing deployment out and brings it back once healthy; a stream cut after the
// first byte ends with an in-band error, never a fake finish.

const account1 = simAccounts[1].id;
const account2 = simAccounts[2].id;
let sim: RunningSimulator;
let gateway: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;

/** A group that tries `first` before `second` (ordered strategy). */
function ordered(first: [string, string, string], second: [string, string, string], extra = {}) {
  return {
    strategy: 'ordered' as const,
    deployments: [first, second].map(([id, provider, model]) => ({ id, provider, model })),
    ...extra,
  };
}

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 6 });
  gateway = await startGatewayProcess({
    config: simGatewayConfig(sim.url, {
      providers: { 'a1-bad-eu-west-1': simBedrockProvider(sim.url, 'eu-west-1', 1, 'not-the-secret') },
      models: {
        throttled: ordered(
          ['thr-east', 'a1-us-east-1', simModels.novaLite],
          ['thr-west', 'a1-us-west-2', simModels.novaLite],
        ),
        hanging: ordered(
          ['hang-east', 'a1-us-east-2', simModels.llama],
          ['hang-west', 'a1-us-west-2', simModels.llama],
          { first_token_timeout_ms: 300 },
        ),
        creds: ordered(
          ['creds-bad', 'a1-bad-eu-west-1', simModels.novaPro],
          ['creds-good', 'a2-eu-west-1', simModels.novaPro],
          { circuit_breaker: { min_requests: 3, failure_ratio: 0.5, window_s: 60, open_s: 60 } },
        ),
        flaky: ordered(
          ['flaky-a', 'a2-us-east-2', simModels.novaPro],
          ['flaky-b', 'a2-us-west-2', simModels.novaPro],
        ),
        'cut-early': ordered(
          ['cut-a', 'a1-eu-central-1', simModels.novaPro],
          ['cut-b', 'a2-eu-central-1', simModels.novaPro],
        ),
        'cut-late': {
          deployments: [{ id: 'cut-late', provider: 'a1-eu-west-1', model: simModels.novaLite }],
        },
        breaker: ordered(
          ['brk-primary', 'a2-us-west-2', simModels.novaLite],
          ['brk-backup', 'a1-eu-central-1', simModels.novaLite],
          { circuit_breaker: { min_requests: 3, failure_ratio: 0.5, window_s: 30, open_s: 1 } },
        ),
      },
    }),
  });
  openai = openaiClient(gateway.url);
  anthropic = anthropicClient(gateway.url);
});

afterEach(() => {
  sim.clearFaults();
});

afterAll(async () => {
  await gateway.stop();
  await sim.close();
});

interface Served {
  readonly deployment: string;
  readonly attempts: number;
}

/** One request through the openai SDK (streamed or not) that must succeed with finish_reason stop. */
async function chat(group: string, stream: boolean): Promise<Served> {
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Hello' }];
  if (!stream) {
    const { data, response } = await openai.chat.completions
      .create({ model: group, messages })
      .withResponse();
    expect(data.choices[0]?.finish_reason).toBe('stop');
    return routeHeaders(response.headers);
  }
  const { data, response } = await openai.chat.completions
    .create({ model: group, messages, stream: true })
    .withResponse();
  const finishReasons: string[] = [];
  for await (const chunk of data) {
    const reason = chunk.choices[0]?.finish_reason;
    if (reason) finishReasons.push(reason);
  }
  expect(finishReasons).toEqual(['stop']);
  return routeHeaders(response.headers);
}

function callsSince(since: number, match: Partial<InvocationRecord>): InvocationRecord[] {
  return sim
    .invocations()
    .slice(since)
    .filter((call) =>
      Object.entries(match).every(([key, value]) => call[key as keyof InvocationRecord] === value),
    );
}

it('one region throttled: every request is served by the other region; the first shows the failover', async () => {
  sim.addFault({ kind: 'throttle', region: 'us-east-1', account: account1, model: simModels.novaLite });
  const since = sim.invocations().length;
  const served: Served[] = [];
  for (const stream of [false, true, false, true, false, true]) served.push(await chat('throttled', stream));
  expect(served.every((entry) => entry.deployment === 'thr-west')).toBe(true);
  expect(served[0]?.attempts).toBeGreaterThanOrEqual(2);
  const east = callsSince(since, { region: 'us-east-1', accountId: account1 });
  expect(east.length).toBeGreaterThan(0);
  expect(east.every((call) => call.errorCode === 'ThrottlingException')).toBe(true);
  // The 429 cools the throttled deployment down: it does not take every request's first attempt.
  expect(east.length).toBeLessThan(served.length);
});

it('one region hanging: the first-token timeout fails over, streamed or not', async () => {
  sim.addFault({ kind: 'hang', region: 'us-east-2', model: simModels.llama });
  for (const stream of [false, true]) {
    const served = await chat('hanging', stream);
    expect(served).toMatchObject({ deployment: 'hang-west' });
    expect(served.attempts).toBeGreaterThanOrEqual(2);
  }
});

it('one account with bad credentials: served by the other account; its breaker opens', async () => {
  const since = sim.invocations().length;
  const served: Served[] = [];
  for (let turn = 0; turn < 10; turn += 1) served.push(await chat('creds', turn % 2 === 1));
  expect(served.every((entry) => entry.deployment === 'creds-good')).toBe(true);
  expect(served[0]?.attempts).toBe(2);
  const refused = sim
    .invocations()
    .slice(since)
    .filter((call) => call.errorCode === 'InvalidSignatureException');
  // min_requests 3: the breaker opens after a few refusals, then the bad account gets no traffic.
  expect(refused.length).toBeGreaterThanOrEqual(3);
  expect(refused.length).toBeLessThan(served.length);
  expect(served.at(-1)?.attempts).toBe(1);
  expect(await circuitState(gateway.url, 'creds-bad')).toBe('open');
});

it('a deployment failing half the time: every request succeeds, failed attempts fail over', async () => {
  // Through the control API, as a user's chaos drill would.
  await simulatorControl(sim.url).addFault({
    kind: 'error',
    status: 500,
    rate: 0.5,
    region: 'us-east-2',
    account: account2,
    model: simModels.novaPro,
  });
  const served: Served[] = [];
  for (let turn = 0; turn < 16; turn += 1) served.push(await chat('flaky', turn % 2 === 0));
  expect(served.some((entry) => entry.attempts > 1)).toBe(true);
  expect(served.filter((entry) => entry.attempts > 1).every((entry) => entry.deployment === 'flaky-b')).toBe(
    true,
  );
});

describe('stream cuts', () => {
  it.each([0, 1])(
    'cut after %i upstream events, before the first byte: retried, the client never sees it',
    async (afterEvents) => {
      sim.addFault({
        kind: 'cut_stream',
        after_events: afterEvents,
        count: 2,
        region: 'eu-central-1',
        account: account1,
        operation: 'ConverseStream',
      });
      const viaOpenai = await chat('cut-early', true);
      expect(viaOpenai.attempts).toBeGreaterThanOrEqual(2);
      const { data, response } = await anthropic.messages
        .create({
          model: 'cut-early',
          max_tokens: 100,
          stream: true,
          messages: [{ role: 'user', content: 'Hello' }],
        })
        .withResponse();
      let stopReason: string | null = null;
      for await (const event of data)
        if (event.type === 'message_delta') stopReason = event.delta.stop_reason;
      expect(stopReason).toBe('end_turn');
      expect(routeHeaders(response.headers).attempts).toBeGreaterThanOrEqual(2);
      expect(sim.faults()).toEqual([]);
    },
  );

  it('cut after the first byte: the openai SDK throws on the in-band error, no finish_reason', async () => {
    sim.addFault({
      kind: 'cut_stream',
      after_events: 4,
      count: 1,
      model: simModels.novaLite,
      region: 'eu-west-1',
    });
    const { data, response } = await openai.chat.completions
      .create({ model: 'cut-late', messages: [{ role: 'user', content: 'Hello' }], stream: true })
      .withResponse();
    expect(routeHeaders(response.headers).deployment).toBe('cut-late');
    const finishReasons: string[] = [];
    let text = '';
    const failure = await (async () => {
      for await (const chunk of data) {
        text += chunk.choices[0]?.delta.content ?? '';
        const reason = chunk.choices[0]?.finish_reason;
        if (reason) finishReasons.push(reason);
      }
    })().then(
      () => undefined,
      (error: unknown) => error,
    );
    // The gateway's in-band `data: {"error":{...}}` chunk, raised by the SDK as an APIError.
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).message).toMatch(/stream/i);
    expect(text).not.toBe('');
    expect(finishReasons).toEqual([]);
  });

  it('cut after the first byte: the anthropic SDK throws on the in-band error event, no stop', async () => {
    sim.addFault({
      kind: 'cut_stream',
      after_events: 4,
      count: 1,
      model: simModels.novaLite,
      region: 'eu-west-1',
    });
    const stream = anthropic.messages.stream({
      model: 'cut-late',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    const types: string[] = [];
    stream.on('streamEvent', (event) => {
      types.push(event.type);
    });
    const failure = await stream.finalMessage().then(
      () => undefined,
      (error: unknown) => error,
    );
    // The gateway's `event: error` frame, raised by the SDK as an APIError.
    expect(failure).toBeInstanceOf(Anthropic.APIError);
    expect((failure as InstanceType<typeof Anthropic.APIError>).message).toMatch(/stream/i);
    expect(types).toContain('content_block_delta');
    expect(types).not.toContain('message_stop');
    expect(types).not.toContain('message_delta');
  });
});

it('breaker: a failing deployment stops receiving traffic, then comes back after open_s once healthy', async () => {
  sim.addFault({
    kind: 'error',
    status: 503,
    code: 'ServiceUnavailableException',
    region: 'us-west-2',
    account: account2,
    model: simModels.novaLite,
  });
  const since = sim.invocations().length;
  const served: Served[] = [];
  for (let turn = 0; turn < 10; turn += 1) served.push(await chat('breaker', false));
  expect(served.every((entry) => entry.deployment === 'brk-backup')).toBe(true);
  const primaryCalls = callsSince(since, { region: 'us-west-2', accountId: account2 });
  expect(primaryCalls.length).toBeGreaterThanOrEqual(3);
  expect(primaryCalls.length).toBeLessThan(served.length);
  expect(served.at(-1)?.attempts).toBe(1);
  expect(await circuitState(gateway.url, 'brk-primary')).not.toBe('closed');

  sim.clearFaults();
  // A bounded wait (open_s is 1 s): the probe after open_s succeeds and closes the breaker.
  await waitFor(async () => (await chat('breaker', false)).deployment === 'brk-primary', {
    timeoutMs: 15_000,
    intervalMs: 200,
    what: 'brk-primary to serve again',
  });
  expect(await circuitState(gateway.url, 'brk-primary')).toBe('closed');
  expect((await chat('breaker', true)).deployment).toBe('brk-primary');
});
