/**
 * Issue 15, measured: time to first token (TTFT) p50/p99 of streamed requests to a group of two
 * deployments weighted 9:1, where the minority deployment is healthy (the baseline), hangs (accepts
 * the request, never answers), or sends its first token after `--slow-ms` — with hedging off and on
 * (`hedge_after_ms: p95`). The healthy upstream's first token takes `--ttft-min-ms`..`--ttft-max-ms`
 * (uniform). Extra cost = what the hedges' aborted attempts cost (their input tokens) over what the
 * served answers cost, from the gateway's own metrics. A real `spillway serve` process; the
 * upstream and the load run in this process (their work is tiny next to the latencies measured).
 * `node bench/first-token-tail.ts [--requests 400] [--concurrency 8] [--hedge-budget 0.2] [--port-base 0]`;
 * `npm run bench` runs it after its own table (`--no-first-token-tail` skips it).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { percentile } from './lib/load.ts';
import { freePort, startWithHealth } from './lib/processes.ts';

export interface FirstTokenTailOptions {
  readonly requests: number;
  readonly warmup: number;
  readonly concurrency: number;
  readonly slowMs: number;
  readonly ttftMinMs: number;
  readonly ttftMaxMs: number;
  readonly firstTokenTimeoutMs: number;
  readonly hedgeBudget: number;
  /** First of the ports to use (0: OS-chosen ports). */
  readonly portBase: number;
}

type Behaviour = 'healthy' | 'hang' | 'slow';

interface Scenario {
  readonly name: string;
  readonly minority: Behaviour;
  readonly hedge: boolean;
}

const scenarios: readonly Scenario[] = [
  { name: 'healthy', minority: 'healthy', hedge: false },
  { name: 'hang', minority: 'hang', hedge: false },
  { name: 'hang-hedged', minority: 'hang', hedge: true },
  { name: 'slow', minority: 'slow', hedge: false },
  { name: 'slow-hedged', minority: 'slow', hedge: true },
];

export interface ScenarioResult {
  readonly scenario: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p99VsHealthy: number;
  readonly errors: number;
  readonly hedges: number;
  /** Hedges' aborted attempts per served request: the extra input tokens sent upstream. */
  readonly extraInputPct: number;
  readonly extraCostPct: number;
}

/**
 * ~100 input tokens; the upstream reports 100 in and 200 out (a short answer): a hedge's loser
 * costs its input, a served answer both.
 */
const prompt = 'Tell me about the tail latency of language model gateways. '.repeat(10);

