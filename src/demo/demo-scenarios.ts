import { accountsConfig, runAccountsScenario } from './accounts-scenario.ts';
import { crisConfig, runCrisScenario } from './cris-scenario.ts';
import { mergeConfigs, renderConfig, type ConfigDocument } from './demo-config.ts';
import { openDemoSession, type DemoContext, type DemoSessionOptions } from './demo-context.ts';
import { renderTable, type ScenarioOutcome } from './demo-report.ts';
import { fallbackConfig, runFallbackScenario } from './fallback-scenario.ts';
import { loadbalanceConfig, runLoadbalanceScenario } from './loadbalance-scenario.ts';
import { quotaConfig, runQuotaScenario } from './quota-scenario.ts';

/**
 * The five resilience patterns of docs/scenarios.md, in the order of that page. Each runs
 * against a fresh in-process gateway on its own config, or against a running gateway that was
 * started with the config `configFor` prints (`spillway demo --print-config NAME`).
 */

export const scenarioNames = ['cris', 'accounts', 'fallback', 'loadbalance', 'quota'] as const;
/** A scenario's name, as `spillway demo NAME` takes it. */
export type ScenarioName = (typeof scenarioNames)[number];

interface ScenarioEntry {
  /** One line for --help. */
  readonly summary: string;
  /** The gateway config the scenario needs, with its default numbers. */
  readonly config: () => ConfigDocument;
  /** Runs it with its default numbers. */
  readonly run: (context: DemoContext) => Promise<ScenarioOutcome>;
}

export const scenarios: Readonly<Record<ScenarioName, ScenarioEntry>> = {
  cris: {
    summary:
      'cross-region inference profile; a gateway-level cross-region group, healthy and with a region down',
    config: crisConfig,
    run: (context) => runCrisScenario(context),
  },
  accounts: {
    summary: 'sharding over two AWS accounts; one account exhausted, the other absorbs the traffic',
    config: accountsConfig,
    run: (context) => runAccountsScenario(context),
  },
  fallback: {
    summary: 'model fallback: rpm 3 primary, rpm 25 fallback, 10 concurrent requests → 3 + 7',
    config: () => fallbackConfig(),
    run: (context) => runFallbackScenario(context),
  },
  loadbalance: {
    summary: 'load balancing with overflow (3 + 3 + 4) and a 9:1 weighted canary over 1000 requests',
    config: () => loadbalanceConfig(),
    run: (context) => runLoadbalanceScenario(context),
  },
  quota: {
    summary: 'multi-tenant quota isolation: A rpm 3, B and C rpm 10, 5 concurrent each, on one group',
    config: () => quotaConfig(),
    run: (context) => runQuotaScenario(context),
  },
};

/** Whether `name` is a scenario's name. */
export function isScenarioName(name: string): name is ScenarioName {
  return scenarioNames.some((known) => known === name);
}

/** The YAML config a running gateway needs for `name` (`all`: every scenario in one file). */
export function configFor(name: ScenarioName | 'all'): string {
  if (name === 'all')
    return renderConfig(mergeConfigs(scenarioNames.map((n) => scenarios[n].config())), 'all');
  return renderConfig(scenarios[name].config(), name);
}

/** Results of a demo run. */
export interface DemoRun {
  /** Whether every scenario's outcome was as expected. */
  readonly ok: boolean;
  readonly outcomes: readonly ScenarioOutcome[];
}

/** Runs `names` in order in one session (one simulator, a fresh gateway each); prints a summary. */
export async function runDemo(
  names: readonly ScenarioName[],
  options: DemoSessionOptions = {},
): Promise<DemoRun> {
  const session = await openDemoSession(options);
  const outcomes: ScenarioOutcome[] = [];
  try {
    for (const name of names) outcomes.push(await scenarios[name].run(session.context));
  } finally {
    await session.close();
  }
  const rows = outcomes.map((outcome) => [
    outcome.scenario,
    outcome.ok ? 'as expected' : `NOT as expected: ${outcome.problems.join('; ')}`,
  ]);
  session.context.out.write('\n' + renderTable(['Scenario', 'Outcome'], rows));
  return { ok: outcomes.every((outcome) => outcome.ok), outcomes };
}
