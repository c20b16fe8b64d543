import type { Clock } from '../../core/clock.ts';
import type { EventSink } from '../../core/gateway-events.ts';
import type { DeploymentLimiter, DeploymentReservation } from '../../limits/deployment-limiter.ts';
import { leaseMarginMs } from '../execution-request.ts';
import { attemptCandidate, type Execution } from '../execution.ts';
import { PolicyAround, type ExecutionPolicy, type Outcome, type PolicyLayer } from './policy.ts';

export interface DeploymentLimitsOptions {
  readonly limiter: DeploymentLimiter;
  readonly events: EventSink;
  readonly clock: Clock;
}

/**
 * Deployment limits: the attempt reserves the deployment's rpm, tpm and concurrency in one step, or
 * is skipped at once when the deployment is full (never queued): failover moves on.
 */
class DeploymentLimits extends PolicyAround<DeploymentLimitsOptions> implements ExecutionPolicy {
  async execute<T>(execution: Execution<T>): Promise<Outcome<T>> {
    const reserved = await this.reserve(execution);
    if (!reserved.granted) return this.skipped(execution, reserved);
    execution.reservation = reserved.reservation;
    // Awaited, not returned: an async function returning a promise costs an extra promise and two ticks.
    return await this.inner.execute(execution);
  }

  private reserve<T>(execution: Execution<T>): Promise<DeploymentReservation> {
    const { request } = execution;
    const { deployment } = attemptCandidate(execution);
    // reserved by the admission already (docs/decisions/0031)
    const ahead = request.ahead?.take(deployment);
    if (ahead !== undefined) return Promise.resolve(ahead);
    return this.options.limiter.reserve(
      deployment.limits,
      request.reservedTokens,
      `${request.leaseId}:${execution.tally.attempts + 1}`,
      request.timeoutMs + leaseMarginMs,
    );
  }

  private skipped<T>(
    execution: Execution<T>,
    refused: Extract<DeploymentReservation, { granted: false }>,
  ): Outcome<T> {
    const { request } = execution;
    const deployment = attemptCandidate(execution).deployment;
    this.options.events.emit({
      type: 'rate-limited',
      requestId: request.requestId,
      scope: 'deployment',
      tenant: request.tenant,
      deployment: deployment.id,
      limit: refused.limit,
    });
    return { kind: 'skipped', capacity: true, freeAt: this.options.clock.now() + refused.retryAfterMs };
  }
}

/** Deployment rpm/tpm/concurrency: skip when full, never queue. */
export function deploymentLimits(options: DeploymentLimitsOptions): PolicyLayer {
  return (inner) => new DeploymentLimits(options, inner);
}
