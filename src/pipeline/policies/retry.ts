import type { Clock } from '../../core/clock.ts';
import type { EventSink } from '../../core/gateway-events.ts';
import { clientClosed } from '../../errors/gateway-error.ts';
import { retryDelayMs } from '../../policies/backoff.ts';
import type { RetryBudget } from '../../policies/retry-budget.ts';
import type { Candidate } from '../../routing/plan-group.ts';
import type { AttemptRecord, Execution } from '../execution.ts';
import { PolicyAround, type ExecutionPolicy, type Outcome, type PolicyLayer } from './policy.ts';

export interface RetryOptions {
  readonly retryBudget: RetryBudget;
  readonly clock: Clock;
  readonly random: () => number;
  readonly events: EventSink;
}

type Failure = NonNullable<AttemptRecord['failed']>;

/**
 * Retry: when failover has nothing left to try (or the failure may not fail over), a retryable
 * failure is tried again within the group's `retries`, the group's retry budget and the request's
 * deadline: on another candidate at once when the error allows failover, else on the same one after
 * a backoff (exponential with jitter, at least the upstream's Retry-After and the cooldown).
 */
class Retry extends PolicyAround<RetryOptions> implements ExecutionPolicy {
  async execute<T>(execution: Execution<T>): Promise<Outcome<T>> {
    for (;;) {
      const outcome = await this.inner.execute(execution);
      if (outcome !== 'exhausted') return outcome;
      const failed = execution.record?.failed;
      if (failed === undefined) return 'fallback';
      const target = await this.target(execution, execution.attempts(), failed);
      if (target === undefined) {
        if (failed.error.fallbackEligible) return 'fallback';
        throw failed.error;
      }
      execution.pinned = target;
    }
  }

  /** Where a failed attempt goes next: another candidate at once, or the same after a backoff. */
  private async target<T>(
    execution: Execution<T>,
    record: AttemptRecord,
    failure: Failure,
  ): Promise<Candidate | undefined> {
    const { retryBudget, clock, random, events } = this.options;
    const { request, group } = execution;
    const { settings } = group;
    const { error } = failure;
    if (!error.retryable || record.retries >= settings.retries) return undefined;
    const now = clock.now();
    const other = error.fallbackEligible
      ? execution.plan?.candidates.find(
          (candidate) =>
            candidate !== failure.candidate &&
            !record.excluded.has(candidate) &&
            (record.coolingUntil.get(candidate) ?? 0) <= now,
        )
      : undefined;
    if (other === undefined && record.excluded.has(failure.candidate)) return undefined;
    // The upstream said how long the deployment is out (a Retry-After, a cooldown): a fallback group
    // that can serve now beats waiting it out (decision 0018, "Waiting out a cooldown").
    const cooling = Math.max(0, (record.coolingUntil.get(failure.candidate) ?? 0) - now);
    const told = Math.max(error.retryAfterMs ?? 0, cooling);
    if (other === undefined && told > 0 && error.fallbackEligible && fallbackRemains(execution)) {
      return undefined;
    }
    if (!(await retryBudget.tryAcquire(group.name, settings.retryBudget))) {
      events.emit({
        type: 'retry-denied',
        requestId: request.requestId,
        group: group.name,
        reason: 'budget-exhausted',
      });
      return undefined;
    }
    record.retries += 1;
    const from = failure.candidate.deployment.id;
    if (other !== undefined) {
      events.emit({
        type: 'retry-scheduled',
        requestId: request.requestId,
        group: group.name,
        fromDeployment: from,
        delayMs: 0,
        errorCode: error.code,
      });
      return other;
    }
    const delayMs = retryDelayMs(record.retries - 1, settings.backoff, random, told);
    if (now + delayMs >= request.deadlineAt) {
      events.emit({
        type: 'retry-denied',
        requestId: request.requestId,
        group: group.name,
        reason: 'deadline',
      });
      return undefined;
    }
    events.emit({
      type: 'retry-scheduled',
      requestId: request.requestId,
      group: group.name,
      fromDeployment: from,
      delayMs,
      errorCode: error.code,
    });
    try {
      await clock.sleep(delayMs, request.signal);
    } catch {
      throw clientClosed();
    }
    execution.tally.waitedMs += delayMs;
    return failure.candidate;
  }
}

/** Whether the group being served has a fallback group this request has not been to yet. */
function fallbackRemains<T>(execution: Execution<T>): boolean {
  const { group, request } = execution;
  const visited = execution.visited ?? new Set([request.group.name]);
  return group.fallbacks.some((name) => !visited.has(name) && request.table.groups.has(name));
}

/** Retry with backoff, Retry-After, budget and deadline. */
export function retry(options: RetryOptions): PolicyLayer {
  return (inner) => new Retry(options, inner);
}
