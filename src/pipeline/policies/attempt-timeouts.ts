import { AttemptScope } from '../../policies/attempt-scope.ts';
import { CommittedAttempt, type AttemptAccounting } from '../committed-attempt.ts';
import { attemptCandidate, type Execution } from '../execution.ts';
import type { ExecutionPolicy, Outcome } from './policy.ts';

export interface AttemptTimeoutsOptions {
  /** The clock, statistics and breaker/cooldown updates every attempt is accounted with. */
  readonly accounting: AttemptAccounting;
}

/**
 * The innermost policy: the upstream call under an attempt scope (the request's total deadline,
 * the group's first-token and idle timeouts, the client's abort). A failed attempt is accounted
 * here; a committed one is kept by the execution and accounted by whoever consumes its answer.
 */
class AttemptTimeouts implements ExecutionPolicy {
  private readonly accounting: AttemptAccounting;

  constructor(options: AttemptTimeoutsOptions) {
    this.accounting = options.accounting;
  }

  async execute<T>(execution: Execution<T>): Promise<Outcome<T>> {
    const { accounting } = this;
    const { clock } = accounting;
    const { request, tally } = execution;
    const deployment = attemptCandidate(execution).deployment;
    tally.attempts += 1;
    tally.lastTarget = deployment.target;
    const startedAt = clock.now();
    const scope = new AttemptScope(clock, request.signal, request.deadlineAt, request.timeoutMs);
    accounting.stats.start(deployment.id);
    try {
      const value = await execution.call(deployment, scope, execution.group.settings);
      scope.clearFirstToken();
      return new CommittedAttempt(value, execution, scope, startedAt, accounting);
    } catch (thrown) {
      const error = scope.errorOf(thrown);
      new CommittedAttempt(undefined, execution, scope, startedAt, accounting).finish({
        error,
        tokens: 0,
        outputTokens: 0,
      });
      return { kind: 'failed', error };
    }
  }
}

/** Attempt timeouts (total, first token, idle) around the adapter call. */
export function attemptTimeouts(options: AttemptTimeoutsOptions): ExecutionPolicy {
  return new AttemptTimeouts(options);
}
