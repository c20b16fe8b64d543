/**
 * Issue 15's stream recovery, measured: the simulator cuts a share of the streams of one Bedrock
 * account after a few events (cut_stream); a group with `stream_recovery: continue` and one without
 * (the same two deployments of one model, ordered) each serve the same streamed requests. Reports the
 * share of complete answers (text equal to the unbroken answer), time to the last token p50/p99,
 * and the upstream tokens spent per request (what the continuations cost).
 * `node bench/stream-recovery.ts [--requests 100] [--cut-rate 0.3] [--concurrency 4] [--latency-scale 0.05]`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulator } from '../src/simulator/start-simulator.ts';
import { percentile } from './lib/load.ts';
import { freePort, startWithHealth } from './lib/processes.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '100' },
    'cut-rate': { type: 'string', default: '0.3' },
    concurrency: { type: 'string', default: '4' },
    'latency-scale': { type: 'string', default: '0.05' },
  },
});
const model = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const accounts = [
  { id: '111111111111', key: 'AKIASIMACCOUNT1EXAMPLE', secret: 'sim-secret-account-1' },
  { id: '222222222222', key: 'AKIASIMACCOUNT2EXAMPLE', secret: 'sim-secret-account-2' },
] as const;

function config(port: number, simUrl: string, databasePath: string): string {
  const provider = (account: (typeof accounts)[number]) => ({
    type: 'bedrock',
    region: 'us-east-1',
    endpoint: simUrl,
    account: account.id,
    credentials: { access_key_id: account.key, secret_access_key: account.secret },
  });
  const group = (recovery: 'continue' | 'off', name: string) => ({
    strategy: 'ordered',
    stream_recovery: recovery,
    retries: 0,
    deployments: [
      { id: `${name}-a1`, provider: 'a1', model, price: { input: 3, output: 15 } },
      { id: `${name}-a2`, provider: 'a2', model, price: { input: 3, output: 15 } },
    ],
  });
  // JSON is YAML.
  return JSON.stringify({
    server: { port, log_level: 'warn' },
    providers: { a1: provider(accounts[0]), a2: provider(accounts[1]) },
    models: { recover: group('continue', 'recover'), plain: group('off', 'plain') },
    database: { path: databasePath },
  });
}

/** One streamed request: its text, whether it ended normally, and the time to its last byte. */
async function streamOnce(url: string, group: string): Promise<{ text: string; ok: boolean; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: group,
      stream: true,
      messages: [{ role: 'user', content: 'Tell me about rivers.' }],
    }),
  });
  const body = await response.text();
  let text = '';
  let ok = false;
  for (const line of body.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const data = line.slice(6);
    if (data === '[DONE]') continue;
    const chunk = JSON.parse(data) as {
      error?: unknown;
      choices?: { delta?: { content?: string }; finish_reason?: string | null }[];
    };
    if (chunk.error !== undefined) ok = false;
    const choice = chunk.choices?.[0];
    text += choice?.delta?.content ?? '';
    if (typeof choice?.finish_reason === 'string') ok = true;
  }
  return { text, ok: ok && response.status === 200, ms: performance.now() - started };
}

async function run(
  url: string,
  group: string,
  expected: string,
): Promise<{ complete: number; ms: number[] }> {
  const total = Number(values.requests);
  let next = 0;
  let complete = 0;
  const ms: number[] = [];
  const worker = async (): Promise<void> => {
    while (next < total) {
      next += 1;
      const result = await streamOnce(url, group);
      if (result.ok && result.text === expected) complete += 1;
      ms.push(result.ms);
    }
  };
  await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
  return { complete, ms: ms.sort((a, b) => a - b) };
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'spillway-recovery-'));
  const sim = await startSimulator({ port: 0, latencyScale: Number(values['latency-scale']) });
  const port = await freePort();
  const configPath = join(directory, 'recovery.yaml');
  writeFileSync(configPath, config(port, sim.url, join(directory, 'recovery.db')));
  const gateway = await startWithHealth(
    'gateway',
    ['bin/spillway.js', 'serve', '--config', configPath],
    port,
    `http://127.0.0.1:${port}/health/ready`,
  );
  try {
    const url = `http://127.0.0.1:${port}`;
    const baseline = await streamOnce(url, 'plain');
    if (!baseline.ok) throw new Error('the unbroken answer failed');
    sim.addFault({
      kind: 'cut_stream',
      account: accounts[0].id,
      after_events: 6,
      rate: Number(values['cut-rate']),
    });
    const rows: string[] = [];
    for (const group of ['plain', 'recover']) {
      const before = sim.invocations().length;
      const { complete, ms } = await run(url, group, baseline.text);
      const calls = sim.invocations().slice(before);
      const tokens = calls.reduce((sum, call) => sum + call.inputTokens + call.outputTokens, 0);
      const requests = Number(values.requests);
      rows.push(
        [
          group === 'recover' ? 'stream_recovery: continue' : 'stream_recovery: off',
          `${((100 * complete) / requests).toFixed(1)}% complete`,
          `last token p50 ${percentile(ms, 50).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms`,
          `${calls.length} upstream calls`,
          `${(tokens / requests).toFixed(1)} upstream tokens/request`,
        ].join(' | '),
      );
    }
    console.log(
      `stream recovery: ${values.requests} streams per mode, ${values['cut-rate']} of account 1's streams cut after 6 events`,
    );
    for (const row of rows) console.log(row);
  } finally {
    await gateway.stop();
    await sim.close();
  }
}

await main();
