import type { Clock } from '../../core/clock.ts';
import { clientClosed } from '../../errors/gateway-error.ts';
import { requestTimedOut } from '../../policies/attempt-scope.ts';
import { cooldownFor } from '../../policies/cooldown.ts';
import { CommittedAttempt } from '../committed-attempt.ts';
import type { Execution } from '../execution.ts';
import type { ExecutionPolicy, Outcome, PolicyLayer } from './policy.ts';

export interface FailoverOptions {
  readonly clock: Clock;
}

/** Reads the flag afresh (an await may have passed since the last look). */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/**
 * Failover: the group's candidates in plan order, the next untried one after a skip or a failure
 * that may fail over. Records each failure for retry; returns `exhausted` when a failure is left
 * for retry to decide, `fallback` when nothing was tried, `context` after a context-window error.
 * A client abort, the request's own timeout and errors that may neither retry nor fail over end
 * the request at once.
 */
class Failover implements ExecutionPolicy {
  private readonly options: FailoverOptions;
  private readonly inner: ExecutionPolicy;

  constructor(options: FailoverOptions, inner: ExecutionPolicy) {
    this.options = options;
    this.inner = inner;
  }

  async execute<T>(execution: Execution<T>): Promise<Outcome<T>> {
    const { clock } = this.options;
    const { request } = execution;
    for (;;) {
      let next = execution.pinned;
      if (next !== undefined) {
        // Retry chose this one.
        execution.pinned = undefined;
      } else {
        if (request.signal.aborted) throw clientClosed();
        next = execution.untried();
        const failed = execution.record?.failed;
        if (failed !== undefined && (next === undefined || !failed.error.fallbackEligible)) {
          return 'exhausted';
        }
        if (next === undefined) return 'fallback';
      }
      execution.candidate = next;
      const outcome = await this.inner.execute(execution);
      if (outcome instanceof CommittedAttempt || typeof outcome === 'string') return outcome;
      const record = execution.attempts();
      if (outcome.kind === 'skipped') {
        record.excluded.add(next);
        execution.freeAt = Math.min(execution.freeAt, outcome.freeAt);
        execution.capacity = outcome.capacity;
        execution.note(undefined);
        continue;
      }
      const { error } = outcome;
      record.tried.add(next);
      execution.note(error);
      if (isAborted(request.signal)) throw clientClosed();
      if (error.endsRequest) throw error;
      if (clock.now() >= request.deadlineAt) throw requestTimedOut(request.timeoutMs);
      if (error.contextFallback) return 'context';
      if (!error.retryable && !error.fallbackEligible) throw error;
      if (!error.retryable) record.excluded.add(next);
      const cooldownMs = cooldownFor(error);
      if (cooldownMs !== undefined) record.coolingUntil.set(next, clock.now() + cooldownMs);
      record.failed = { candidate: next, error };
    }
  }
}

/** Failover across the group's candidates. */
export function failover(options: FailoverOptions): PolicyLayer {
  return (inner) => new Failover(options, inner);
}
