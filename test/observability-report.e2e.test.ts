import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsConfig, runAccountsScenario, type AccountsResult } from '../src/demo/accounts-scenario.ts';
import { crisConfig, runCrisScenario, type CrisResult } from '../src/demo/cris-scenario.ts';
import { usRegions } from '../src/demo/demo-config.ts';
import type { ScenarioName } from '../src/demo/demo-scenarios.ts';
import type { RequestOutcome } from '../src/demo/send-requests.ts';
import type { InvocationRecord } from '../src/simulator/invocation-log.ts';
import { startSimulator, type RunningSimulator } from '../src/simulator/start-simulator.ts';
import { recordingSimulator } from './support/observability/recording-simulator.ts';
import {
  countsOf,
  reportJsonSchema,
  tableCounts,
  type ReportJson,
} from './support/observability/report-output.ts';
import {
  runReportCommand,
  scenarioContext,
  startScenarioGateway,
  waitForSpendRecords,
} from './support/observability/scenario-gateway.ts';
import { deploymentOf, deploymentTargets, tally } from './support/observability/simulator-deployments.ts';

/**
 * Issue 7: "spillway report after the demo scenarios prints the per-region and per-deployment tables
 * that agree with the simulator's invocation log". Each scenario runs (the src/demo module, OpenAI
 * SDK) against its own `spillway serve` process started with the config `spillway demo
 * --print-config NAME` prints plus an admin key, in front of one in-process simulator; then
 * `spillway report --json` and `spillway report` run as processes against that gateway.
 */

interface ScenarioRun {
  /** What the client saw, request by request (headers of successes). */
  readonly requests: readonly RequestOutcome[];
  /** Every simulator invocation of the scenario, across its resets. */
  readonly invocations: readonly InvocationRecord[];
  readonly report: ReportJson;
  /** The text report (tables). */
  readonly text: string;
}

let simulator: RunningSimulator;
const runs = new Map<ScenarioName, ScenarioRun>();
let cris: CrisResult;
let accounts: AccountsResult;
const cleanups: (() => Promise<unknown>)[] = [];

async function runScenario<R extends { readonly ok: boolean; readonly problems: readonly string[] }>(
  name: ScenarioName,
  run: (
    context: Parameters<typeof runCrisScenario>[0],
  ) => Promise<R & { readonly requests: readonly RequestOutcome[] }>,
): Promise<R> {
  const gateway = await startScenarioGateway(name, simulator.url);
  cleanups.push(() => gateway.stop());
  const recorder = recordingSimulator(simulator);
  const out: string[] = [];
  const result = await run(scenarioContext(gateway, recorder, out));
  if (!result.ok) throw new Error(`scenario ${name}: ${result.problems.join('; ')}\n${out.join('')}`);
  await waitForSpendRecords(gateway.url, result.requests.length);
  const report = reportJsonSchema.parse(JSON.parse(await runReportCommand(gateway.url, true)));
  const text = await runReportCommand(gateway.url, false);
  runs.set(name, { requests: result.requests, invocations: recorder.all(), report, text });
  await gateway.stop();
  return result;
}

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, latencyScale: 0 });
  cleanups.push(() => simulator.close());
  cris = await runScenario('cris', (context) => runCrisScenario(context));
  accounts = await runScenario('accounts', (context) => runAccountsScenario(context));
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function scenarioRun(name: ScenarioName): ScenarioRun {
  const run = runs.get(name);
  if (run === undefined) throw new Error(`scenario ${name} did not run`);
  return run;
}

const served = (run: ScenarioRun) => run.invocations.filter((record) => record.status === 200);

describe.each([
  { name: 'cris' as const, config: crisConfig },
  { name: 'accounts' as const, config: accountsConfig },
])('spillway report after the $name scenario', ({ name, config }) => {
  it('counts every request the client sent, all successful, and every upstream call the simulator logged', () => {
    const run = scenarioRun(name);
    expect(run.report.total).toBe(run.requests.length);
    expect(run.requests.every((request) => request.status === 200)).toBe(true);
    expect(run.report.success).toBe(run.requests.length);
    expect(run.report.failed).toBe(0);
    // Throttled calls (the outage runs) are attempts too: the report's total equals the log's length.
    expect(run.report.attempts).toBe(run.invocations.length);
  });

  it('has a per-deployment table equal to the simulator log (successful calls by deployment)', () => {
    const run = scenarioRun(name);
    const deploymentFor = deploymentOf(deploymentTargets(config()));
    const fromLog = tally(served(run), deploymentFor);
    expect(countsOf(run.report.byDeployment)).toEqual(fromLog);
    expect(tally(run.requests, (request) => request.deployment ?? '?')).toEqual(fromLog);
    expect(tableCounts(run.text, 'Deployment')).toEqual(fromLog);
  });

  it('has a per-account table equal to the simulator log (successful calls by account)', () => {
    const run = scenarioRun(name);
    const fromLog = tally(served(run), (record) => record.accountId);
    expect(countsOf(run.report.byAccount)).toEqual(fromLog);
    expect(tableCounts(run.text, 'Account')).toEqual(fromLog);
    expect(tableCounts(run.text, 'Account', 2)).toEqual(fromLog); // Success column
  });

  it('has a per-region table equal to the x-spillway-region headers and to the source regions of the log', () => {
    const run = scenarioRun(name);
    // The gateway knows each deployment's source region only (the region its provider calls), which
    // is what it sends in x-spillway-region and what the report counts. For a cross-region profile
    // the region that served the call is Bedrock's choice and appears only in the simulator's log
    // (inferenceRegion), as in AWS (protocols.md 1.9): compared separately below.
    const fromHeaders = tally(run.requests, (request) => request.region ?? '?');
    expect(countsOf(run.report.byRegion)).toEqual(fromHeaders);
    expect(countsOf(run.report.byRegion)).toEqual(tally(served(run), (record) => record.region));
    expect(tableCounts(run.text, 'Region')).toEqual(fromHeaders);
  });
});

describe('the regions only the simulator knows', () => {
  it('cris: the profile requests were served in the profile regions, counted by the log alone', () => {
    const run = scenarioRun('cris');
    const profile = served(run).filter((record) => record.modelId.startsWith('us.'));
    const inferenceRegions = tally(profile, (record) => record.inferenceRegion ?? '?');
    expect(inferenceRegions).toEqual(
      Object.fromEntries(Object.entries(cris.profileRegions).sort(([a], [b]) => a.localeCompare(b))),
    );
    expect(Object.keys(inferenceRegions).every((region) => usRegions.some((us) => us === region))).toBe(true);
    expect(profile.every((record) => record.region === 'us-east-1')).toBe(true);
    // On-demand deployments are served where they are called: the source region is the serving one.
    const onDemand = served(run).filter((record) => !record.modelId.startsWith('us.'));
    expect(onDemand.every((record) => record.inferenceRegion === record.region)).toBe(true);
  });

  it('accounts: the exhausted account served nothing in the second run; the report counts both runs', () => {
    const run = scenarioRun('accounts');
    const exhausted = accounts.exhausted.accounts.find((row) => row.success === 0);
    expect(exhausted?.total).toBeGreaterThan(0);
    const healthyShare = accounts.healthy.accounts.find((row) => row.account === exhausted?.account);
    expect(countsOf(run.report.byAccount)[exhausted?.account ?? '?']).toBe(healthyShare?.success);
  });
});
