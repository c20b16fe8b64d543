import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAccountsScenario } from '../src/demo/accounts-scenario.ts';
import { runCrisScenario, type CrisOptions } from '../src/demo/cris-scenario.ts';
import { mergeConfigs, renderConfig, usRegions } from '../src/demo/demo-config.ts';
import { inProcessGateways, runningGateway, type DemoContext } from '../src/demo/demo-context.ts';
import { configFor, runDemo } from '../src/demo/demo-scenarios.ts';
import { crisConfig } from '../src/demo/cris-scenario.ts';
import { accountsConfig } from '../src/demo/accounts-scenario.ts';
import { fallbackConfig, runFallbackScenario, type FallbackOptions } from '../src/demo/fallback-scenario.ts';
import {
  loadbalanceConfig,
  runLoadbalanceScenario,
  type LoadbalanceOptions,
} from '../src/demo/loadbalance-scenario.ts';
import { quotaConfig, runQuotaScenario, type QuotaOptions } from '../src/demo/quota-scenario.ts';
import { remoteSimulatorControl } from '../src/demo/simulator-control.ts';

/**
 * The five scenarios of docs/scenarios.md end to end: the simulator (`spillway sim`) and
 * gateways (`spillway serve`) run as real processes on ports the OS picks; the demo drives them with
 * the official OpenAI SDK and reads the simulator's invocation log over /_sim. Gateway `standard` serves
 * the exact config `spillway demo --print-config all` prints (the reference numbers); gateway `other`
 * serves the same scenarios with other numbers, so the counts follow the config and not a table.
 */

const repository = join(import.meta.dirname, '..');
const spillway = join(repository, 'bin', 'spillway.js');

interface RunningProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr (for failure messages). */
  readonly stderr: () => string;
}

/** Spawns `node bin/spillway.js ARGS` and resolves with the URL of its first log line that has one. */
async function spawnSpillway(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<RunningProcess> {
  const child = spawn(process.execPath, [spillway, ...args], {
    cwd: repository,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`spillway ${args.join(' ')} did not log its URL in 25 s:\n${stderr}`));
    }, 25_000);
    const lines = createInterface({ input: child.stdout });
    // Keep reading to the end so the pipe never fills and blocks the process.
    lines.on('line', (line) => {
      try {
        const record = JSON.parse(line) as { url?: unknown };
        if (typeof record.url === 'string') {
          clearTimeout(timer);
          resolve(record.url);
        }
      } catch {
        // Not a JSON log line.
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`spillway ${args.join(' ')} exited with ${code}:\n${stderr}`));
    });
  });
  return { url, child, stderr: () => stderr };
}

