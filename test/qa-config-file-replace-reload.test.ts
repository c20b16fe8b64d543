import { rename, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, simModels, singleDeploymentGroup } from './support/gateway-config.ts';
import { configText, startGatewayProcess } from './support/gateway-process.ts';
import { startTestSimulator } from './support/simulator.ts';

// README: `spillway serve` "reloads its config on SIGHUP and on file change". Editors (vim,
// sed -i), config management and Kubernetes ConfigMaps change a file by writing a new one and
// renaming it over the old: every such replacement must be picked up, not only the first.

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startTestSimulator({ seed: 5 });
});
afterAll(async () => {
  await sim.close();
});

function configWithGroups(...names: string[]): string {
  const models = Object.fromEntries(
    names.map((name) => [name, singleDeploymentGroup(name, 'openai', simModels.gpt)]),
  );
  return configText(simGatewayConfig(sim.url, { models }));
}

describe('config file replaced by rename', () => {
  it('reloads on each replacement, without SIGHUP', async () => {
    const gateway = await startGatewayProcess({ config: configWithGroups('one') });
    try {
      const replace = async (text: string): Promise<void> => {
        const next = `${gateway.configPath}.new`;
        await writeFile(next, text);
        await rename(next, gateway.configPath);
      };
      const modelIds = async (): Promise<string[]> => {
        const response = await fetch(`${gateway.url}/v1/models`);
        const body = (await response.json()) as { data: { id: string }[] };
        return body.data.map((model) => model.id).sort();
      };
      for (const groups of [['one', 'two'], ['one', 'two', 'three'], ['four']]) {
        const since = gateway.logLines().length;
        await replace(configWithGroups(...groups));
        await gateway.waitForLog((line) => line['msg'] === 'configuration reloaded', {
          since,
          timeoutMs: 5000,
        });
        expect(await modelIds()).toEqual([...groups].sort());
      }
    } finally {
      expect((await gateway.stop()).code).toBe(0);
    }
  });
});
