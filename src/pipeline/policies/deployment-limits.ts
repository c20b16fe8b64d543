import type { Clock } from '../../core/clock.ts';
import type { EventSink } from '../../core/gateway-events.ts';
import type { DeploymentLimiter } from '../../limits/deployment-limiter.ts';
import { leaseMarginMs } from '../execution-request.ts';
import { attemptCandidate, type Execution } from '../execution.ts';
import type { ExecutionPolicy, Outcome, PolicyLayer } from './policy.ts';

export interface DeploymentLimitsOptions {
  readonly limiter: DeploymentLimiter;
  readonly events: EventSink;
  readonly clock: Clock;
}

/**
 * Deployment limits: the attempt reserves the deployment's rpm, tpm and concurrency in one step, or
 * is skipped at once when the deployment is full (never queued): failover moves on.
 */
class DeploymentLimits implements ExecutionPolicy {
  private readonly options: DeploymentLimitsOptions;
  private readonly inner: ExecutionPolicy;

  constructor(options: DeploymentLimitsOptions, inner: ExecutionPolicy) {
    this.options = options;
    this.inner = inner;
  }

  async execute<T>(execution: Execution<T>): Promise<Outcome<T>> {
    const { limiter, events, clock } = this.options;
    const { request } = execution;
    const deployment = attemptCandidate(execution).deployment;
    const reserved = await limiter.reserve(
      deployment.limits,
      request.reservedTokens,
      `${request.leaseId}:${execution.tally.attempts + 1}`,
      request.timeoutMs + leaseMarginMs,
    );
    if (!reserved.granted) {
      events.emit({
        type: 'rate-limited',
        requestId: request.requestId,
        scope: 'deployment',
        tenant: request.tenant,
        deployment: deployment.id,
        limit: reserved.limit,
      });
      return { kind: 'skipped', capacity: true, freeAt: clock.now() + reserved.retryAfterMs };
    }
    execution.reservation = reserved.reservation;
    // Awaited, not returned: an async function returning a promise costs an extra promise and two ticks.
    return await this.inner.execute(execution);
  }
}

/** Deployment rpm/tpm/concurrency: skip when full, never queue. */
export function deploymentLimits(options: DeploymentLimitsOptions): PolicyLayer {
  return (inner) => new DeploymentLimits(options, inner);
}
