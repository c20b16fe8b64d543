import { BedrockRuntimeClient, ConverseCommand, type ServiceTierType } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../src/simulator/start-simulator.ts';
import { FakeClock } from './support/fake-clock.ts';

// The simulator honours Bedrock service tiers sent with the official AWS SDK's ConverseCommand
// (`serviceTier: { type }`): it logs the tier, and under quota pressure it throttles flex first
// while default and priority still pass. (Latency per tier: src/simulator/service-tiers.test.ts.)

const novaLite = 'amazon.nova-lite-v1:0';
let sim: RunningSimulator;
let bedrock: BedrockRuntimeClient;

beforeAll(async () => {
  // A fake clock: the quota does not refill while the test runs, however slow the machine.
  sim = await startSimulator({ seed: 11, latencyScale: 0, clock: new FakeClock() });
  bedrock = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: sim.url,
    credentials: { accessKeyId: 'AKIASIMACCOUNT1EXAMPLE', secretAccessKey: 'sim-secret-account-1' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  bedrock.destroy();
  await sim.close();
});

function converse(tier: ServiceTierType): Promise<unknown> {
  return bedrock.send(
    new ConverseCommand({
      modelId: novaLite,
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      inferenceConfig: { maxTokens: 16 },
      serviceTier: { type: tier },
    }),
  );
}

describe('service tiers in the simulator', () => {
  it('logs the tier and throttles flex first once half the quota is used', async () => {
    await converse('flex');
    await converse('priority');
    expect(sim.invocations().map((record) => record.serviceTier)).toEqual(['flex', 'priority']);
    // The default world allows 200 requests a minute per model and region: use more than half.
    for (let index = 0; index < 100; index += 1) await converse('default');
    await expect(converse('flex')).rejects.toMatchObject({ name: 'ThrottlingException' });
    await expect(converse('default')).resolves.toBeDefined();
    await expect(converse('priority')).resolves.toBeDefined();
    const last = sim.invocations().slice(-3);
    expect(last.map((record) => [record.serviceTier, record.status])).toEqual([
      ['flex', 429],
      ['default', 200],
      ['priority', 200],
    ]);
  });
});
