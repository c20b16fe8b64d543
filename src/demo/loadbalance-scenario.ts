import {
  demoKey,
  firstAccountProvider,
  openaiProvider,
  scenarioConfig,
  simModels,
  type ConfigDocument,
} from './demo-config.ts';
import type { DemoContext } from './demo-context.ts';
import { Expectations, percent, renderTable, renderVerdict, type ScenarioOutcome } from './demo-report.ts';
import { countBy, sendRequests, type RequestOutcome } from './send-requests.ts';

/**
 * Scenario 4, load balancing with overflow: group `claude-sonnet-loadbalance-demo` has two
 * deployments (different model ids) at rpm 3 each, weighted shuffle; its fallback group one
 * deployment at rpm 25. 10 concurrent requests: 3 + 3 to the primaries, 4 to the fallback, each told
 * apart by `x-spillway-deployment`. Then a weighted canary, `gpt-canary-demo` at weights 9:1 over
 * 1000 requests, lands within a few percent of 90/10. With a running gateway (`--gateway`), start it
 * with `spillway demo --print-config loadbalance` and do not reuse it within a minute.
 */

export const loadbalanceGroup = 'claude-sonnet-loadbalance-demo';
export const overflowGroup = 'claude-haiku-loadbalance-demo';
export const canaryGroup = 'gpt-canary-demo';
const primaryA = 'sonnet-lb-us-profile';
const primaryB = 'sonnet-lb-global-profile';
const overflowDeployment = 'haiku-lb-overflow';
const stableDeployment = 'gpt-4o-mini-stable';
const canaryDeployment = 'gpt-4o-canary';

/** The numbers of the scenario. */
export interface LoadbalanceOptions {
  /** rpm of the first primary deployment (default 3). */
  readonly rpmA?: number;
  /** rpm of the second primary deployment (default 3). */
  readonly rpmB?: number;
  /** rpm of the overflow deployment (default 25). */
  readonly overflowRpm?: number;
  /** Concurrent requests to the load-balanced group (default 10). */
  readonly requests?: number;
  /** Weights of the stable and canary deployments (default [9, 1]). */
  readonly canaryWeights?: readonly [number, number];
  /** Requests to the canary group (default 1000; 0 skips it). */
  readonly canaryRequests?: number;
  /** Largest accepted distance of the stable share from its weight share (default 0.04). */
  readonly canaryTolerance?: number;
}

/** What the scenario saw. */
export interface LoadbalanceResult extends ScenarioOutcome {
  /** Successes per deployment of the load-balanced requests. */
  readonly perDeployment: Readonly<Record<string, number>>;
  readonly failed: number;
  /** Successes per deployment of the canary requests. */
  readonly canary: Readonly<Record<string, number>>;
  readonly requests: readonly RequestOutcome[];
}

function settings(options: LoadbalanceOptions) {
  return {
    rpmA: options.rpmA ?? 3,
    rpmB: options.rpmB ?? 3,
    overflowRpm: options.overflowRpm ?? 25,
    requests: options.requests ?? 10,
    canaryWeights: options.canaryWeights ?? [9, 1],
    canaryRequests: options.canaryRequests ?? 1000,
    canaryTolerance: options.canaryTolerance ?? 0.04,
  };
}

/** The gateway config of the scenario. */
export function loadbalanceConfig(options: LoadbalanceOptions = {}): ConfigDocument {
  const { rpmA, rpmB, overflowRpm, canaryWeights } = settings(options);
  return scenarioConfig({
    [loadbalanceGroup]: {
      description: 'Two Claude Sonnet profiles, weighted shuffle; overflow to Claude Haiku',
      strategy: 'weighted',
      fallbacks: [overflowGroup],
      deployments: [
        { id: primaryA, provider: firstAccountProvider('us-east-1'), model: simModels.sonnetUs, rpm: rpmA },
        {
          id: primaryB,
          provider: firstAccountProvider('us-west-2'),
          model: simModels.sonnetGlobal,
          rpm: rpmB,
        },
      ],
    },
    [overflowGroup]: {
      description: `Claude Haiku, the overflow of ${loadbalanceGroup}`,
      deployments: [
        {
          id: overflowDeployment,
          provider: firstAccountProvider('us-east-1'),
          model: simModels.haikuUs,
          rpm: overflowRpm,
        },
      ],
    },
    [canaryGroup]: {
      description: 'A weighted canary: most traffic on the stable model, a share on the new one',
      strategy: 'weighted',
      deployments: [
        {
          id: stableDeployment,
          provider: openaiProvider,
          model: simModels.gptMini,
          weight: canaryWeights[0],
        },
        { id: canaryDeployment, provider: openaiProvider, model: simModels.gpt, weight: canaryWeights[1] },
      ],
    },
  });
}

