import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, simModels, singleDeploymentGroup } from './support/gateway-config.ts';
import { isReady, startGatewayProcess } from './support/gateway-process.ts';
import { openaiClient, routeHeaders } from './support/sdk-clients.ts';
import { slowNovaLiteWorld, startTestSimulator } from './support/simulator.ts';
import { waitFor } from './support/wait-for.ts';

// Graceful shutdown: SIGTERM during an in-flight stream lets it finish, then the process exits 0.

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startTestSimulator({ seed: 7, world: slowNovaLiteWorld, latencyScale: 1 });
});
afterAll(async () => {
  await sim.close();
});

it('SIGTERM during a stream: no new requests, the stream finishes with its finish reason and usage, exit 0', async () => {
  const gateway = await startGatewayProcess({
    config: simGatewayConfig(sim.url, {
      models: { slow: singleDeploymentGroup('slow', 'a1-us-east-1', simModels.novaLite) },
      server: { shutdown_grace_ms: 20_000 },
    }),
  });
  try {
    const { data, response } = await openaiClient(gateway.url)
      .chat.completions.create({
        model: 'slow',
        messages: [{ role: 'user', content: 'Tell me a story' }],
        max_completion_tokens: 30,
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expect(routeHeaders(response.headers).deployment).toBe('slow');
    let signalled = false;
    let chunksAfterSignal = 0;
    let text = '';
    const finishReasons: string[] = [];
    let completionTokens: number | undefined;
    for await (const chunk of data) {
      if (signalled) chunksAfterSignal += 1;
      text += chunk.choices[0]?.delta.content ?? '';
      const reason = chunk.choices[0]?.finish_reason;
      if (reason) finishReasons.push(reason);
      completionTokens = chunk.usage?.completion_tokens ?? completionTokens;
      if (!signalled && text !== '') {
        gateway.signal('SIGTERM');
        signalled = true;
        // Draining: the gateway stops taking new work while this stream goes on.
        await waitFor(async () => !(await isReady(gateway.url)), { what: 'the gateway to stop being ready' });
      }
    }
    expect(signalled).toBe(true);
    expect(chunksAfterSignal).toBeGreaterThan(1);
    // The stream's own end (the answer's end or the 30-token cap), not a cut.
    expect(finishReasons).toHaveLength(1);
    expect(['stop', 'length']).toContain(finishReasons[0]);
    expect(completionTokens).toBe(sim.invocations().at(-1)?.outputTokens);
    const exit = await gateway.exited;
    expect(exit, gateway.output()).toEqual({ code: 0, signal: null });
    expect(gateway.logLines().some((line) => line['msg'] === 'stopped')).toBe(true);
  } finally {
    await gateway.stop();
  }
});
