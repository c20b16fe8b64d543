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
    const startedAt = this.accounting.clock.now();
    const scope = this.start(execution);
    try {
      const value = await execution.call(
        attemptCandidate(execution).deployment,
        scope,
        execution.group.settings,
      );
      scope.clearFirstToken();
      // A content-policy refusal another group may take (content_policy_fallbacks): a failed attempt.
      const refusal = execution.refusal?.of(value);
      if (refusal !== undefined && execution.contentFallbackLeft()) {
        execution.refusal?.discard(value);
        return this.failed(execution, scope, startedAt, refusal);
      }
      return new CommittedAttempt(value, execution, scope, startedAt, this.accounting);
    } catch (thrown) {
      return this.failed(execution, scope, startedAt, thrown);
    }
  }

  /** Counts the attempt and opens its scope. */
  private start<T>(execution: Execution<T>): AttemptScope {
    const { clock, stats, learned } = this.accounting;
    const { request, tally } = execution;
    const deployment = attemptCandidate(execution).deployment;
    tally.attempts += 1;
    tally.lastTarget = deployment.target;
    const scope = new AttemptScope(clock, request.signal, request.deadlineAt, request.timeoutMs);
    stats.start(deployment.id);
    learned.started(deployment.id, clock.now());
    const configuredRpm = deployment.config.rpm !== undefined;
    const configuredTpm = deployment.config.tpm !== undefined;
    scope.onUpstreamLimits = (hint) => {
      learned.observe(deployment.id, hint, clock.now(), configuredRpm, configuredTpm);
    };
    return scope;
  }

  /** Accounts a failed attempt at once (nobody consumes it). */
  private failed<T>(
    execution: Execution<T>,
    scope: AttemptScope,
    startedAt: number,
    thrown: unknown,
  ): Outcome<T> {
    const error = scope.errorOf(thrown);
    new CommittedAttempt(undefined, execution, scope, startedAt, this.accounting).finish({
      error,
      tokens: 0,
      outputTokens: 0,
    });
    return { kind: 'failed', error };
  }
}

/** Attempt timeouts (total, first token, idle) around the adapter call. */
export function attemptTimeouts(options: AttemptTimeoutsOptions): ExecutionPolicy {
  return new AttemptTimeouts(options);
}