async function stop(running: RunningProcess | undefined): Promise<void> {
  if (running === undefined || running.child.exitCode !== null) return;
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGTERM');
  const timer = setTimeout(() => running.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const otherNumbers = {
  cris: { requests: 12, outageRegion: 'us-west-2' } satisfies CrisOptions,
  accounts: { requestsPerAccount: 6, exhaustedAccount: '111111111111' },
  fallback: { primaryRpm: 4, fallbackRpm: 25, requests: 9 } satisfies FallbackOptions,
  loadbalance: {
    rpmA: 2,
    rpmB: 4,
    overflowRpm: 2,
    requests: 10,
    canaryWeights: [3, 1],
    canaryRequests: 400,
    canaryTolerance: 0.1,
  } satisfies LoadbalanceOptions,
  quota: {
    tenants: [
      { label: 'A', rpm: 2 },
      { label: 'B', rpm: 7 },
      { label: 'C', rpm: 4 },
    ],
    requestsEach: 6,
  } satisfies QuotaOptions,
};

let directory: string;
let simulator: RunningProcess | undefined;
let standard: RunningProcess | undefined;
let other: RunningProcess | undefined;
let printed = '';

function contextFor(gateway: RunningProcess | undefined): DemoContext {
  if (simulator === undefined || gateway === undefined) throw new Error('processes not started');
  printed = '';
  return {
    simulator: remoteSimulatorControl(simulator.url),
    openGateway: runningGateway(gateway.url),
    out: {
      write: (text) => {
        printed += text;
      },
    },
    progress: true,
  };
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'spillway-scenarios-'));
  simulator = await spawnSpillway(['sim', '--port', '0', '--latency-scale', '0', '--seed', '7']);
  const standardFile = join(directory, 'standard.yaml');
  const otherFile = join(directory, 'other.yaml');
  await writeFile(standardFile, configFor('all'));
  const others = mergeConfigs([
    crisConfig(),
    accountsConfig(),
    fallbackConfig(otherNumbers.fallback),
    loadbalanceConfig(otherNumbers.loadbalance),
    quotaConfig(otherNumbers.quota),
  ]);
  await writeFile(otherFile, renderConfig(others, 'all'));
  const env = { SPILLWAY_SIM_URL: simulator.url };
  // One worker thread each: the expected counts (10 requests to each account) are one round-robin's;
  // worker threads each keep their own rotation, as replicas do.
  [standard, other] = await Promise.all([
    spawnSpillway(['serve', '--config', standardFile, '--port', '0', '--workers', '1'], env),
    spawnSpillway(['serve', '--config', otherFile, '--port', '0', '--workers', '1'], env),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([stop(standard), stop(other), stop(simulator)]);
  await rm(directory, { recursive: true, force: true });
}, 30_000);

describe('fallback', () => {
  it('rpm 3 primary, rpm 25 fallback, 10 concurrent: 3 primary, 7 fallback, 10 of 10', async () => {
    const result = await runFallbackScenario(contextFor(standard));
    expect(result).toMatchObject({ ok: true, successful: 10, failed: 0, primary: 3, fallback: 7 });
    expect(printed).toContain(
      'Total Requests: 10   Successful: 10   Failed: 0   Primary Model Used: 3   Fallback Triggered: 7',
    );
  });

  it('rpm 4 primary, 9 concurrent: 4 primary, 5 fallback', async () => {
    const result = await runFallbackScenario(contextFor(other), otherNumbers.fallback);
    expect(result).toMatchObject({ ok: true, successful: 9, failed: 0, primary: 4, fallback: 5 });
  });
});

describe('loadbalance', () => {
  it('rpm 3 + 3, overflow 25, 10 concurrent: 3 + 3 + 4; canary 9:1 near 90/10', async () => {
    const result = await runLoadbalanceScenario(contextFor(standard));
    expect(result.problems).toEqual([]);
    expect(result.perDeployment).toEqual({
      'sonnet-lb-us-profile': 3,
      'sonnet-lb-global-profile': 3,
      'haiku-lb-overflow': 4,
    });
    expect(result.failed).toBe(0);
    const stable = result.canary['gpt-4o-mini-stable'] ?? 0;
    expect(stable + (result.canary['gpt-4o-canary'] ?? 0)).toBe(1000);
    expect(Math.abs(stable - 900)).toBeLessThanOrEqual(40);
  });

  it('rpm 2 + 4, overflow 2, 10 concurrent: 2 + 4 + 2 and two 429s; canary 3:1', async () => {
    const result = await runLoadbalanceScenario(contextFor(other), otherNumbers.loadbalance);
    expect(result.problems).toEqual([]);
    expect(result.perDeployment).toEqual({
      'sonnet-lb-us-profile': 2,
      'sonnet-lb-global-profile': 4,
      'haiku-lb-overflow': 2,
    });
    const refused = result.requests.filter((request) => request.status !== 200);
    expect(refused.map((request) => request.status)).toEqual([429, 429]);
    expect(refused.every((request) => request.retryAfter !== undefined)).toBe(true);
  });
});

describe('quota', () => {
  it('A rpm 3, B and C rpm 10, 5 concurrent each: 3 + 2×429 with Retry-After, 5/5, 5/5', async () => {
    const result = await runQuotaScenario(contextFor(standard));
    expect(result.problems).toEqual([]);
    expect(result.rows.map((row) => [row.consumer, row.type, row.success, row.rateLimited])).toEqual([
      ['A', 'Noisy', 3, 2],
      ['B', 'Normal', 5, 0],
      ['C', 'Normal', 5, 0],
    ]);
    const limited = result.requests.filter((request) => request.status === 429);
    expect(limited.map((request) => request.sender)).toEqual(['A', 'A']);
    for (const request of limited) expect(Number(request.retryAfter)).toBeGreaterThan(0);
    expect(printed).toContain('| A | Noisy | 60% | 5 | 3 | 2 | 2 |');
    expect(printed).toContain('| B | Normal | 100% | 5 | 5 | 0 | 0 |');
  });

  it('A rpm 2, B rpm 7, C rpm 4, 6 each: 2, 6 and 4 served', async () => {
    const result = await runQuotaScenario(contextFor(other), otherNumbers.quota);
    expect(result.problems).toEqual([]);
    expect(result.rows.map((row) => [row.consumer, row.success, row.rateLimited])).toEqual([
      ['A', 2, 4],
      ['B', 6, 0],
      ['C', 4, 2],
    ]);
  });
});

describe('cris', () => {
  it('10 of 10 served through the us profile, every invocation in a us region; the gateway-level group survives a throttled region', async () => {
    const result = await runCrisScenario(contextFor(standard));
    expect(result.problems).toEqual([]);
    expect(result.served).toEqual({ profile: 10, gateway: 10, outage: 10 });
    const regions = Object.keys(result.profileRegions);
    expect(regions.every((region) => usRegions.some((us) => us === region))).toBe(true);
    expect(Object.values(result.profileRegions).reduce((sum, count) => sum + count, 0)).toBe(10);
    expect(result.outageRegions['us-east-2'] ?? 0).toBe(0);
    expect(printed).toContain('| Region | Invocations | Percentage |');
  });

  it('12 requests, us-west-2 throttled', async () => {
    const result = await runCrisScenario(contextFor(other), otherNumbers.cris);
    expect(result.problems).toEqual([]);
    expect(result.served).toEqual({ profile: 12, gateway: 12, outage: 12 });
    expect(result.outageRegions['us-west-2'] ?? 0).toBe(0);
  });
});

describe('accounts', () => {
  it('both accounts used, 20 of 20 served; with account 2 exhausted, account 1 serves all 20', async () => {
    const result = await runAccountsScenario(contextFor(standard));
    expect(result.problems).toEqual([]);
    expect(result.healthy.served).toBe(20);
    expect(result.healthy.accounts.map((row) => row.success)).toEqual([10, 10]);
    expect(result.exhausted.served).toBe(20);
    expect(result.exhausted.accounts.map((row) => row.success)).toEqual([20, 0]);
    expect(result.exhausted.accounts[1]?.failed).toBeGreaterThan(0);
  });

  it('6 per account; with account 1 exhausted, account 2 serves all 12', async () => {
    const result = await runAccountsScenario(contextFor(other), otherNumbers.accounts);
    expect(result.problems).toEqual([]);
    expect(result.exhausted.accounts.map((row) => row.success)).toEqual([0, 12]);
  });
});

describe('the verdict', () => {
  it('is "not as expected" when the gateway does not hold the scenario to its numbers', async () => {
    if (simulator === undefined) throw new Error('simulator not started');
    const control = remoteSimulatorControl(simulator.url);
    const start = inProcessGateways(control);
    let printedHere = '';
    const context: DemoContext = {
      simulator: control,
      // A gateway whose primary allows 5 a minute, driven by a scenario that expects 3.
      openGateway: (_config, scenario) => start(fallbackConfig({ primaryRpm: 5 }), scenario),
      out: { write: (text) => (printedHere += text) },
      progress: false,
    };
    const result = await runFallbackScenario(context, { primaryRpm: 3, requests: 10 });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      'primary model used: 5, expected 3',
      'fallback triggered: 5, expected 7',
    ]);
    expect(printedHere).toContain('Result: NOT as expected (fallback)');
  });

  it('runs scenarios on fresh in-process gateways when no gateway URL is given', async () => {
    if (simulator === undefined) throw new Error('simulator not started');
    let printedHere = '';
    const run = await runDemo(['fallback', 'quota'], {
      simulatorUrl: simulator.url,
      out: { write: (text) => (printedHere += text) },
    });
    expect(run.outcomes.map((outcome) => [outcome.scenario, outcome.ok])).toEqual([
      ['fallback', true],
      ['quota', true],
    ]);
    expect(run.ok).toBe(true);
    expect(printedHere).toContain('| quota | as expected |');
  });

  it('refuses a running gateway that lacks the scenario groups, naming --print-config', async () => {
    if (simulator === undefined) throw new Error('simulator not started');
    const run = runDemo(['fallback'], {
      gatewayUrl: simulator.url,
      simulatorUrl: simulator.url,
      out: { write: () => undefined },
    });
    await expect(run).rejects.toThrow(/--print-config fallback/);
  });
});
