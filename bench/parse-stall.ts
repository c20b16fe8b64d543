/**
 * Issue 12 item 1, measured: how long one hostile-but-legal body blocks the gateway's event loop.
 * A gateway (in front of the fast upstream) gets one request of `--messages` one-character user
 * messages (40,000 by default: a 1.2 MB body), for OpenAI chat and then for Anthropic Messages;
 * meanwhile GET /health/live is probed every 5 ms on its own connection. The figure is the longest
 * wait of a probe, and the status and time of the big request.
 * `node bench/parse-stall.ts [--messages 40000] [--rounds 3]`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { gatewayConfig, tenantKey } from './lib/gateway-config.ts';
import { freePort, startListening, startWithHealth, type BenchProcess } from './lib/processes.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '40000' },
    rounds: { type: 'string', default: '3' },
  },
});
const count = Number(values.messages);

function bigBody(dialect: 'openai' | 'anthropic'): string {
  const messages = Array.from({ length: count }, () => ({ role: 'user', content: 'x' }));
  return JSON.stringify(
    dialect === 'openai'
      ? { model: 'bench', messages, max_tokens: 8 }
      : { model: 'bench', max_tokens: 8, messages },
  );
}

interface StallResult {
  readonly status: number;
  readonly requestMs: number;
  readonly longestProbeMs: number;
  readonly probes: number;
}

async function measure(url: string, path: string, body: string): Promise<StallResult> {
  const probeAgent = new Agent({ connections: 1 });
  let done = false;
  let longest = 0;
  let probes = 0;
  const probing = (async () => {
    while (!done) {
      const started = performance.now();
      const answer = await request(`${url}/health/live`, { dispatcher: probeAgent });
      await answer.body.dump();
      longest = Math.max(longest, performance.now() - started);
      probes += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  // Let the probe loop settle on a warm connection first.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = performance.now();
  const answer = await request(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tenantKey}` },
    body,
  });
  await answer.body.dump();
  const requestMs = performance.now() - started;
  // One more probe after the answer, so a stall that outlasts the request is counted too.
  await new Promise((resolve) => setTimeout(resolve, 30));
  done = true;
  await probing;
  await probeAgent.close();
  return { status: answer.statusCode, requestMs, longestProbeMs: longest, probes };
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'spillway-parse-stall-'));
  const processes: BenchProcess[] = [];
  try {
    const upstream = await startListening('upstream', ['bench/fast-upstream.ts']);
    processes.push(upstream);
    const port = await freePort();
    const configPath = join(directory, 'stall.yaml');
    writeFileSync(
      configPath,
      gatewayConfig({
        port,
        upstreamPort: upstream.port,
        databasePath: join(directory, 'stall.db'),
        redis: false,
      }).replace('  log_level: info', '  log_level: warn'),
    );
    const gateway = await startWithHealth(
      'gateway',
      ['bin/spillway.js', 'serve', '--config', configPath],
      port,
      `http://127.0.0.1:${port}/health/ready`,
    );
    processes.push(gateway);
    const url = `http://127.0.0.1:${port}`;
    for (const [dialect, path] of [
      ['openai', '/v1/chat/completions'],
      ['anthropic', '/v1/messages'],
    ] as const) {
      const body = bigBody(dialect);
      for (let round = 0; round < Number(values.rounds); round += 1) {
        const result = await measure(url, path, body);
        console.log(
          `${dialect} ${count} messages (${(body.length / 1e6).toFixed(2)} MB): status ${result.status}, ` +
            `request ${result.requestMs.toFixed(0)} ms, longest /health/live wait ${result.longestProbeMs.toFixed(0)} ms ` +
            `(${result.probes} probes)`,
        );
      }
    }
  } finally {
    for (const process of processes.reverse()) await process.stop();
  }
}

await main();
