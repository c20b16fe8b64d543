import type { Clock } from '../../core/clock.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { RetryBudget } from '../../policies/retry-budget.ts';
import type { DeploymentStats } from '../../routing/deployment-stats.ts';
import { planGroup } from '../../routing/plan-group.ts';
import type { StateStore } from '../../core/state-store.ts';
import type { Execution } from '../execution.ts';
import type { ExecutionPolicy, Outcome, PolicyLayer } from './policy.ts';

export interface PlanCandidatesOptions {
  /** Where deployment health (breaker, cooldown) is read, one round trip per group. */
  readonly state: StateStore;
  readonly clock: Clock;
  readonly random: () => number;
  readonly stats: DeploymentStats;
  /** Round-robin positions per group. */
  readonly rotations: Map<string, number>;
  /** Every request a group serves counts toward the group's retry budget. */
  readonly retryBudget: RetryBudget;
}

/**
 * Plans the execution's group: candidates filtered (region, health, context window) and ordered by
 * the group's strategy; a group too small for the request's context is a `context` failure.
 */
class PlanCandidates implements ExecutionPolicy {
  private readonly options: PlanCandidatesOptions;
  private readonly inner: ExecutionPolicy;

  constructor(options: PlanCandidatesOptions, inner: ExecutionPolicy) {
    this.options = options;
    this.inner = inner;
  }

  async execute<T>(execution: Execution<T>): Promise<Outcome<T>> {
    const { state, clock, random, stats, rotations, retryBudget } = this.options;
    const { request } = execution;
    const group = execution.group;
    retryBudget.countRequest(group.name, group.settings.retryBudget);
    const healthValues = await state.getMany(group.healthKeys);
    const plan = planGroup(group, healthValues, clock.now(), request, {
      random,
      stats,
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
      return 'context';
    }
    if (plan.unhealthy && plan.candidates.length === 0) {
      execution.capacity = false;
      execution.note(undefined);
    }
    execution.plan = plan;
    execution.record = undefined;
    execution.pinned = undefined;
    // Awaited, not returned: an async function returning a promise costs an extra promise and two ticks.
    return await this.inner.execute(execution);
  }
}

/** Candidates of the current group in strategy order. */
export function planCandidates(options: PlanCandidatesOptions): PolicyLayer {
  return (inner) => new PlanCandidates(options, inner);
}
