import type { ChatModel } from '../core/chat-model.ts';
import type { Price } from '../core/cost.ts';
import type { Target } from '../core/gateway-events.ts';
import type {
  CircuitBreakerConfig,
  DeploymentConfig,
  ModelGroupConfig,
  ProviderConfig,
  RetryBudgetConfig,
  SpillwayConfig,
  Strategy,
} from '../config/schema.ts';
import { buildLimitPlan, type LimitPlan } from '../limits/limit-plan.ts';
import type { BreakerRef } from '../policies/circuit-breaker.ts';

/** Router settings of one group: the `router` defaults with the group's overrides applied. */
export interface GroupSettings {
  readonly retries: number;
  readonly backoff: { readonly base_ms: number; readonly max_ms: number };
  readonly timeoutMs: number;
  readonly firstTokenTimeoutMs: number;
  readonly streamIdleTimeoutMs: number;
  /** Malformed stream events in a row that fail a stream (the adapter's default when absent). */
  readonly malformedEventLimit?: number | undefined;
  /** `continue`: a stream cut after its first byte is continued on the next candidate (stream-recovery.ts). */
  readonly streamRecovery?: 'off' | 'continue' | undefined;
  readonly circuitBreaker: CircuitBreakerConfig;
  readonly retryBudget: RetryBudgetConfig;
  /** Hedged first tokens; undefined when the group does not hedge (decision 0016). */
  readonly hedge: HedgeSettings | undefined;
}

/** A group's hedging: when to start the one extra attempt, and how many requests may have one. */
export interface HedgeSettings {
  /** Fixed ms without a first token, or `p95`: the primary deployment's observed first-token p95. */
  readonly afterMs: number | 'p95';
  /** The hedge budget: at most `ratio` × the group's requests per window (at least `min_retries`). */
  readonly budget: RetryBudgetConfig;
}

/** One deployment, ready to route to: everything a request needs, computed at config time. */
export interface DeploymentRoute {
  /** Unique across the config; the key of its breaker, cooldown, limits and statistics. */
  readonly id: string;
  /** Position in its group's list (tie-breaks, `ordered` default). */
  readonly index: number;
  readonly config: DeploymentConfig;
  /** Where requests go, for headers and events. */
  readonly target: Target;
  readonly model: ChatModel;
  readonly price?: Price | undefined;
  readonly limits: LimitPlan;
  /** State-store key of the circuit breaker. */
  readonly breakerKey: string;
  /** Its breaker as the circuit breaker names it (built once, not per attempt). */
  readonly breaker: BreakerRef;
  /** State-store key of the cooldown. */
  readonly cooldownKey: string;
}

/** A model group, ready to route. */
export interface GroupRoute {
  readonly name: string;
  readonly strategy: Strategy;
  readonly deployments: readonly DeploymentRoute[];
  /** The deployments in the `ordered` strategy's order (by `order`, then position), sorted once. */
  readonly inOrder: readonly DeploymentRoute[];
  readonly fallbacks: readonly string[];
  readonly contextWindowFallbacks: readonly string[];
  /** Groups to try after a content-policy refusal (`content_policy_fallbacks`). */
  readonly contentPolicyFallbacks: readonly string[];
  readonly settings: GroupSettings;
  readonly description?: string | undefined;
  /** The breaker and cooldown keys of every deployment, in order: one getMany reads them all. */
  readonly healthKeys: readonly string[];
}

/** The routing table built from one config; swapped whole on reload. */
export interface RoutingTable {
  readonly groups: ReadonlyMap<string, GroupRoute>;
  /** Group names in config order. */
  readonly groupNames: readonly string[];
}

/** What a chat model is created for. */
export interface ModelTarget {
  readonly providerName: string;
  readonly provider: ProviderConfig;
  readonly deployment: DeploymentConfig;
}

function settingsOf(config: SpillwayConfig, group: ModelGroupConfig): GroupSettings {
  const router = config.router;
  return {
    retries: group.retries ?? router.retries,
    backoff: group.backoff ?? router.backoff,
    timeoutMs: group.timeout_ms ?? router.timeout_ms,
    firstTokenTimeoutMs: group.first_token_timeout_ms ?? router.first_token_timeout_ms,
    streamIdleTimeoutMs: group.stream_idle_timeout_ms ?? router.stream_idle_timeout_ms,
    malformedEventLimit: group.malformed_event_limit ?? router.malformed_event_limit,
    streamRecovery: group.stream_recovery,
    circuitBreaker: group.circuit_breaker ?? router.circuit_breaker,
    retryBudget: group.retry_budget ?? router.retry_budget,
    hedge:
      group.hedge_after_ms === undefined
        ? undefined
        : {
            afterMs: group.hedge_after_ms,
            // A quiet group may still hedge once per window.
            budget: { ratio: group.hedge_budget ?? 0.1, window_s: 10, min_retries: 1 },
          },
  };
}

function priceOf(deployment: DeploymentConfig): Price | undefined {
  const price = deployment.price;
  if (price === undefined) return undefined;
  return {
    input: price.input,
    output: price.output,
    cachedInput: price.cached_input,
    cacheWrite: price.cache_write,
  };
}

/** Builds the routing table of a validated config; `modelFor` supplies each deployment's adapter. */
export function buildRoutingTable(
  config: SpillwayConfig,
  modelFor: (target: ModelTarget) => ChatModel,
): RoutingTable {
  const groups = new Map<string, GroupRoute>();
  for (const [name, group] of Object.entries(config.models)) {
    const deployments = group.deployments.map((deployment, index): DeploymentRoute => {
      const provider = config.providers[deployment.provider];
      if (provider === undefined) {
        throw new Error(
          `models.${name}.deployments[${index}].provider: unknown provider "${deployment.provider}"`,
        );
      }
      const breakerKey = `cb:${deployment.id}`;
      const model = modelFor({ providerName: deployment.provider, provider, deployment });
      const target: Target = {
        group: name,
        deployment: deployment.id,
        provider: deployment.provider,
        providerType: provider.type,
        region: deployment.region ?? provider.region ?? 'unknown',
        account: provider.account ?? deployment.provider,
        model: deployment.model,
      };
      return {
        id: deployment.id,
        index,
        config: deployment,
        target,
        model,
        price: priceOf(deployment),
        limits: buildLimitPlan(`d:${deployment.id}`, 'deployment', {
          rpm: deployment.rpm,
          tpm: deployment.tpm,
          maxConcurrency: deployment.max_concurrency,
        }),
        breakerKey,
        breaker: { deploymentId: deployment.id, breakerKey },
        cooldownKey: `cd:${deployment.id}`,
      };
    });
    groups.set(name, {
      name,
      strategy: group.strategy,
      deployments,
      inOrder: [...deployments].sort(compareOrder),
      fallbacks: group.fallbacks,
      contextWindowFallbacks: group.context_window_fallbacks,
      contentPolicyFallbacks: group.content_policy_fallbacks,
      settings: settingsOf(config, group),
      description: group.description,
      healthKeys: deployments.flatMap((deployment) => [deployment.breakerKey, deployment.cooldownKey]),
    });
  }
  return { groups, groupNames: [...groups.keys()] };
}

/**
 * The configured order of two deployments (the `ordered` strategy, `inOrder`): by `order` (default:
 * list position), then list position.
 */
export function compareOrder(a: DeploymentRoute, b: DeploymentRoute): number {
  return (a.config.order ?? a.index) - (b.config.order ?? b.index) || a.index - b.index;
}
