import {
  ApplyGuardrailCommand,
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  ResourceNotFoundException,
  ValidationException,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultSimWorld } from '../src/simulator/default-sim-world.ts';
import { parseSimWorld } from '../src/simulator/sim-world.ts';
import { startSimulator, type RunningSimulator } from '../src/simulator/start-simulator.ts';

const account1 = { accessKeyId: 'AKIASIMACCOUNT1EXAMPLE', secretAccessKey: 'sim-secret-account-1' };
const account2 = { accessKeyId: 'AKIASIMACCOUNT2EXAMPLE', secretAccessKey: 'sim-secret-account-2' };
const haikuUs = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const user = (text: string) => [{ role: 'user' as const, content: [{ text }] }];

// The default world, plus a guardrail of account 2 that blocks the simulated model's common words
// (so an answer trips it while a prompt without them passes).
const world = parseSimWorld({
  ...defaultSimWorld,
  bedrock: {
    ...defaultSimWorld.bedrock,
    guardrails: [
      ...defaultSimWorld.bedrock.guardrails,
      {
        id: 'gr-output-words',
        account: '222222222222',
        regions: ['us-east-1'],
        words: ['the', 'a', 'and', 'with', 'for', 'into', 'over', 'each'],
      },
    ],
  },
});

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ seed: 7, latencyScale: 0, world });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
});

function client(credentials = account1, region = 'us-east-1'): BedrockRuntimeClient {
  return new BedrockRuntimeClient({ region, endpoint: sim.url, credentials, maxAttempts: 1 });
}

const apply = (text: string, source: 'INPUT' | 'OUTPUT' = 'INPUT', version = '1') =>
  new ApplyGuardrailCommand({
    guardrailIdentifier: 'gr-sim-policy',
    guardrailVersion: version,
    source,
    content: [{ text: { text } }],
  });