function chunk(content: string | undefined, finish: string | null = null): string {
  const delta = content === undefined ? {} : { content };
  return `data: ${JSON.stringify({
    id: 'chatcmpl-tail',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;
}

/** An OpenAI-style streaming upstream; the model id names the behaviour. */
async function startUpstream(options: FirstTokenTailOptions, port: number): Promise<Server> {
  const answer = (response: ServerResponse): void => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write(chunk('Hello'));
    let sent = 0;
    const timer = setInterval(() => {
      sent += 1;
      if (sent < 8) {
        response.write(chunk(' word'));
        return;
      }
      clearInterval(timer);
      response.write(chunk(undefined, 'stop'));
      response.write(
        `data: ${JSON.stringify({ id: 'chatcmpl-tail', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 100, completion_tokens: 200, total_tokens: 300 } })}\n\n`,
      );
      response.end('data: [DONE]\n\n');
    }, 5);
    response.on('close', () => {
      clearInterval(timer);
    });
  };
  const server = createServer((incoming, response) => {
    const parts: Buffer[] = [];
    incoming.on('data', (part: Buffer) => parts.push(part));
    incoming.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { model: string };
      const behaviour = body.model as Behaviour;
      if (behaviour === 'hang') return;
      const spread = options.ttftMaxMs - options.ttftMinMs;
      const delayMs = behaviour === 'slow' ? options.slowMs : options.ttftMinMs + Math.random() * spread;
      const timer = setTimeout(() => {
        answer(response);
      }, delayMs);
      response.on('close', () => {
        clearTimeout(timer);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

function gatewayYaml(
  options: FirstTokenTailOptions,
  port: number,
  upstreamPort: number,
  dir: string,
): string {
  // A Claude-Sonnet-like price (USD per million tokens): cost shares are those of a real bill.
  const price = '{ input: 3, output: 15 }';
  const groups = scenarios.flatMap((scenario) => [
    `  ${scenario.name}:`,
    '    strategy: weighted',
    ...(scenario.hedge ? ['    hedge_after_ms: p95', `    hedge_budget: ${options.hedgeBudget}`] : []),
    '    deployments:',
    `      - { id: ${scenario.name}-major, provider: upstream, model: healthy, weight: 9, price: ${price} }`,
    `      - { id: ${scenario.name}-minor, provider: upstream, model: ${scenario.minority}, weight: 1, price: ${price} }`,
  ]);
  return [
    'server:',
    `  port: ${port}`,
    '  log_level: warn',
    'providers:',
    `  upstream: { type: openai, base_url: "http://127.0.0.1:${upstreamPort}/v1", api_key: sk-bench-upstream }`,
    'router:',
    `  first_token_timeout_ms: ${options.firstTokenTimeoutMs}`,
    '  timeout_ms: 60000',
    'models:',
    ...groups,
    `database: { path: "${join(dir, 'tail.db')}" }`,
    'telemetry: { metrics: true, access_log: false }',
    '',
  ].join('\n');
}

/** One streamed request; resolves with ms to the first body byte (undefined on an error status). */
async function firstTokenMs(url: string, group: string, agent: Agent): Promise<number | undefined> {
  const started = performance.now();
  const response = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: group,
      stream: true,
      max_tokens: 16,
      messages: [{ role: 'user', content: prompt }],
    }),
  });
  let first: number | undefined;
  for await (const part of response.body) {
    if (first === undefined && (part as Buffer).length > 0) first = performance.now() - started;
  }
  return response.statusCode === 200 ? first : undefined;
}

async function load(url: string, group: string, count: number, concurrency: number): Promise<number[]> {
  const agent = new Agent({ connections: concurrency });
  const times: number[] = [];
  let next = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        const ms = await firstTokenMs(url, group, agent);
        if (ms === undefined) errors += 1;
        else times.push(ms);
      }
    }),
  );
  await agent.close();
  return Object.assign(times, { errors });
}

function metricSum(text: string, name: string, group: string, extra = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) || !line.includes(`group="${group}"`) || !line.includes(extra)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Runs every scenario once; returns one row each. */
export async function measureFirstTokenTail(options: FirstTokenTailOptions): Promise<ScenarioResult[]> {
  const upstreamPort = options.portBase === 0 ? await freePort() : options.portBase;
  const gatewayPort = options.portBase === 0 ? await freePort() : options.portBase + 1;
  const upstream = await startUpstream(options, upstreamPort);
  const dir = mkdtempSync(join(tmpdir(), 'spillway-tail-'));
  const configPath = join(dir, 'tail.yaml');
  writeFileSync(configPath, gatewayYaml(options, gatewayPort, (upstream.address() as AddressInfo).port, dir));
  const gateway = await startWithHealth(
    'gateway',
    ['bin/spillway.js', 'serve', '--config', configPath],
    gatewayPort,
    `http://127.0.0.1:${gatewayPort}/health/ready`,
  );
  const url = `http://127.0.0.1:${gatewayPort}`;
  const rows: ScenarioResult[] = [];
  try {
    let healthyP99 = 0;
    for (const scenario of scenarios) {
      // Warm up: connections, and the latency samples the p95 delay learns from.
      await load(url, scenario.name, options.warmup, options.concurrency);
      const metricsBefore = await (await fetch(`${url}/metrics`)).text();
      const times = await load(url, scenario.name, options.requests, options.concurrency);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const delta = (name: string, extra = ''): number =>
        metricSum(metrics, name, scenario.name, extra) - metricSum(metricsBefore, name, scenario.name, extra);
      const sorted = times.slice().sort((a, b) => a - b);
      const p99 = percentile(sorted, 99);
      if (scenario.name === 'healthy') healthyP99 = p99;
      // The requests' cost includes their hedges' losers (decision 0016): served = total - losers.
      const losers = delta('spillway_hedge_loser_cost_usd_total');
      const served = delta('spillway_cost_usd_total') - losers;
      const hedges =
        delta('spillway_hedges_total', 'outcome="won"') + delta('spillway_hedges_total', 'outcome="lost"');
      rows.push({
        scenario: scenario.name,
        p50Ms: Math.round(percentile(sorted, 50)),
        p99Ms: Math.round(p99),
        p99VsHealthy: Math.round((p99 / healthyP99) * 100) / 100,
        errors: (times as number[] & { errors: number }).errors,
        hedges,
        extraInputPct: Math.round((hedges / Math.max(1, times.length)) * 1000) / 10,
        extraCostPct: served > 0 ? Math.round((losers / served) * 1000) / 10 : 0,
      });
    }
  } finally {
    await gateway.stop();
    await new Promise((resolve) => upstream.close(resolve));
    upstream.closeAllConnections();
  }
  return rows;
}

/** The scenario's table, as printed. */
export function formatFirstTokenTail(
  rows: readonly ScenarioResult[],
  options: FirstTokenTailOptions,
): string {
  const header = `TTFT, ${options.requests} streamed requests per scenario at concurrency ${options.concurrency}; group of 2 deployments weighted 9:1, the minority one healthy / hanging / first token after ${options.slowMs} ms; first_token_timeout_ms ${options.firstTokenTimeoutMs}; hedged: hedge_after_ms p95, hedge_budget ${options.hedgeBudget}`;
  const lines = rows.map(
    (row) =>
      `${row.scenario.padEnd(12)} p50 ${String(row.p50Ms).padStart(6)} ms  p99 ${String(row.p99Ms).padStart(6)} ms  (${row.p99VsHealthy.toFixed(2)}x healthy)  hedges ${String(row.hedges).padStart(4)}  extra input ${row.extraInputPct.toFixed(1)}%  extra cost ${row.extraCostPct.toFixed(1)}%  errors ${row.errors}`,
  );
  return [header, ...lines].join('\n');
}

export const defaultFirstTokenTailOptions: FirstTokenTailOptions = {
  requests: 400,
  warmup: 60,
  concurrency: 8,
  slowMs: 3000,
  ttftMinMs: 200,
  ttftMaxMs: 400,
  firstTokenTimeoutMs: 5000,
  hedgeBudget: 0.2,
  portBase: 0,
};

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      'slow-ms': { type: 'string' },
      'hedge-budget': { type: 'string' },
      'port-base': { type: 'string' },
    },
  });
  const defaults = defaultFirstTokenTailOptions;
  const options: FirstTokenTailOptions = {
    ...defaults,
    requests: Number(values.requests ?? defaults.requests),
    warmup: Number(values.warmup ?? defaults.warmup),
    concurrency: Number(values.concurrency ?? defaults.concurrency),
    slowMs: Number(values['slow-ms'] ?? defaults.slowMs),
    hedgeBudget: Number(values['hedge-budget'] ?? defaults.hedgeBudget),
    portBase: Number(values['port-base'] ?? defaults.portBase),
  };
  const rows = await measureFirstTokenTail(options);
  console.log(formatFirstTokenTail(rows, options));
}
