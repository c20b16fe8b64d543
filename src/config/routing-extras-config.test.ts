import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './load-config.ts';

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'test.yaml', {});
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

const providers = `
providers:
  east: { type: bedrock, region: us-east-1 }
  oai: { type: openai, base_url: http://127.0.0.1:9, api_key: sk-x }
`;

describe('service tiers in the config', () => {
  it('accepts service_tier on Bedrock deployments', () => {
    const text = `${providers}
models:
  fast:
    deployments: [{ id: p, provider: east, model: m, service_tier: priority, price: { input: 1.75, output: 7 } }]
  batch:
    deployments: [{ id: f, provider: east, model: m, service_tier: flex, price: { input: 0.5, output: 2 } }]
`;
    expect(problemsOf(text)).toEqual([]);
    const config = parseConfig(text, 'test.yaml', {});
    expect(config.models['fast']?.deployments[0]?.service_tier).toBe('priority');
  });

  it('refuses an unknown tier and a tier on a provider that is not Bedrock, by path', () => {
    const text = `${providers}
models:
  a:
    deployments:
      - { id: p, provider: east, model: m, service_tier: express }
      - { id: o, provider: oai, model: m, service_tier: flex }
`;
    expect(problemsOf(text)).toEqual([
      expect.stringMatching(/^models\.a\.deployments\[0\]\.service_tier: Invalid option/),
      'models.a.deployments[1].service_tier: service tiers are Bedrock\'s: provider "oai" is openai',
    ]);
  });
});
