import type { Clock } from '../../core/clock.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { RetryBudget } from '../../policies/retry-budget.ts';
import type { DeploymentStats } from '../../routing/deployment-stats.ts';
import type { LearnedLimits } from '../../routing/learned-limits.ts';
import { planGroup } from '../../routing/plan-group.ts';
import type { GroupRoute } from '../../routing/routing-table.ts';
import type { StateStore } from '../../core/state-store.ts';
import type { Execution } from '../execution.ts';

export interface GroupPlannerOptions {
  /** Where deployment health (breaker, cooldown) is read, one round trip per group. */
  readonly state: StateStore;
  readonly clock: Clock;
  readonly random: () => number;
  readonly stats: DeploymentStats;
  /** Deployments the upstream said are out of requests or tokens go last (decision 0016). */
  readonly learned: LearnedLimits;
  /** Round-robin positions per group. */
  readonly rotations: Map<string, number>;
  /** Every request a group serves counts toward the group's retry budget. */
  readonly retryBudget: RetryBudget;
  /** ... and toward its hedge budget when it hedges. */
  readonly hedgeBudget: RetryBudget;
}

/**
 * Plans a group for an execution: candidates filtered (region, health, context window) and ordered
 * by the group's strategy. Used by the fallback chain for every group it serves.
 */
export class GroupPlanner {
  private readonly options: GroupPlannerOptions;

  constructor(options: GroupPlannerOptions) {
    this.options = options;
  }

  /** Counts the request toward the group's retry budget and reads its deployments' health. */
  health(group: GroupRoute): Promise<readonly (string | undefined)[]> {
    const { settings } = group;
    this.options.retryBudget.countRequest(group.name, settings.retryBudget);
    if (settings.hedge !== undefined)
      this.options.hedgeBudget.countRequest(group.name, settings.hedge.budget);
    return this.options.state.getMany(group.healthKeys);
  }

  /**
   * Sets the execution's plan for its current group and resets the group's attempt record. False
   * when every deployment is too small for the request's context (noted as the error).
   */
  plan<T>(execution: Execution<T>, healthValues: readonly (string | undefined)[]): boolean {
    const { clock, random, stats, learned, rotations } = this.options;
    const { request } = execution;
    const group = execution.group;
    const plan = planGroup(group, healthValues, clock.now(), request, {
      random,
      stats,
      learned,
      rotations,
      group: group.name,
      promptTokens: request.promptTokens,
      outputTokens: request.outputTokens,
    });
    execution.freeAt = Math.min(execution.freeAt, plan.freeAt);
    if (plan.contextTooSmall) {
      execution.note(
        new GatewayError(
          `the request (about ${request.contextTokens} tokens with max tokens) exceeds the context window of every deployment of "${group.name}"`,
          { code: 'context_window_exceeded', param: 'messages' },
        ),
      );
      return false;
    }
    if (plan.unhealthy && plan.candidates.length === 0) {
      execution.capacity = false;
      execution.note(undefined);
    }
    execution.plan = plan;
    execution.record = undefined;
    execution.pinned = undefined;
    return true;
  }
}
