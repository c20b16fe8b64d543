import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.ts';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { ProviderRegistry } from './provider-registry.ts';

const config = configSchema.parse({
  providers: {
    local: { type: 'openai', base_url: 'http://127.0.0.1:9/v1' },
    east: { type: 'bedrock', region: 'us-east-1' },
  },
  models: { g: { deployments: [{ id: 'd', provider: 'local', model: 'gpt-4o-mini' }] } },
});
const openaiOnly = configSchema.parse({ ...config, providers: { local: config.providers.local } });
const deployment = { id: 'd', model: 'm' } as Parameters<ProviderRegistry['create']>[0]['deployment'];

describe('ProviderRegistry', () => {
  it('builds the adapter of each provider type a loaded config uses', async () => {
    const registry = new ProviderRegistry(new FakeClock());
    await registry.load(config);
    const openai = registry.create({ providerName: 'local', provider: config.providers.local!, deployment });
    const bedrock = registry.create({ providerName: 'east', provider: config.providers.east!, deployment });
    expect([openai.providerType, openai.modelId]).toEqual(['openai', 'm']);
    expect([bedrock.providerType, bedrock.modelId]).toEqual(['bedrock', 'm']);
    await Promise.all([openai.close(), bedrock.close()]);
  });

  it('loads only the adapters a config uses: a Bedrock deployment is refused until Bedrock is loaded', async () => {
    const registry = new ProviderRegistry(new FakeClock());
    await registry.load(openaiOnly);
    expect(() =>
      registry.create({ providerName: 'east', provider: config.providers.east!, deployment }),
    ).toThrow('the bedrock adapter was not loaded before its deployment was built');
    await registry.load(config);
    const bedrock = registry.create({ providerName: 'east', provider: config.providers.east!, deployment });
    expect(bedrock.providerType).toBe('bedrock');
    await bedrock.close();
  });
});
