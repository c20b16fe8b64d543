import type { Clock } from '../../core/clock.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { RetryBudget } from '../../policies/retry-budget.ts';
import type { DeploymentStats } from '../../routing/deployment-stats.ts';
import type { LearnedLimits } from '../../routing/learned-limits.ts';
import { planGroup, type GroupPlan, type PlanFilters } from '../../routing/plan-group.ts';
import type { DeploymentLimiter } from '../../limits/deployment-limiter.ts';
import { leaseMarginMs } from '../execution-request.ts';
import { AheadPlan, setRotation } from './ahead-plan.ts';
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
  /** Prepares the first candidate's reservation of a plan made ahead of the admission. */
  readonly limiter: DeploymentLimiter;
}

/** What a plan made ahead of the admission needs to know of the request. */
export interface AheadRequest extends PlanFilters {
  readonly requestId: string;
  readonly promptTokens: number;
  readonly outputTokens: number;
  /** Tokens reserved against deployment tpm limits. */
  readonly reservedTokens: number;
}

/**
 * Plans a group for an execution: candidates filtered (region, health, context window) and ordered
 * by the group's strategy. Used by the fallback chain for every group it serves.
 */
export class GroupPlanner {
  private readonly options: GroupPlannerOptions;
  /** Each group's health values as this process last read them: the base of a plan made ahead. */
  private readonly lastHealth = new WeakMap<GroupRoute, readonly (string | undefined)[]>();

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
   * The group planned before its admission from the health values read last, with the first
   * candidate's deployment reservation prepared for the admission to make (docs/decisions/0031).
   * Undefined when there is nothing to gain: no health read yet, no candidate, a first candidate that
   * would be a breaker probe (claimed before its reservation) or has no limits to reserve.
   */
  planAhead(group: GroupRoute, request: AheadRequest): AheadPlan | undefined {
    const values = this.lastHealth.get(group);
    if (values === undefined) return undefined;
    const { clock, rotations } = this.options;
    const rotation = rotations.get(group.name);
    const plan = this.planNow(group, values, clock.now(), request);
    const first = plan.candidates[0];
    const prepared =
      first === undefined || first.probe
        ? undefined
        : this.options.limiter.prepare(
            first.deployment.limits,
            request.reservedTokens,
            // the first attempt's lease, as DeploymentLimits names it
            `${request.requestId}:1`,
            group.settings.timeoutMs + leaseMarginMs,
          );
    const ahead =
      first === undefined || prepared === undefined
        ? undefined
        : new AheadPlan(group, plan, first.deployment, prepared, values, rotations, rotation);
    if (ahead === undefined) {
      // not used: the round-robin turn it took goes back
      setRotation(rotations, group.name, rotation);
    }
    return ahead;
  }

  /**
   * Sets the execution's plan for its current group and resets the group's attempt record. False
   * when every deployment is too small for the request's context (noted as the error).
   */
  plan<T>(execution: Execution<T>, healthValues: readonly (string | undefined)[]): boolean {
    const { request } = execution;
    const group = execution.group;
    this.lastHealth.set(group, healthValues);
    const now = this.options.clock.now();
    const ahead = request.ahead?.group === group ? request.ahead : undefined;
    if (ahead !== undefined && ahead.stands(healthValues, now)) return this.use(execution, ahead.plan);
    ahead?.rewind();
    const plan = this.planNow(group, healthValues, now, request);
    // planned again: the reservation made ahead serves only if the same deployment comes first
    if (ahead !== undefined && plan.candidates[0]?.deployment !== ahead.deployment) ahead.cancel();
    return this.use(execution, plan);
  }

  /** `group` planned with these health values at `now` for a request (its filters and tokens). */
  private planNow(
    group: GroupRoute,
    healthValues: readonly (string | undefined)[],
    now: number,
    request: PlanFilters & { readonly promptTokens: number; readonly outputTokens: number },
  ): GroupPlan {
    const { random, stats, learned, rotations } = this.options;
    return planGroup(group, healthValues, now, request, {
      random,
      stats,
      learned,
      rotations,
      group: group.name,
      promptTokens: request.promptTokens,
      outputTokens: request.outputTokens,
    });
  }

  /** Makes `plan` the execution's plan of its current group (false: every context window too small). */
  private use<T>(execution: Execution<T>, plan: GroupPlan): boolean {
    const { request } = execution;
    const group = execution.group;
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
