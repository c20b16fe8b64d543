import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './load-config.ts';

const valid = `
server: { port: 4100, admin_key: \${ADMIN:-admin-secret-1} }
providers:
  east: { type: bedrock, region: us-east-1, endpoint: http://127.0.0.1:9100 }
  west: { type: bedrock, region: us-west-2 }
models:
  claude:
    fallbacks: [haiku]
    deployments:
      - { id: a, provider: east, model: us.anthropic.claude-sonnet-4-6, rpm: 3 }
  haiku:
    deployments:
      - { id: b, provider: west, model: anthropic.claude-haiku, rpm: 25 }
tenants:
  team-a: { keys: [\${TEAM_A_KEY}], rpm: 3 }
`;

function problemsOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(text, 'test.yaml', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('parseConfig', () => {
  it('accepts the documented format and fills defaults', () => {
    const config = parseConfig(valid, 'test.yaml', { TEAM_A_KEY: 'sk-team-a-12345' });
    expect(config.server.port).toBe(4100);
    expect(config.server.admin_key).toBe('admin-secret-1');
    expect(config.server.max_body_bytes).toBe(10 * 1024 * 1024);
    expect(config.models.claude?.strategy).toBe('weighted');
    expect(config.models.claude?.deployments[0]?.weight).toBe(1);
    expect(config.tenants['team-a']?.keys).toEqual(['sk-team-a-12345']);
    expect(config.router.circuit_breaker.open_s).toBe(15);
  });

  it('names the unset environment variable and where it is used', () => {
    expect(problemsOf(valid)).toEqual(['tenants.team-a.keys[0]: environment variable TEAM_A_KEY is not set']);
  });

  it('reports an unknown provider with the known ones, by path', () => {
    const text = valid.replace('provider: west', 'provider: east2');
    expect(problemsOf(text, { TEAM_A_KEY: 'sk-team-a-12345' })).toContain(
      'models.haiku.deployments[0].provider: unknown provider "east2" (known: east, west)',
    );
  });

  it('reports every bad path at once', () => {
    const text = `
providers:
  east: { type: bedrock }
models:
  g:
    strategy: fastest
    deployments: []
`;
    const problems = problemsOf(text);
    expect(problems.some((p) => p.startsWith('providers.east.region:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('models.g.strategy:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('models.g.deployments:'))).toBe(true);
  });

  it('rejects unknown keys, duplicate ids and bad fallbacks', () => {
    const text = `
providers:
  east: { type: bedrock, region: us-east-1, colour: red }
models:
  g:
    fallbacks: [nope, g]
    deployments:
      - { id: x, provider: east, model: m }
      - { id: x, provider: east, model: m }
`;
    const problems = problemsOf(text);
    expect(problems).toContain('providers.east: unknown key(s) "colour"');
    expect(problems).toContain(
      'models.g.deployments[1].id: duplicate deployment id "x" (also at models.g.deployments[0])',
    );
    expect(problems).toContain('models.g.fallbacks[0]: unknown model group "nope" (known: g)');
  });

  it('reports shape and reference problems in the same run', () => {
    const text = `
providers:
  east: { type: bedrok, region: us-east-1 }
models:
  g:
    strategy: fastest
    fallbacks: [nope]
    deployments:
      - { id: x, provider: east2, model: m, rpm: -1 }
      - { provider: east, model: m }
tenants:
  t: { keys: [short], models: [g, h], model_limits: { h: { rpm: 1 } } }
`;
    expect(problemsOf(text)).toEqual([
      expect.stringMatching(/^providers\.east\.type: /),
      expect.stringMatching(/^models\.g\.strategy: /),
      expect.stringMatching(/^models\.g\.deployments\[0\]\.rpm: /),
      expect.stringMatching(/^models\.g\.deployments\[1\]\.id: /),
      'tenants.t.keys[0]: keys must be at least 8 characters',
      'models.g.deployments[0].provider: unknown provider "east2" (known: east)',
      'models.g.fallbacks[0]: unknown model group "nope" (known: g)',
      'tenants.t.models[1]: unknown model group "h" (known: g)',
      'tenants.t.model_limits.h: unknown model group "h" (known: g)',
    ]);
  });

  it('reports cross-reference problems once the shape is valid', () => {
    const text = `
providers:
  east: { type: bedrock, region: us-east-1 }
models:
  g:
    fallbacks: [nope, g]
    deployments:
      - { id: x, provider: east, model: m }
      - { id: x, provider: east, model: m }
`;
    expect(problemsOf(text)).toEqual([
      'models.g.deployments[1].id: duplicate deployment id "x" (also at models.g.deployments[0])',
      'models.g.fallbacks[0]: unknown model group "nope" (known: g)',
      'models.g.fallbacks[1]: a group cannot fall back to itself',
    ]);
  });

  it('checks content_policy_fallbacks: unknown groups, the group itself, router groups', () => {
    const text = `
providers:
  east: { type: bedrock, region: us-east-1 }
models:
  g:
    content_policy_fallbacks: [nope, g, r]
    deployments:
      - { id: x, provider: east, model: m }
  r:
    route: [{ default: g }]
`;
    expect(problemsOf(text)).toEqual([
      'models.g.content_policy_fallbacks[0]: unknown model group "nope" (known: g, r)',
      'models.g.content_policy_fallbacks[1]: a group cannot fall back to itself',
      'models.g.content_policy_fallbacks[2]: "r" is a router group: fall back to a group with deployments',
    ]);
  });

  it('checks response-cache settings and their embedding group by path', () => {
    const text = `
providers:
  east: { type: bedrock, region: us-east-1 }
router:
  cache: { mode: semantic, embedding_group: embed, threshold: 1.5 }
models:
  g:
    cache: { mode: exact, ttl_s: 0, threshold: 0.9, scope: everyone }
    deployments: [{ id: x, provider: east, model: m }]
  h:
    cache: { mode: semantic, threshold: 0.9, max_bytes: 10, max_entry_bytes: 20 }
    deployments: [{ id: y, provider: east, model: m }]
`;
    expect(problemsOf(text)).toEqual([
      // g's threshold (semantic only) is reported once its shape problems are fixed (zod's refine order).
      expect.stringMatching(/^models\.g\.cache\.ttl_s: /),
      expect.stringMatching(/^models\.g\.cache\.scope: /),
      'models.h.cache.embedding_group: mode: semantic needs embedding_group (an embeddings model group)',
      'models.h.cache.max_entry_bytes: must not exceed max_bytes (10)',
      expect.stringMatching(/^router\.cache\.threshold: /),
      'router.cache.embedding_group: unknown model group "embed" (known: g, h)',
    ]);
  });

  it('checks router groups: targets, cycles, the default, fallbacks and patterns by path', () => {
    const text = `
providers:
  east: { type: bedrock, region: us-east-1 }
models:
  g:
    fallbacks: [a]
    deployments: [{ id: x, provider: east, model: m }]
  a:
    route:
      - { when: { tags: [x] }, to: b }
      - { when: { last_user_matches: "(a)\\\\1" }, to: g }
      - { default: nope }
  b:
    route:
      - { when: { complexity_at_least: 0.5 }, to: a }
      - { default: b }
  c:
    deployments: [{ id: y, provider: east, model: m }]
    route:
      - { when: { json: true }, to: g }
  d: {}
`;
    // Shape problems (zod) and cross-references are reported in the same run.
    expect(problemsOf(text)).toEqual([
      expect.stringMatching(/^models\.a\.route\[1\]\.when\.last_user_matches: not a valid RE2 pattern/),
      'models.c.route[0]: a router group needs a last rule { default: <group> }',
      'models.g.fallbacks[0]: "a" is a router group: fall back to a group with deployments',
      'models.a.route[2].default: unknown model group "nope" (known: g, a, b, c, d)',
      'models.b.route[1].default: a router group cannot route to itself',
      'models.c.deployments: a router group (route) has no deployments or fallbacks of its own: its targets do',
      'models.d.deployments: a model group needs at least one deployment (or route rules: a router group)',
      'models.a.route: router groups route in a cycle: a → b → a',
    ]);
  });

  it('accepts per-model tenant limits and reports unknown groups and keys by path', () => {
    const env = { TEAM_A_KEY: 'sk-team-a-12345' };
    const withLimits = valid.replace(
      '], rpm: 3 }',
      '], rpm: 3, model_limits: { claude: { rpm: 2, max_concurrency: 1 } } }',
    );
    expect(parseConfig(withLimits, 'test.yaml', env).tenants['team-a']?.model_limits).toEqual({
      claude: { rpm: 2, max_concurrency: 1 },
    });
    const unknownGroup = withLimits.replace('model_limits: { claude:', 'model_limits: { sonnet:');
    expect(problemsOf(unknownGroup, env)).toEqual([
      'tenants.team-a.model_limits.sonnet: unknown model group "sonnet" (known: claude, haiku)',
    ]);
    const unknownKey = withLimits.replace('max_concurrency: 1', 'rph: 1');
    expect(problemsOf(unknownKey, env)).toEqual(['tenants.team-a.model_limits.claude: unknown key(s) "rph"']);
  });

  it('reports YAML syntax errors with a line', () => {
    expect(problemsOf('models: [unclosed')[0]).toMatch(/^line \d+:/);
  });
});

describe('telemetry keys', () => {
  const env = { TEAM_A_KEY: 'sk-team-a-12345' };

  it('accepts metrics_port, metrics_token (from the environment, digits kept as text) and tenant_labels', () => {
    const text = `${valid}telemetry: { metrics_port: 9464, metrics_token: \${METRICS_TOKEN}, tenant_labels: false }\n`;
    const config = parseConfig(text, 'test.yaml', { ...env, METRICS_TOKEN: '12345678901234567890' });
    expect(config.telemetry).toMatchObject({
      metrics_port: 9464,
      metrics_token: '12345678901234567890',
      tenant_labels: false,
    });
    // an empty token (`${METRICS_TOKEN:-}` unset) means none
    const none = parseConfig(`${valid}telemetry: { metrics_token: "" }\n`, 'test.yaml', env);
    expect(none.telemetry?.metrics_token).toBeUndefined();
  });

  it('names every bad telemetry key by path', () => {
    const problems = (telemetry: string): string[] => problemsOf(`${valid}telemetry: ${telemetry}\n`, env);
    expect(problems('{ metrics_port: 70000 }')).toEqual([
      'telemetry.metrics_port: Too big: expected number to be <=65535',
    ]);
    expect(problems('{ metrics_token: short }')).toEqual([
      'telemetry.metrics_token: metrics_token must be at least 16 characters',
    ]);
    expect(problems('{ tenant_labels: "no" }')).toEqual([
      'telemetry.tenant_labels: Invalid input: expected boolean, received string',
    ]);
    expect(problems('{ metrics: false, metrics_port: 9464 }')).toEqual([
      'telemetry.metrics_port: has no effect with metrics: false',
    ]);
    expect(problems('{ metrics_port: 4100 }')).toEqual([
      'telemetry.metrics_port: must differ from server.port (4100): it is the separate listener for /metrics',
    ]);
  });
});

describe('Azure OpenAI keys of an openai provider', () => {
  const env = { TEAM_A_KEY: 'sk-team-a-12345', AZURE_OPENAI_AD_TOKEN: 'entra-token' };
  const withAzure = (azure: string): string =>
    valid.replace(
      'providers:\n',
      `providers:\n  azure: { type: openai, base_url: https://res.openai.azure.com/openai, ${azure} }\n`,
    );

  it('accepts api_version, deployment_paths and auth_header (an Entra token from the environment)', () => {
    const config = parseConfig(
      withAzure('api_version: "2024-10-21", deployment_paths: true, api_key: ${AZURE_OPENAI_AD_TOKEN}'),
      'test.yaml',
      env,
    );
    expect(config.providers['azure']).toMatchObject({
      api_version: '2024-10-21',
      deployment_paths: true,
      api_key: 'entra-token',
    });
    const keyed = parseConfig(withAzure('auth_header: api-key, api_key: k'), 'test.yaml', env);
    expect(keyed.providers['azure']).toMatchObject({ auth_header: 'api-key' });
  });

  it('names bad values by path', () => {
    expect(problemsOf(withAzure('auth_header: x-api-key'), env)).toEqual([
      'providers.azure.auth_header: Invalid option: expected one of "authorization"|"api-key"',
    ]);
    // `${AZURE_API_VERSION:-}` unset: no api-version sent, as for other optional values.
    expect(problemsOf(withAzure('api_version: ""'), env)).toEqual([]);
    expect(problemsOf(withAzure('deployment_paths: "yes"'), env)).toEqual([
      'providers.azure.deployment_paths: Invalid input: expected boolean, received string',
    ]);
  });
});

describe('stream keys (issue 15)', () => {
  const env = { TEAM_A_KEY: 'sk-team-a-12345' };

  it('accepts stream_recovery, supports_prefill and malformed_event_limit (router and group)', () => {
    const text = valid
      .replace(
        '    fallbacks: [haiku]',
        '    fallbacks: [haiku]\n    stream_recovery: continue\n    malformed_event_limit: 5',
      )
      .replace('rpm: 3 }\n  haiku', 'rpm: 3, supports_prefill: false }\n  haiku');
    const config = parseConfig(`${text}router: { malformed_event_limit: 1 }\n`, 'test.yaml', env);
    expect(config.models['claude']).toMatchObject({ stream_recovery: 'continue', malformed_event_limit: 5 });
    expect(config.models['claude']?.deployments[0]?.supports_prefill).toBe(false);
    expect(config.models['haiku']?.stream_recovery).toBe('off');
    expect(config.router.malformed_event_limit).toBe(1);
  });

  it('names bad values by path', () => {
    const text = valid
      .replace(
        '    fallbacks: [haiku]',
        '    fallbacks: [haiku]\n    stream_recovery: maybe\n    malformed_event_limit: 0',
      )
      .replace('rpm: 3 }\n  haiku', 'rpm: 3, supports_prefill: sometimes }\n  haiku');
    const problems = problemsOf(`${text}router: { malformed_event_limit: -1 }\n`, env);
    for (const path of [
      'models.claude.stream_recovery:',
      'models.claude.malformed_event_limit:',
      'models.claude.deployments[0].supports_prefill:',
      'router.malformed_event_limit:',
    ]) {
      expect(
        problems.some((problem) => problem.startsWith(path)),
        path,
      ).toBe(true);
    }
  });
});

describe('hedging keys (issue 15)', () => {
  const env = { TEAM_A_KEY: 'sk-team-a-12345' };

  it('accepts hedge_after_ms (ms or p95) and hedge_budget on a group', () => {
    const fixed = valid.replace('    fallbacks: [haiku]', '    fallbacks: [haiku]\n    hedge_after_ms: 800');
    expect(parseConfig(fixed, 'test.yaml', env).models['claude']?.hedge_after_ms).toBe(800);
    const learned = valid.replace(
      '    fallbacks: [haiku]',
      '    fallbacks: [haiku]\n    hedge_after_ms: p95\n    hedge_budget: 0.05',
    );
    expect(parseConfig(learned, 'test.yaml', env).models['claude']).toMatchObject({
      hedge_after_ms: 'p95',
      hedge_budget: 0.05,
    });
  });

  it('names bad values by path', () => {
    const text = valid.replace(
      '    fallbacks: [haiku]',
      '    fallbacks: [haiku]\n    hedge_after_ms: p99\n    hedge_budget: 1.5',
    );
    expect(problemsOf(text, env)).toEqual([
      'models.claude.hedge_after_ms: expected a positive number of ms or "p95"',
      expect.stringMatching(/^models\.claude\.hedge_budget: /),
    ]);
  });
});
