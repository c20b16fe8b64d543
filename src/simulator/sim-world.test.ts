import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSimWorld } from './default-sim-world.ts';
import { loadSimWorld, SimWorldError } from './sim-world.ts';
import { WorldIndex } from './world-index.ts';

async function writeWorld(text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'sim-world-')), 'world.yaml');
  await writeFile(path, text);
  return path;
}

const minimal = `
regions: [r1, r2]
accounts:
  - id: "333333333333"
    access_keys: [{ access_key_id: AKIA3, secret_access_key: s3 }]
    api_keys: [{ key: k3, region: r2 }]
bedrock:
  models:
    - { id: vendor.model-v1:0, on_demand: false, profiles: [geo], context_window: 1000 }
  profiles: { geo: [r1, r2] }
  quotas:
    default: { rpm: 5, tpm: 5000 }
    overrides: [{ region: r2, rpm: 1 }]
openai: { account: o, api_keys: [k], models: [{ id: m }], limits: { rpm: 1, tpm: 10 } }
anthropic: { account: a, api_keys: [k], models: [{ id: c }], limits: { rpm: 1, tpm: 10 } }
latency:
  default: { ttft_ms: 10, tokens_per_second: 100 }
  overrides: [{ region: r2, ttft_ms: 500 }]
faults: [{ kind: throttle, region: r1, rate: 0.5 }]
`;

describe('loadSimWorld', () => {
  it('loads a YAML world with defaults applied', async () => {
    const world = await loadSimWorld(await writeWorld(minimal));
    const index = new WorldIndex(world);
    expect(index.accessKey('AKIA3')).toEqual({ accountId: '333333333333', secret: 's3' });
    expect(index.bedrockApiKey('k3')).toEqual({ accountId: '333333333333', region: 'r2' });
    expect(index.bedrockQuota('333333333333', 'r2', 'vendor.model-v1:0')).toEqual({ rpm: 1, tpm: 5000 });
    expect(index.latency('r2', 'x')).toEqual({ ttft_ms: 500, tokens_per_second: 100, jitter: 0.1 });
    expect(world.faults[0]).toMatchObject({ kind: 'throttle', rate: 0.5 });
    expect(index.resolveBedrockModel('geo.vendor.model-v1:0', 'r1', '333333333333')).toMatchObject({
      regions: ['r1', 'r2'],
      profile: 'geo',
    });
    expect(index.resolveBedrockModel('vendor.model-v1:0', 'r1', '333333333333')).toMatchObject({
      kind: 'status',
      status: 400,
    });
  });

  it('reports every problem with its path', async () => {
    const broken = minimal
      .replace('profiles: { geo: [r1, r2] }', 'profiles: { geo: [r1, r9] }')
      .replace('rpm: 5,', 'rpm: -5,');
    const error = await loadSimWorld(await writeWorld(broken)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SimWorldError);
    expect((error as Error).message).toContain('bedrock.quotas.default.rpm');
    const unknownRegion = await loadSimWorld(
      await writeWorld(minimal.replace('[r1, r2] }', '[r1, r9] }')),
    ).catch((caught: unknown) => caught);
    expect((unknownRegion as Error).message).toContain('bedrock.profiles.geo[1]: unknown region "r9"');
  });
});

describe('defaultSimWorld', () => {
  it('holds the values other code relies on', () => {
    const index = new WorldIndex(defaultSimWorld);
    expect(defaultSimWorld.regions).toEqual([
      'us-east-1',
      'us-east-2',
      'us-west-2',
      'eu-west-1',
      'eu-central-1',
    ]);
    expect(index.accessKey('AKIASIMACCOUNT2EXAMPLE')).toEqual({
      accountId: '222222222222',
      secret: 'sim-secret-account-2',
    });
    expect(
      index.resolveBedrockModel('global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'eu-west-1', '1'),
    ).toMatchObject({ regions: defaultSimWorld.regions });
    expect(
      index.resolveBedrockModel('eu.anthropic.claude-sonnet-4-5-20250929-v1:0', 'us-east-1', '1'),
    ).toMatchObject({ kind: 'status', status: 400 });
    expect(index.bedrockQuota('111111111111', 'us-west-2', 'amazon.nova-pro-v1:0')).toEqual({
      rpm: 200,
      tpm: 400000,
    });
  });
});
