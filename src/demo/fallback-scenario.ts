import {
  demoKey,
  firstAccountProvider,
  scenarioConfig,
  simModels,
  type ConfigDocument,
} from './demo-config.ts';
import type { DemoContext } from './demo-context.ts';
import { Expectations, renderVerdict, type ScenarioOutcome } from './demo-report.ts';
import { sendRequests, type RequestOutcome } from './send-requests.ts';

/**
 * Scenario 3, model fallback: group `claude-sonnet-fallback-demo` (one deployment, rpm 3) falls back to
 * `claude-haiku-fallback-demo` (one deployment, rpm 25); 10 concurrent requests: 3 served by the
 * primary, 7 by the fallback, none failed. With a running gateway (`--gateway`), it must have been
 * started with `spillway demo --print-config fallback` and not have served these groups in the last
 * minute (the limits are the gateway's).
 */

export const fallbackGroup = 'claude-sonnet-fallback-demo';
export const fallbackTargetGroup = 'claude-haiku-fallback-demo';

/** The numbers of the scenario. */
export interface FallbackOptions {
  /** rpm of the primary deployment (default 3). */
  readonly primaryRpm?: number;
  /** rpm of the fallback deployment (default 25). */
  readonly fallbackRpm?: number;
  /** Concurrent requests (default 10). */
  readonly requests?: number;
}

/** What the scenario saw. */
export interface FallbackResult extends ScenarioOutcome {
  readonly total: number;
  readonly successful: number;
  readonly failed: number;
  /** Served by the primary group. */
  readonly primary: number;
  /** Served by the fallback group. */
  readonly fallback: number;
  readonly requests: readonly RequestOutcome[];
}

function settings(options: FallbackOptions) {
  return {
    primaryRpm: options.primaryRpm ?? 3,
    fallbackRpm: options.fallbackRpm ?? 25,
    requests: options.requests ?? 10,
  };
}

/** The gateway config of the scenario. */
export function fallbackConfig(options: FallbackOptions = {}): ConfigDocument {
  const { primaryRpm, fallbackRpm } = settings(options);
  const provider = firstAccountProvider('us-east-1');
  return scenarioConfig({
    [fallbackGroup]: {
      description: `Claude Sonnet at rpm ${primaryRpm}; overflow goes to Claude Haiku`,
      fallbacks: [fallbackTargetGroup],
      deployments: [{ id: 'sonnet-fallback-primary', provider, model: simModels.sonnetUs, rpm: primaryRpm }],
    },
    [fallbackTargetGroup]: {
      description: `Claude Haiku at rpm ${fallbackRpm}, the fallback of ${fallbackGroup}`,
      deployments: [{ id: 'haiku-fallback', provider, model: simModels.haikuUs, rpm: fallbackRpm }],
    },
  });
}

/** Runs the scenario: sends the requests at once, prints the summary line, checks the exact counts. */
export async function runFallbackScenario(
  context: DemoContext,
  options: FallbackOptions = {},
): Promise<FallbackResult> {
  const { primaryRpm, fallbackRpm, requests } = settings(options);
  const { out } = context;
  out.write(
    `\n== fallback: ${requests} concurrent requests to ${fallbackGroup} ` +
      `(rpm ${primaryRpm}, falls back to ${fallbackTargetGroup} at rpm ${fallbackRpm})\n`,
  );
  await context.simulator.reset();
  const gateway = await context.openGateway(fallbackConfig(options), 'fallback');
  let outcomes: RequestOutcome[];
  try {
    outcomes = await sendRequests(context, {
      gatewayUrl: gateway.url,
      apiKey: demoKey,
      model: fallbackGroup,
      count: requests,
      sender: 'request',
    });
  } finally {
    await gateway.close();
  }
  const served = outcomes.filter((outcome) => outcome.status === 200);
  const primary = served.filter((outcome) => outcome.group === fallbackGroup).length;
  const fallback = served.filter((outcome) => outcome.group === fallbackTargetGroup).length;
  const failed = requests - served.length;
  out.write(
    `\nTotal Requests: ${requests}   Successful: ${served.length}   Failed: ${failed}   ` +
      `Primary Model Used: ${primary}   Fallback Triggered: ${fallback}\n`,
  );

  const expectedPrimary = Math.min(requests, primaryRpm);
  const expectedFallback = Math.min(requests - expectedPrimary, fallbackRpm);
  const expect = new Expectations();
  expect.equal('primary model used', primary, expectedPrimary);
  expect.equal('fallback triggered', fallback, expectedFallback);
  expect.equal('failed', failed, requests - expectedPrimary - expectedFallback);
  const result: FallbackResult = {
    scenario: 'fallback',
    ok: expect.ok,
    problems: expect.problems,
    total: requests,
    successful: served.length,
    failed,
    primary,
    fallback,
    requests: outcomes,
  };
  out.write(renderVerdict(result));
  return result;
}
