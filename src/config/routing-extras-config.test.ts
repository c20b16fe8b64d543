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

describe('cascades in the config', () => {
  const groups = `
  cheap: { deployments: [{ id: c, provider: east, model: m }] }
  strong: { deployments: [{ id: s, provider: east, model: m }] }
  other: { route: [{ default: cheap }] }`;

  it('accepts a cascade on a router group, escalating on every check by default', () => {
    const text = `${providers}
models:${groups}
  auto:
    route: [{ when: { tags: [x] }, to: strong }, { default: cheap }]
    cascade: { from: cheap, to: strong }
`;
    expect(problemsOf(text)).toEqual([]);
    expect(parseConfig(text, 'test.yaml', {}).models['auto']?.cascade?.escalate_on).toEqual([
      'max_tokens',
      'refusal',
      'invalid_json',
    ]);
  });

  it('refuses bad cascades by path', () => {
    const text = `${providers}
models:${groups}
  a:
    route: [{ default: cheap }]
    cascade: { from: nope, to: other, escalate_on: [slow] }
  b:
    route: [{ default: cheap }]
    cascade: { from: cheap, to: cheap }
  c:
    route: [{ default: cheap }]
    cascade: { from: strong, to: cheap }
  d:
    deployments: [{ id: d, provider: east, model: m }]
    cascade: { from: cheap, to: strong }
`;
    expect(problemsOf(text)).toEqual([
      expect.stringMatching(/^models\.a\.cascade\.escalate_on\[0\]: Invalid option/),
      'models.a.cascade.from: unknown model group "nope" (known: cheap, strong, other, a, b, c, d)',
      'models.a.cascade.to: "other" is a router group: a cascade names groups with deployments',
      'models.a.cascade.from: no rule of "a" routes to "nope": the cascade would never start',
      'models.b.cascade.to: a cascade escalates to another group than `from`',
      'models.c.cascade.from: no rule of "c" routes to "strong": the cascade would never start',
      'models.d.cascade: a cascade belongs to a router group (one with route rules)',
    ]);
  });
});

describe('the classifier in the config', () => {
  it('accepts a classifier group with a default timeout, and refuses bad ones by path', () => {
    const ok = `${providers}
models:
  judge: { deployments: [{ id: j, provider: east, model: m }] }
  auto: { route: [{ default: judge }], classifier: { group: judge } }
`;
    expect(problemsOf(ok)).toEqual([]);
    expect(parseConfig(ok, 'test.yaml', {}).models['auto']?.classifier?.timeout_ms).toBe(800);
    const bad = `${providers}
models:
  judge: { deployments: [{ id: j, provider: east, model: m }], classifier: { group: judge } }
  a: { route: [{ default: judge }], classifier: { group: nope, timeout_ms: 0 } }
  b: { route: [{ default: judge }], classifier: { group: a } }
`;
    expect(problemsOf(bad)).toEqual([
      expect.stringMatching(/^models\.a\.classifier\.timeout_ms: /),
      'models.judge.classifier: a classifier belongs to a router group (one with route rules)',
      'models.a.classifier.group: unknown model group "nope" (known: judge, a, b)',
      'models.b.classifier.group: "a" is a router group: the classifier is a group with deployments',
    ]);
  });
});
