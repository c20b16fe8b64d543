import type { Clock } from '../../core/clock.ts';
import type { EventSink } from '../../core/gateway-events.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { GroupRoute } from '../../routing/routing-table.ts';
import { CommittedAttempt } from '../committed-attempt.ts';
import type { Execution } from '../execution.ts';
import type { AheadPlan } from './ahead-plan.ts';
import type { AheadRequest, GroupPlanner } from './group-planner.ts';
import { PolicyAround, type Outcome, type PolicyLayer, type RootPolicy } from './policy.ts';

/** Why a group could not serve. */
type GroupFailure = 'fallback' | 'context' | 'content';

export interface FallbackChainOptions {
  readonly events: EventSink;
  readonly clock: Clock;
  /** Plans each group the chain serves (its candidates in strategy order). */
  readonly planner: GroupPlanner;
}

/** The error when no group could serve and no upstream error is left to report. */
function noCapacity<T>(execution: Execution<T>, now: number): GatewayError {
  const retryAfterMs = Number.isFinite(execution.freeAt)
    ? Math.max(0, Math.ceil(execution.freeAt - now))
    : undefined;
  const group = execution.request.group.name;
  return execution.capacity
    ? new GatewayError(`no capacity: every deployment of "${group}" and its fallbacks is at its limit`, {
        code: 'no_capacity',
        status: 429,
        retryAfterMs: retryAfterMs ?? 1000,
      })
    : new GatewayError(`no deployment of "${group}" or its fallbacks is available`, {
        code: 'no_capacity',
        retryAfterMs,
      });
}

function failureOf<T>(outcome: Outcome<T>): GroupFailure {
  return outcome === 'context' || outcome === 'content' ? outcome : 'fallback';
}

/**
 * The outermost policy: the requested group, then its fallbacks (each planned by the GroupPlanner)
 * (or, after a context-window error, its context-window fallbacks; after a content-policy refusal,
 * its content-policy fallbacks and nothing else), depth-first, each group once. Rejects with the last meaningful
 * error, or no_capacity (429 when deployments were full, 503 when unhealthy) when nothing could serve.
 */
class FallbackChain extends PolicyAround<FallbackChainOptions> implements RootPolicy {
  async execute<T>(execution: Execution<T>): Promise<CommittedAttempt<T>> {
    const { planner } = this.options;
    const group = execution.request.group;
    execution.group = group;
    try {
      // The requested group, planned and served in this frame (no async layer of its own); its
      // health was usually read by the admission already.
      const health = execution.request.health ?? (await planner.health(group));
      const outcome = planner.plan(execution, health) ? await this.inner.execute(execution) : 'context';
      const result =
        outcome instanceof CommittedAttempt
          ? outcome
          : await this.fallBack(execution, group, failureOf(outcome));
      if (typeof result !== 'string') return result;
      throw execution.last ?? noCapacity(execution, this.options.clock.now());
    } finally {
      // a deployment reservation made ahead that no attempt took is given back
      execution.request.ahead?.cancel();
    }
  }

  planAhead(group: GroupRoute, request: AheadRequest): AheadPlan | undefined {
    return this.options.planner.planAhead(group, request);
  }

  async resume<T>(execution: Execution<T>, afterError: GatewayError): Promise<CommittedAttempt<T>> {
    execution.resume(afterError);
    execution.pinned = undefined;
    const group = execution.group;
    const outcome = execution.plan === undefined ? 'fallback' : await this.inner.execute(execution);
    const result =
      outcome instanceof CommittedAttempt
        ? outcome
        : await this.fallBack(execution, group, failureOf(outcome));
    if (typeof result !== 'string') return result;
    throw execution.last ?? afterError;
  }

  /** After `group` failed: its fallbacks (or context-window fallbacks), depth-first, each once. */
  private async fallBack<T>(
    execution: Execution<T>,
    group: GroupRoute,
    failure: GroupFailure,
  ): Promise<CommittedAttempt<T> | GroupFailure> {
    const { request, tally } = execution;
    const visited = (execution.visited ??= new Set([request.group.name]));
    const next =
      failure === 'context'
        ? group.contextWindowFallbacks
        : failure === 'content'
          ? group.contentPolicyFallbacks
          : group.fallbacks;
    for (const name of next) {
      const fallback = request.table.groups.get(name);
      if (fallback === undefined || visited.has(name)) continue;
      this.options.events.emit({
        type: 'fallback-taken',
        requestId: request.requestId,
        fromGroup: group.name,
        toGroup: name,
        errorCode: execution.last?.code ?? 'no_capacity',
      });
      tally.fallbacks += 1;
      visited.add(name);
      const outcome = await this.serve(execution, fallback);
      const result =
        outcome instanceof CommittedAttempt
          ? outcome
          : await this.fallBack(execution, fallback, failureOf(outcome));
      if (typeof result !== 'string') return result;
    }
    return failure;
  }

  /** One fallback group: planned, then served by the policies inside. */
  private async serve<T>(execution: Execution<T>, group: GroupRoute): Promise<Outcome<T>> {
    const { planner } = this.options;
    execution.group = group;
    const health = await planner.health(group);
    return planner.plan(execution, health) ? await this.inner.execute(execution) : 'context';
  }
}

/** Fallback chain across groups (the outermost policy). */
export function fallbackChain(options: FallbackChainOptions): PolicyLayer<RootPolicy> {
  return (inner) => new FallbackChain(options, inner);
}