describe('ApplyGuardrail', () => {
  it('blocks a denied topic with the blocked message and a topic assessment', async () => {
    const bedrock = client();
    const response = await bedrock.send(apply('Can you give me investment advice about bonds?'));
    expect(response.action).toBe('GUARDRAIL_INTERVENED');
    expect(response.outputs).toEqual([
      { text: 'Sorry, I cannot help with that request (blocked by gr-sim-policy).' },
    ]);
    expect(response.assessments?.[0]?.topicPolicy?.topics).toEqual([
      { name: 'investment-advice', type: 'DENY', action: 'BLOCKED', detected: true },
    ]);
    expect(response.usage?.topicPolicyUnits).toBe(1);
    const [record] = sim.invocations();
    expect(record).toMatchObject({
      operation: 'ApplyGuardrail',
      status: 200,
      errorCode: 'GuardrailIntervened',
    });
    bedrock.destroy();
  });

  it('anonymizes PII, blocks a custom word and blocks a PII type set to BLOCK', async () => {
    const bedrock = client();
    const masked = await bedrock.send(
      apply('Mail jane.doe@example.com or card 4111 1111 1111 1111', 'OUTPUT'),
    );
    expect(masked.action).toBe('GUARDRAIL_INTERVENED');
    expect(masked.outputs).toEqual([{ text: 'Mail {EMAIL} or card {CREDIT_DEBIT_CARD_NUMBER}' }]);
    expect(masked.assessments?.[0]?.sensitiveInformationPolicy?.piiEntities).toEqual([
      { match: 'jane.doe@example.com', type: 'EMAIL', action: 'ANONYMIZED', detected: true },
      {
        match: '4111 1111 1111 1111',
        type: 'CREDIT_DEBIT_CARD_NUMBER',
        action: 'ANONYMIZED',
        detected: true,
      },
    ]);
    const word = await bedrock.send(apply('Tell me about Project Bluebird.'));
    expect(word.action).toBe('GUARDRAIL_INTERVENED');
    expect(word.assessments?.[0]?.wordPolicy?.customWords).toEqual([
      { match: 'Bluebird', action: 'BLOCKED', detected: true },
    ]);
    const ssn = await bedrock.send(apply('My SSN is 123-45-6789', 'OUTPUT'));
    expect(ssn.outputs).toEqual([{ text: 'Sorry, the answer was blocked by gr-sim-policy.' }]);
    bedrock.destroy();
  });

  it('passes clean text with action NONE and no outputs', async () => {
    const bedrock = client();
    const response = await bedrock.send(apply('What is the capital of France?', 'INPUT', 'DRAFT'));
    expect(response.action).toBe('NONE');
    expect(response.outputs).toEqual([]);
    expect(response.assessments).toEqual([{}]);
    bedrock.destroy();
  });

  it('refuses an unknown guardrail, version, account or region, and an unsigned call', async () => {
    const bedrock = client();
    await expect(bedrock.send(apply('hi', 'INPUT', '7'))).rejects.toBeInstanceOf(ResourceNotFoundException);
    const other = client(account2, 'eu-west-1');
    await expect(
      other.send(
        new ApplyGuardrailCommand({
          guardrailIdentifier: 'gr-output-words',
          guardrailVersion: '1',
          source: 'INPUT',
          content: [{ text: { text: 'hi' } }],
        }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    const unsigned = await fetch(`${sim.url}/guardrail/gr-sim-policy/version/1/apply`, {
      method: 'POST',
      body: '{}',
    });
    expect(unsigned.status).toBe(403);
    await expect(
      bedrock.send(
        new ApplyGuardrailCommand({
          guardrailIdentifier: 'gr-sim-policy',
          guardrailVersion: '1',
          source: 'INPUT',
          content: [],
        }),
      ),
    ).rejects.toBeInstanceOf(ValidationException);
    bedrock.destroy();
    other.destroy();
  });
});

describe('Converse guardrailConfig', () => {
  it('answers a blocked input with guardrail_intervened, the blocked message and the trace', async () => {
    const bedrock = client();
    const response = await bedrock.send(
      new ConverseCommand({
        modelId: haikuUs,
        messages: user('Which stocks should I buy for investment advice?'),
        guardrailConfig: { guardrailIdentifier: 'gr-sim-policy', guardrailVersion: '1', trace: 'enabled' },
      }),
    );
    expect(response.stopReason).toBe('guardrail_intervened');
    expect(response.output?.message?.content).toEqual([
      { text: 'Sorry, I cannot help with that request (blocked by gr-sim-policy).' },
    ]);
    expect(
      response.trace?.guardrail?.inputAssessment?.['gr-sim-policy']?.topicPolicy?.topics?.[0]?.name,
    ).toBe('investment-advice');
    bedrock.destroy();
  });

  it('without trace asked, no trace; a clean prompt ends the turn as usual', async () => {
    const bedrock = client();
    const blocked = await bedrock.send(
      new ConverseCommand({
        modelId: haikuUs,
        messages: user('Project bluebird status?'),
        guardrailConfig: { guardrailIdentifier: 'gr-sim-policy', guardrailVersion: '1' },
      }),
    );
    expect(blocked.stopReason).toBe('guardrail_intervened');
    expect(blocked.trace).toBeUndefined();
    const clean = await bedrock.send(
      new ConverseCommand({
        modelId: haikuUs,
        messages: user('Hello there'),
        guardrailConfig: { guardrailIdentifier: 'gr-sim-policy', guardrailVersion: '1' },
      }),
    );
    expect(clean.stopReason).toBe('end_turn');
    bedrock.destroy();
  });

  it('blocks the output (non-streamed and streamed) with the blocked output message', async () => {
    const bedrock = client(account2);
    const guardrailConfig = {
      guardrailIdentifier: 'gr-output-words',
      guardrailVersion: '1',
      trace: 'enabled' as const,
    };
    const response = await bedrock.send(
      new ConverseCommand({ modelId: haikuUs, messages: user('Hi!'), guardrailConfig }),
    );
    expect(response.stopReason).toBe('guardrail_intervened');
    expect(response.output?.message?.content?.[0]?.text).toBe(
      'Sorry, the model cannot answer this question.',
    );
    const trace = response.trace?.guardrail;
    expect(trace?.modelOutput?.[0]).toMatch(/\w+/);
    expect(
      trace?.outputAssessments?.['gr-output-words']?.[0]?.wordPolicy?.customWords?.length,
    ).toBeGreaterThan(0);
    const stream = await bedrock.send(
      new ConverseStreamCommand({ modelId: haikuUs, messages: user('Hi!'), guardrailConfig }),
    );
    const events: ConverseStreamOutput[] = [];
    for await (const event of stream.stream ?? []) events.push(event);
    const text = events.map((event) => event.contentBlockDelta?.delta?.text ?? '').join('');
    expect(text).toBe('Sorry, the model cannot answer this question.');
    expect(events.find((event) => event.messageStop)?.messageStop?.stopReason).toBe('guardrail_intervened');
    expect(events.find((event) => event.metadata)?.metadata?.trace?.guardrail?.modelOutput).toBeDefined();
    bedrock.destroy();
  });

  it('refuses an unknown guardrail with a ValidationException naming it', async () => {
    const bedrock = client();
    await expect(
      bedrock.send(
        new ConverseCommand({
          modelId: haikuUs,
          messages: user('Hello'),
          guardrailConfig: { guardrailIdentifier: 'nope', guardrailVersion: '1' },
        }),
      ),
    ).rejects.toThrow(/nope:1/);
    bedrock.destroy();
  });
});
