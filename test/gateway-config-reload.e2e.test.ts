import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import {
  simGatewayConfig,
  simModels,
  singleDeploymentGroup,
  type GatewayConfigInput,
} from './support/gateway-config.ts';
import { configText, runSpillway, startGatewayProcess } from './support/gateway-process.ts';
import { openaiClient } from './support/sdk-clients.ts';
import { startTestSimulator } from './support/simulator.ts';

// Issue 2 acceptance: a broken config is rejected with one line per problem naming its path, by
// `spillway config check` and on SIGHUP (where the old config keeps serving); a good one on SIGHUP
// takes effect.

const teamKey = 'sk-team-key-0001';
let sim: RunningSimulator;
let directory: string;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 4 });
  directory = await mkdtemp(join(tmpdir(), 'spillway-config-check-'));
});
afterAll(async () => {
  await sim.close();
  await rm(directory, { recursive: true, force: true });
});

function configWith(models: GatewayConfigInput['models']): GatewayConfigInput {
  return simGatewayConfig(sim.url, { models: models ?? {}, tenants: { team: { keys: [teamKey] } } });
}

describe('broken configuration', () => {
  const brokenSchema = `
server:
  port: -1
providers:
  east: { type: bedrock, region: us-east-1 }
models:
  claude:
    deployments:
      - { id: a, provider: east, model: x, rpm: 0 }
  other:
    strategy: fastest
    deployments: []
`;
  const brokenReferences = `
providers:
  east: { type: bedrock, region: us-east-1 }
  west: { type: bedrock, region: us-west-2 }
models:
  claude:
    fallbacks: [nothing]
    deployments:
      - { id: a, provider: east2, model: x }
      - { id: a, provider: west, model: x }
`;

  it.each([
    {
      name: 'schema problems',
      text: brokenSchema,
      paths: [
        'server.port',
        'models.claude.deployments[0].rpm',
        'models.other.strategy',
        'models.other.deployments',
      ],
      mentions: 'expected one of',
    },
    {
      name: 'reference problems',
      text: brokenReferences,
      paths: [
        'models.claude.deployments[0].provider',
        'models.claude.deployments[1].id',
        'models.claude.fallbacks[0]',
      ],
      mentions: 'unknown provider "east2" (known: east, west)',
    },
  ])(
    '`spillway config check` rejects $name: exit 1, one line per problem naming its path',
    async ({ name, text, paths, mentions }) => {
      const file = join(directory, `${name.replace(/\W/g, '-')}.yaml`);
      await writeFile(file, text);
      const result = await runSpillway(['config', 'check', file]);
      expect(result.code).toBe(1);
      const problemLines = result.stderr
        .split('\n')
        .filter((line) => line.startsWith('  '))
        .map((line) => line.trim());
      expect(problemLines.map((line) => line.slice(0, line.indexOf(':')))).toEqual(paths);
      expect(result.stderr).toContain(mentions);
    },
  );

  it('`spillway config check` accepts a good file: exit 0', async () => {
    const file = join(directory, 'good.yaml');
    await writeFile(
      file,
      configText(configWith({ gpt: singleDeploymentGroup('gpt', 'openai', simModels.gpt) })),
    );
    const result = await runSpillway(['config', 'check', file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('ok');
  });

  it('SIGHUP with a bad config keeps the old one serving; with a good one, the new one takes effect', async () => {
    const gpt = singleDeploymentGroup('gpt', 'openai', simModels.gpt);
    const gateway = await startGatewayProcess({ config: configWith({ gpt }) });
    try {
      const client = openaiClient(gateway.url, teamKey);
      const modelIds = async (): Promise<string[]> =>
        (await client.models.list()).data.map((model) => model.id).sort();
      expect(await modelIds()).toEqual(['gpt']);

      let since = gateway.logLines().length;
      await gateway.writeConfig(brokenReferences);
      gateway.signal('SIGHUP');
      const rejected = await gateway.waitForLog(
        (line) => String(line['msg']).startsWith('configuration rejected'),
        { since },
      );
      expect(JSON.stringify(rejected)).toContain('unknown provider');
      const stillServed = await client.chat.completions.create({
        model: 'gpt',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(stillServed.choices[0]?.finish_reason).toBe('stop');
      expect(await modelIds()).toEqual(['gpt']);

      since = gateway.logLines().length;
      await gateway.writeConfig(
        configWith({ gpt, claude: singleDeploymentGroup('claude', 'anthropic', simModels.claudeDirect) }),
      );
      gateway.signal('SIGHUP');
      await gateway.waitForLog((line) => line['msg'] === 'configuration reloaded', { since });
      expect(await modelIds()).toEqual(['claude', 'gpt']);
      const served = await client.chat.completions
        .create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      expect(served.response.headers.get('x-spillway-deployment')).toBe('claude');
    } finally {
      expect((await gateway.stop()).code).toBe(0);
    }
  });

  it('refuses a reload that leaves no models or drops keys, and names what needs a restart', async () => {
    const gpt = singleDeploymentGroup('gpt', 'openai', simModels.gpt);
    const gateway = await startGatewayProcess({ config: configWith({ gpt }) });
    try {
      const client = openaiClient(gateway.url, teamKey);
      const modelIds = async (): Promise<string[]> =>
        (await client.models.list()).data.map((model) => model.id).sort();
      const keylessStatus = async (): Promise<number> =>
        (
          await fetch(`${gateway.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }),
          })
        ).status;
      const reload = async (text: string, expected: (message: string) => boolean) => {
        const since = gateway.logLines().length;
        await gateway.writeConfig(text);
        gateway.signal('SIGHUP');
        return gateway.waitForLog((line) => expected(String(line['msg'])), { since });
      };
      expect(await keylessStatus()).toBe(401);

      // an empty file: rejected, models and keys as they were
      const empty = await reload('', (message) => message.startsWith('configuration rejected'));
      expect(empty['msg']).toContain('models: the new file has no model groups');
      expect(empty['msg']).toContain('server.allow_anonymous: true');
      expect(await modelIds()).toEqual(['gpt']);
      expect(await keylessStatus()).toBe(401);

      // models kept, tenants gone: keys would stop being required, so rejected
      const open = simGatewayConfig(sim.url, { models: { gpt } });
      const dropped = await reload(configText(open), (message) =>
        message.startsWith('configuration rejected'),
      );
      expect(dropped['msg']).toContain('tenants: the new file leaves no tenants or keys');
      expect(await keylessStatus()).toBe(401);

      // restart-only keys changed beside an applied change: named, old values kept, the rest applied
      const claude = singleDeploymentGroup('claude', 'anthropic', simModels.claudeDirect);
      const moved = configWith({ gpt, claude });
      const notApplied = await reload(
        configText({
          ...moved,
          server: { ...moved.server, port: 1, max_body_bytes: 1000 },
          database: { path: './elsewhere.db' },
          state: { redis_url: 'redis://127.0.0.1:1' },
        }),
        (message) => message.startsWith('not applied until restart'),
      );
      expect(notApplied['msg']).toBe(
        'not applied until restart: server.port, server.max_body_bytes, state.redis_url, database.path; old value kept',
      );
      await gateway.waitForLog((line) => line['msg'] === 'configuration reloaded', {
        since: gateway.logLines().indexOf(notApplied),
      });
      expect(await modelIds()).toEqual(['claude', 'gpt']);
      // still on its port, still taking bodies over 1000 bytes, still on its SQLite file
      const long = await client.chat.completions.create({
        model: 'gpt',
        messages: [{ role: 'user', content: 'x'.repeat(5000) }],
      });
      expect(long.choices[0]?.finish_reason).toBe('stop');

      // dropping keys on purpose: applied
      await reload(
        configText(simGatewayConfig(sim.url, { models: { gpt }, server: { allow_anonymous: true } })),
        (message) => message === 'configuration reloaded',
      );
      expect(await keylessStatus()).toBe(200);
    } finally {
      expect((await gateway.stop()).code).toBe(0);
    }
  });
});
