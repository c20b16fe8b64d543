import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, simModels, singleDeploymentGroup } from './support/gateway-config.ts';
import { startGatewayProcess } from './support/gateway-process.ts';
import { slowNovaLiteWorld, startTestSimulator } from './support/simulator.ts';
import { waitFor } from './support/wait-for.ts';
import { metricSum, pinnedConnections, refused, send } from './support/worker-connections.ts';

// `spillway serve --workers 4` as a process: SIGTERM drains every worker (a slow request in flight
// on each of the four completes; new connections are refused) and the process exits 0.

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startTestSimulator({ seed: 7, world: slowNovaLiteWorld, latencyScale: 1 });
});
afterAll(async () => {
  await sim.close();
});

it('a file change reaches every worker; a refused one (no models) is logged once and the old config serves on every worker', async () => {
  const models = { slow: singleDeploymentGroup('slow', 'a1-us-east-1', simModels.novaLite) };
  const gateway = await startGatewayProcess({ config: simGatewayConfig(sim.url, { models }), workers: 4 });
  const pins = await pinnedConnections(gateway.url, 4, 1);
  const agents = [...pins.byWorker.values()].map(([agent]) => agent ?? false);
  const statusesOf = async (model: string) =>
    Promise.all(
      agents.map(async (agent) => {
        const answer = await send(gateway.url, '/v1/chat/completions', agent, {
          model,
          messages: [{ role: 'user', content: 'Hi' }],
          max_tokens: 1,
        });
        return answer.status;
      }),
    );
  try {
    let since = gateway.logLines().length;
    await gateway.writeConfig(simGatewayConfig(sim.url, { models: {} }));
    await gateway.waitForLog((line) => String(line['msg']).startsWith('configuration rejected'), { since });
    expect(await statusesOf('slow')).toEqual([200, 200, 200, 200]);
    since = gateway.logLines().length;
    await gateway.writeConfig(
      simGatewayConfig(sim.url, {
        models: { ...models, added: singleDeploymentGroup('added', 'a1-us-east-1', simModels.novaLite) },
      }),
    );
    await waitFor(async () => (await statusesOf('added')).every((status) => status === 200), {
      what: 'the added group on every worker',
    });
    const rejected = gateway
      .logLines()
      .filter((line) => String(line['msg']).startsWith('configuration rejected'));
    expect(rejected).toHaveLength(1);
  } finally {
    pins.close();
    await gateway.stop();
  }
});

it('SIGTERM drains every worker: a slow request in flight on each of the 4 completes, new connections are refused, exit 0', async () => {
  const gateway = await startGatewayProcess({
    config: simGatewayConfig(sim.url, {
      models: { slow: singleDeploymentGroup('slow', 'a1-us-east-1', simModels.novaLite) },
      server: { shutdown_grace_ms: 20_000 },
    }),
    workers: 4,
  });
  const pins = await pinnedConnections(gateway.url, 4, 1);
  try {
    expect([...pins.byWorker.keys()].sort()).toEqual([0, 1, 2, 3]);
    const slow = [...pins.byWorker.values()].map(([agent]) =>
      send(gateway.url, '/v1/chat/completions', agent ?? false, {
        model: 'slow',
        messages: [{ role: 'user', content: 'Tell me a story' }],
        max_tokens: 30,
      }),
    );
    // All four are in flight (the merged gauge of the process) before the signal.
    await waitFor(
      async () =>
        metricSum((await send(gateway.url, '/metrics', false)).body, 'spillway_requests_in_flight') === 4,
      { what: '4 requests in flight' },
    );
    gateway.signal('SIGTERM');
    await waitFor(() => refused(gateway.port), { what: 'new connections refused' });
    const answers = await Promise.all(slow);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    for (const answer of answers) {
      expect(
        (JSON.parse(answer.body) as { choices: { finish_reason: string }[] }).choices[0]?.finish_reason,
      ).toBe('length');
    }
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
    expect(gateway.logLines().filter((line) => line['msg'] === 'stopped')).toHaveLength(1);
  } finally {
    pins.close();
    await gateway.stop();
  }
});
