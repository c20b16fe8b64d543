import type { ConfigDocument } from '../../../src/demo/demo-config.ts';
import type { InvocationRecord } from '../../../src/simulator/invocation-log.ts';

/** The fields of an invocation record that say which deployment made the call. */
export type InvocationTarget = Pick<InvocationRecord, 'accountId' | 'region' | 'modelId'>;

/** Where one deployment of a config sends its calls, as the simulator logs them. */
export interface DeploymentTarget {
  readonly deployment: string;
  readonly group: string;
  /** The account id the simulator logs (the provider's `account` for Bedrock; the world's label for OpenAI). */
  readonly accountId: string;
  /** The source region the simulator logs (`global` for the OpenAI-style API). */
  readonly region: string;
  readonly modelId: string;
}

/** The OpenAI-style API's account and region labels in the default world (src/simulator/README.md). */
const openaiAccount = 'openai-sim';
const openaiRegion = 'global';

function keyOf(target: InvocationTarget): string {
  return `${target.accountId}|${target.region}|${target.modelId}`;
}

/** Every deployment of `config` with the simulator account, region and model it calls. */
export function deploymentTargets(config: ConfigDocument): DeploymentTarget[] {
  const targets: DeploymentTarget[] = [];
  for (const [group, settings] of Object.entries(config.models ?? {})) {
    for (const deployment of settings.deployments ?? []) {
      const provider = config.providers?.[deployment.provider];
      if (provider === undefined)
        throw new Error(`deployment ${deployment.id}: no provider ${deployment.provider}`);
      const bedrock = provider.type === 'bedrock';
      const accountId = bedrock ? provider.account : openaiAccount;
      if (accountId === undefined) throw new Error(`provider ${deployment.provider} has no account label`);
      targets.push({
        deployment: deployment.id,
        group,
        accountId,
        region: bedrock ? provider.region : openaiRegion,
        modelId: deployment.model,
      });
    }
  }
  const seen = new Set<string>();
  for (const target of targets) {
    const key = keyOf(target);
    if (seen.has(key)) throw new Error(`two deployments call ${key}: the log cannot tell them apart`);
    seen.add(key);
  }
  return targets;
}

/**
 * The deployment each invocation came from, by (account, source region, model). Throws for an
 * invocation no deployment of the config makes: the test's traffic went somewhere unexpected.
 */
export function deploymentOf(targets: readonly DeploymentTarget[]): (record: InvocationTarget) => string {
  const byKey = new Map(targets.map((target) => [keyOf(target), target.deployment]));
  return (record) => {
    const deployment = byKey.get(keyOf(record));
    if (deployment === undefined) throw new Error(`no deployment calls ${keyOf(record)}`);
    return deployment;
  };
}

/** Counts of `values` by key, sorted by key (so two counts compare with toEqual). */
export function tally<T>(values: readonly T[], key: (value: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[key(value)] = (counts[key(value)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}
