import type { Clock } from '../../core/clock.ts';
import { clientClosed } from '../../errors/gateway-error.ts';
import { requestTimedOut } from '../../policies/attempt-scope.ts';
import { cooldownFor } from '../../policies/cooldown.ts';
import type { Candidate } from '../../routing/plan-group.ts';
import { CommittedAttempt } from '../committed-attempt.ts';
import type { GatewayError } from '../../errors/gateway-error.ts';
import type { AttemptRecord, Execution } from '../execution.ts';
import { PolicyAround, type ExecutionPolicy, type Outcome, type PolicyLayer } from './policy.ts';

export interface FailoverOptions {
  readonly clock: Clock;
}

/**
 * Failover: the group's candidates in plan order, the next untried one after a skip or a failure
 * that may fail over. Records each failure for retry; returns `exhausted` when a failure is left
 * for retry to decide, `fallback` when nothing was tried, `context` after a context-window error,
 * `content` after a content-policy refusal.
 * A client abort, the request's own timeout and errors that may neither retry nor fail over end
 * the request at once. A candidate that failed by running out of time (`slowFailure`) or
 * non-retryably is excluded from the rest of the request, so retry never waits on it again.
 */
class Failover extends PolicyAround<FailoverOptions> implements ExecutionPolicy {
  // The async frame keeps only what crosses the await (its registers are allocated per request);
  // choosing and recording are synchronous helpers.
  async execute<T>(execution: Execution<T>): Promise<Outcome<T>> {
    for (;;) {
      const next = this.next(execution);
      if (typeof next === 'string') return next;
      const outcome = await this.inner.execute(execution);
      if (outcome instanceof CommittedAttempt || typeof outcome === 'string') return outcome;
      const ended = this.record(execution, next, outcome);
      if (ended !== undefined) return ended;
    }
  }

  /** The candidate to attempt (set as the cursor), or why there is none. */
  private next<T>(execution: Execution<T>): Candidate | 'exhausted' | 'fallback' {
    let next = execution.pinned;
    if (next !== undefined) {
      // Retry chose this one.
      execution.pinned = undefined;
    } else {
      if (execution.request.signal.aborted) throw clientClosed();
      next = execution.untried();
      const failed = execution.record?.failed;
      if (failed !== undefined && (next === undefined || !failed.error.fallbackEligible)) return 'exhausted';
      if (next === undefined) return 'fallback';
    }
    execution.candidate = next;
    return next;
  }

  /** Records a skipped or failed attempt; returns `context` to end the group, or throws to end the request. */
  private record<T>(
    execution: Execution<T>,
    next: Candidate,
    outcome: Exclude<Outcome<T>, CommittedAttempt<T> | string>,
  ): 'context' | 'content' | undefined {
    const { request } = execution;
    const record = execution.attempts();
    if (outcome.kind === 'skipped') {
      record.excluded.add(next);
      execution.freeAt = Math.min(execution.freeAt, outcome.freeAt);
      execution.capacity = outcome.capacity;
      execution.note(undefined);
      return undefined;
    }
    const { error } = outcome;
    const now = this.options.clock.now();
    record.tried.add(next);
    execution.note(error);
    if (request.signal.aborted) throw clientClosed();
    if (error.endsRequest) throw error;
    if (now >= request.deadlineAt) throw requestTimedOut(request.timeoutMs);
    if (error.contextFallback) return 'context';
    // The same model refuses the same content again: never retried, only another group may take it.
    if (error.contentPolicyFallback) return 'content';
    if (!error.retryable && !error.fallbackEligible) throw error;
    excludeAfterFailure(record, next, error, now);
    record.failed = { candidate: next, error };
    return undefined;
  }
}

/**
 * What a failed attempt rules out for the rest of the group: a deployment that failed
 * non-retryably, or ran out of time (no headers, no first token, an idle stream: it is not waited
 * on again in this request, decision 0016), is excluded; one that started a cooldown cools.
 */
export function excludeAfterFailure(
  record: AttemptRecord,
  candidate: Candidate,
  error: GatewayError,
  now: number,
): void {
  record.tried.add(candidate);
  if (!error.retryable || error.slowFailure) record.excluded.add(candidate);
  const cooldownMs = cooldownFor(error);
  if (cooldownMs !== undefined) record.coolingUntil.set(candidate, now + cooldownMs);
}

/** Failover across the group's candidates. */
export function failover(options: FailoverOptions): PolicyLayer {
  return (inner) => new Failover(options, inner);
}