/** Runs the scenario: the load-balanced burst, then the canary; prints both tables. */
export async function runLoadbalanceScenario(
  context: DemoContext,
  options: LoadbalanceOptions = {},
): Promise<LoadbalanceResult> {
  const config = settings(options);
  const { out } = context;
  const expect = new Expectations();
  out.write(
    `\n== loadbalance: ${config.requests} concurrent requests to ${loadbalanceGroup} ` +
      `(${primaryA} rpm ${config.rpmA} + ${primaryB} rpm ${config.rpmB}, overflow rpm ${config.overflowRpm})\n`,
  );
  await context.simulator.reset();
  const gateway = await context.openGateway(loadbalanceConfig(options), 'loadbalance');
  let outcomes: RequestOutcome[];
  let canaryOutcomes: RequestOutcome[] = [];
  try {
    outcomes = await sendRequests(context, {
      gatewayUrl: gateway.url,
      apiKey: demoKey,
      model: loadbalanceGroup,
      count: config.requests,
      sender: 'request',
    });
    if (config.canaryRequests > 0) {
      out.write(
        `\n-- canary: ${config.canaryRequests} requests to ${canaryGroup} ` +
          `(weights ${config.canaryWeights[0]}:${config.canaryWeights[1]}, 50 at a time)\n`,
      );
      canaryOutcomes = await sendRequests(context, {
        gatewayUrl: gateway.url,
        apiKey: demoKey,
        model: canaryGroup,
        count: config.canaryRequests,
        sender: 'canary',
        concurrency: 50,
        progress: false,
      });
    }
  } finally {
    await gateway.close();
  }

  const served = outcomes.filter((outcome) => outcome.status === 200);
  const perDeployment = Object.fromEntries(countBy(served, (outcome) => outcome.deployment ?? '?'));
  const failed = config.requests - served.length;
  const share = (deployment: string) => perDeployment[deployment] ?? 0;
  const rows = [primaryA, primaryB, overflowDeployment].map((deployment) => [
    deployment,
    deployment === overflowDeployment ? overflowGroup : loadbalanceGroup,
    share(deployment),
    percent(share(deployment), config.requests),
  ]);
  out.write('\n' + renderTable(['Deployment', 'Model Group', 'Requests', 'Percentage'], rows));
  out.write(`Total Requests: ${config.requests}   Successful: ${served.length}   Failed: ${failed}\n`);

  const expectedA = Math.min(config.requests, config.rpmA);
  const expectedB = Math.min(config.requests - expectedA, config.rpmB);
  const expectedOverflow = Math.min(config.requests - expectedA - expectedB, config.overflowRpm);
  expect.equal(primaryA, share(primaryA), expectedA);
  expect.equal(primaryB, share(primaryB), expectedB);
  expect.equal(overflowDeployment, share(overflowDeployment), expectedOverflow);
  expect.equal('failed', failed, config.requests - expectedA - expectedB - expectedOverflow);

  const canaryServed = canaryOutcomes.filter((outcome) => outcome.status === 200);
  const canary = Object.fromEntries(countBy(canaryServed, (outcome) => outcome.deployment ?? '?'));
  if (config.canaryRequests > 0) {
    const [stableWeight, canaryWeight] = config.canaryWeights;
    const weightTotal = stableWeight + canaryWeight;
    const weighted: readonly (readonly [string, number])[] = [
      [stableDeployment, stableWeight],
      [canaryDeployment, canaryWeight],
    ];
    const canaryRows = weighted.map(([deployment, weight]) => {
      const count = canary[deployment] ?? 0;
      return [deployment, weight, count, percent(count, config.canaryRequests), percent(weight, weightTotal)];
    });
    out.write('\n' + renderTable(['Deployment', 'Weight', 'Requests', 'Percentage', 'Expected'], canaryRows));
    expect.equal('canary requests served', canaryServed.length, config.canaryRequests);
    const stableShare = (canary[stableDeployment] ?? 0) / config.canaryRequests;
    const expectedShare = stableWeight / weightTotal;
    expect.check(
      Math.abs(stableShare - expectedShare) <= config.canaryTolerance,
      `canary split: stable share ${percent(stableShare, 1)}, expected ${percent(expectedShare, 1)} ± ${percent(config.canaryTolerance, 1)}`,
    );
  }

  const result: LoadbalanceResult = {
    scenario: 'loadbalance',
    ok: expect.ok,
    problems: expect.problems,
    perDeployment,
    failed,
    canary,
    requests: outcomes,
  };
  out.write(renderVerdict(result));
  return result;
}
