import type { Clock } from '../../core/clock.ts';
import type { CircuitBreaker } from '../../policies/circuit-breaker.ts';
import type { Candidate } from '../../routing/plan-group.ts';
import { CommittedAttempt } from '../committed-attempt.ts';
import { attemptCandidate, type Execution } from '../execution.ts';
import { PolicyAround, type ExecutionPolicy, type Outcome, type PolicyLayer } from './policy.ts';

export interface BreakerProbeOptions {
  readonly breaker: CircuitBreaker;
  readonly clock: Clock;
}

/**
 * Breaker probe: a half-open deployment takes one request at a time. The attempt goes ahead only if
 * it claims the probe (else it is skipped); a probe whose attempt was skipped further in (the
 * deployment at its limit) is given back untouched: the breaker learned nothing. A closed breaker
 * costs nothing here (no async step).
 */
class BreakerProbe extends PolicyAround<BreakerProbeOptions> implements ExecutionPolicy {
  execute<T>(execution: Execution<T>): Promise<Outcome<T>> {
    const candidate = attemptCandidate(execution);
    execution.probe = undefined;
    if (!candidate.probe) return this.inner.execute(execution);
    return this.probed(execution, candidate);
  }

  private async probed<T>(execution: Execution<T>, candidate: Candidate): Promise<Outcome<T>> {
    const { breaker, clock } = this.options;
    const { settings } = execution.group;
    const ref = candidate.deployment.breaker;
    const probe = await breaker.claimProbe(ref, candidate.health.breaker, settings.timeoutMs);
    if (probe === undefined) {
      return { kind: 'skipped', capacity: false, freeAt: clock.now() + settings.timeoutMs };
    }
    execution.probe = probe;
    const outcome = await this.inner.execute(execution);
    if (!(outcome instanceof CommittedAttempt) && typeof outcome !== 'string' && outcome.kind === 'skipped') {
      await breaker.recordOutcome(ref, candidate.health.breaker, probe, 'neutral', settings.circuitBreaker);
    }
    return outcome;
  }
}

/** The circuit breaker's probe claim. */
export function breakerProbe(options: BreakerProbeOptions): PolicyLayer {
  return (inner) => new BreakerProbe(options, inner);
}
