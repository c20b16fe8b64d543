import { BedrockRuntimeClient, ConverseCommand, ThrottlingException } from '@aws-sdk/client-bedrock-runtime';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSimWorld } from '../src/simulator/default-sim-world.ts';
import { startSimulator, type RunningSimulator } from '../src/simulator/start-simulator.ts';
import { FakeClock } from './support/fake-clock.ts';

const profile = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const base = 'anthropic.claude-haiku-4-5-20251001-v1:0';
let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
});

function client(url: string, account = 1): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: url,
    credentials: {
      accessKeyId: `AKIASIMACCOUNT${account}EXAMPLE`,
      secretAccessKey: `sim-secret-account-${account}`,
    },
    maxAttempts: 1,
  });
}

const converse = (bedrock: BedrockRuntimeClient) =>
  bedrock.send(
    new ConverseCommand({ modelId: profile, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
  );

describe('cross-region inference profiles', () => {
  it('spreads a profile over its regions at random, logs the inference region, replays from the seed', async () => {
    const splits: string[][] = [];
    for (const _run of [1, 2]) {
      sim = await startSimulator({ seed: 42, latencyScale: 0 });
      const bedrock = client(sim.url);
      for (let index = 0; index < 30; index += 1) await converse(bedrock);
      bedrock.destroy();
      const records = sim.invocations({ model: profile });
      expect(records).toHaveLength(30);
      expect(records.every((record) => record.region === 'us-east-1' && record.baseModelId === base)).toBe(
        true,
      );
      splits.push(records.map((record) => record.inferenceRegion ?? ''));
      await sim.close();
      sim = undefined;
    }
    const regions = new Set(splits[0]);
    expect([...regions].sort()).toEqual(['us-east-1', 'us-east-2', 'us-west-2']);
    expect(splits[1]).toEqual(splits[0]);
  });

  it('routes around a region whose quota is exhausted, throttling only when all are', async () => {
    const world = {
      ...defaultSimWorld,
      bedrock: {
        ...defaultSimWorld.bedrock,
        quotas: {
          default: { rpm: 200, tpm: 400000 },
          overrides: [
            { account: '111111111111', region: 'us-east-2', rpm: 1 },
            { account: '111111111111', model: base, rpm: 2 },
          ],
        },
      },
    };
    sim = await startSimulator({ world, seed: 1, latencyScale: 0, clock: new FakeClock() });
    const bedrock = client(sim.url);
    // us-east-2 allows 1 request a minute, us-east-1 and us-west-2 two each: five pass, the sixth is throttled.
    for (let index = 0; index < 5; index += 1) await converse(bedrock);
    const error = await converse(bedrock).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ThrottlingException);
    expect((error as Error).message).toBe('Too many requests, please wait before trying again.');
    const served = sim.invocations({ account: '111111111111' }).filter((record) => record.status === 200);
    const perRegion = Object.fromEntries(
      ['us-east-1', 'us-east-2', 'us-west-2'].map((region) => [
        region,
        served.filter((record) => record.inferenceRegion === region).length,
      ]),
    );
    expect(perRegion).toEqual({ 'us-east-1': 2, 'us-east-2': 1, 'us-west-2': 2 });
    // Account 2 has its own quotas.
    const other = client(sim.url, 2);
    expect((await converse(other)).stopReason).toBe('end_turn');
    other.destroy();
    bedrock.destroy();
  });

  it('serves the invocation log and faults over HTTP', async () => {
    sim = await startSimulator({ seed: 9, latencyScale: 0 });
    const bedrock = client(sim.url, 2);
    await converse(bedrock);
    bedrock.destroy();
    const listed = await request(
      `${sim.url}/_sim/invocations?account=222222222222&model=${encodeURIComponent(profile)}`,
    );
    const { invocations } = (await listed.body.json()) as {
      invocations: { accountId: string; inferenceRegion: string }[];
    };
    expect(invocations).toHaveLength(1);
    expect(invocations[0]?.accountId).toBe('222222222222');
    const none = await request(`${sim.url}/_sim/invocations?account=111111111111`);
    expect(((await none.body.json()) as { invocations: unknown[] }).invocations).toEqual([]);
    const added = await request(`${sim.url}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'throttle', region: 'us-west-2' }),
    });
    expect(added.statusCode).toBe(201);
    const { id } = (await added.body.json()) as { id: string };
    const bad = await request(`${sim.url}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'error' }),
    });
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify(await bad.body.json())).toContain('status: kind error needs a status');
    const list = await request(`${sim.url}/_sim/faults`);
    expect(
      ((await list.body.json()) as { faults: { id: string }[] }).faults.map((fault) => fault.id),
    ).toEqual([id]);
    expect((await request(`${sim.url}/_sim/faults/${id}`, { method: 'DELETE' })).statusCode).toBe(200);
    expect((await request(`${sim.url}/_sim/faults/${id}`, { method: 'DELETE' })).statusCode).toBe(404);
    expect((await request(`${sim.url}/_sim/reset`, { method: 'POST' })).statusCode).toBe(200);
    expect(sim.invocations()).toEqual([]);
  });
});
