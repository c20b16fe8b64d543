import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, simModels } from './support/gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { anthropicClient, openaiClient, routeHeaders } from './support/sdk-clients.ts';
import { startTestSimulator } from './support/simulator.ts';

// Issue 16 (decision 0022): an upstream's content-policy refusal goes to the group's
// content_policy_fallbacks, through a real gateway process, the simulator's content filter and the
// official SDKs; without content fallbacks the client sees the upstream's reason in its dialect.

let sim: RunningSimulator;
let gateway: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 16, logPrompts: true });
  const base = simGatewayConfig(sim.url, {
    models: {
      strict: {
        strategy: 'ordered',
        content_policy_fallbacks: ['lenient'],
        fallbacks: ['ordinary'],
        deployments: [
          { id: 'strict-a', provider: 'openai', model: simModels.gpt },
          { id: 'strict-b', provider: 'openai', model: simModels.gpt },
        ],
      },
      'bedrock-strict': {
        content_policy_fallbacks: ['lenient'],
        deployments: [{ id: 'nova-strict', provider: 'a1-us-east-1', model: simModels.novaLite }],
      },
      plain: { deployments: [{ id: 'plain', provider: 'openai', model: simModels.gpt }] },
      lenient: { deployments: [{ id: 'lenient', provider: 'anthropic', model: simModels.claudeDirect }] },
      ordinary: { deployments: [{ id: 'ordinary', provider: 'a2-us-west-2', model: simModels.novaPro }] },
      guarded: {
        guardrails: ['bedrock-policy'],
        deployments: [{ id: 'guarded', provider: 'openai', model: simModels.gpt }],
      },
      unreachable: {
        guardrails: ['bedrock-missing', 'bedrock-lenient'],
        deployments: [{ id: 'unreachable', provider: 'openai', model: simModels.gpt }],
      },
    },
  });
  const bedrock = { type: 'bedrock' as const, provider: 'a1-us-east-1', guardrail_id: 'gr-sim-policy' };
  gateway = await startGatewayProcess({
    config: {
      ...base,
      guardrails: {
        'bedrock-policy': { ...bedrock, guardrail_version: '1', on: ['input', 'output'] },
        // A version the simulator does not have: ApplyGuardrail answers 404.
        'bedrock-missing': { ...bedrock, guardrail_version: '9', on: ['input'] },
        'bedrock-lenient': { ...bedrock, guardrail_version: '8', on: ['input'], on_error: 'allow' },
      },
    },
  });
  openai = openaiClient(gateway.url);
  anthropic = anthropicClient(gateway.url);
});

afterEach(() => {
  sim.clearFaults();
  sim.reset();
});

afterAll(async () => {
  await gateway.stop();
  await sim.close();
});

const ask = [{ role: 'user' as const, content: 'Tell me about rivers.' }];

describe('content-policy fallback', () => {
  it('an OpenAI content_filter answer is served by the content fallback, never by the same model again', async () => {
    sim.addFault({ kind: 'content_filter', api: 'openai' });
    const { data, response } = await openai.chat.completions
      .create({ model: 'strict', messages: ask })
      .withResponse();
    const route = routeHeaders(response.headers);
    expect(route.deployment).toBe('lenient');
    expect(route.modelGroup).toBe('lenient');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    const calls = sim.invocations().map((record) => `${record.api}:${record.errorCode ?? 'ok'}`);
    // One refusal from the OpenAI-style model (its second deployment never asked), then Anthropic.
    expect(calls).toEqual(['openai:ContentFiltered', 'anthropic:ok']);
  });

  it('a Bedrock content_filtered answer (Anthropic SDK on the gateway) is served by the content fallback', async () => {
    sim.addFault({ kind: 'content_filter', api: 'bedrock' });
    const message = await anthropic.messages.create({
      model: 'bedrock-strict',
      max_tokens: 200,
      messages: ask,
    });
    expect(message.stop_reason).toBe('end_turn');
    expect(sim.invocations().map((record) => `${record.api}:${record.errorCode ?? 'ok'}`)).toEqual([
      'bedrock:ContentFiltered',
      'anthropic:ok',
    ]);
  });

  it('without content fallbacks the refusal reaches the client as the upstream gave it', async () => {
    sim.addFault({ kind: 'content_filter', api: 'openai' });
    const completion = await openai.chat.completions.create({ model: 'plain', messages: ask });
    expect(completion.choices[0]?.finish_reason).toBe('content_filter');
    expect(sim.invocations()).toHaveLength(1);
  });

  it('other failures take the ordinary fallbacks, never the content ones', async () => {
    sim.addFault({ kind: 'error', status: 503, api: 'openai' });
    const { response } = await openai.chat.completions
      .create({ model: 'strict', messages: ask })
      .withResponse();
    expect(routeHeaders(response.headers).deployment).toBe('ordinary');
  });
});

describe('type: bedrock guardrail (ApplyGuardrail on the simulator, SigV4)', () => {
  it('blocks a denied topic with content_policy naming the guardrail; the model is never called', async () => {
    const refused = await openai.chat.completions
      .create({ model: 'guarded', messages: [{ role: 'user', content: 'Which stocks should I buy?' }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    const error = refused as InstanceType<typeof OpenAI.BadRequestError>;
    expect(error.code).toBe('content_policy');
    expect(error.message).toContain('"bedrock-policy"');
    expect(error.message).not.toContain('stocks');
    expect(sim.invocations().map((record) => record.operation)).toEqual(['ApplyGuardrail']);
  });

  it('masks PII in the prompt before it leaves, and checks the answer (complete and streamed)', async () => {
    const completion = await openai.chat.completions.create({
      model: 'guarded',
      messages: [{ role: 'user', content: 'Mail jane@example.com about rivers.' }],
    });
    expect(completion.choices[0]?.message.content).toMatch(/\w+/);
    expect(sim.invocations().map((record) => record.operation)).toEqual([
      'ApplyGuardrail',
      'ChatCompletions',
      'ApplyGuardrail',
    ]);
    const upstream = sim.invocations().find((record) => record.operation === 'ChatCompletions');
    expect(upstream?.inputText).toContain('Mail {EMAIL} about rivers.');
    expect(upstream?.inputText).not.toContain('jane@example.com');
    const stream = await openai.chat.completions.create({
      model: 'guarded',
      messages: [{ role: 'user', content: 'Tell me about rivers.' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toMatch(/\w+/);
  });

  it('an unreachable guardrail refuses under on_error: block (the default) and passes under allow', async () => {
    const refused = await openai.chat.completions
      .create({ model: 'unreachable', messages: [{ role: 'user', content: 'Hello' }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).message).toContain(
      'guardrail "bedrock-missing" could not be checked',
    );
  });
});
