import type { GatewayError } from '../errors/gateway-error.ts';
import { AttemptScope } from '../policies/attempt-scope.ts';
import type { Candidate } from '../routing/plan-group.ts';
import type { DeploymentRoute, GroupRoute, GroupSettings } from '../routing/routing-table.ts';
import { CommittedAttempt, type AttemptStart } from './committed-attempt.ts';
import type { ExecutionRequest, ExecutionServices, ExecutionTally } from './execution-services.ts';

/**
 * One upstream call on a deployment, bounded by the scope: its signal goes to the adapter, and the
 * call uses `scope.race` and starts the first-token timer. Resolves with the answer (or an opened
 * stream); the first-token timer is cleared when it resolves (a stream's call may clear it earlier).
 */
export type AttemptCall<T> = (
  deployment: DeploymentRoute,
  scope: AttemptScope,
  settings: GroupSettings,
) => Promise<T>;

/** The committed attempt itself, or why there is none. */
export type AttemptOutcome<T> =
  | CommittedAttempt<T>
  /** Not attempted: at its limit (capacity) or another request holds its probe. */
  | { readonly kind: 'skipped'; readonly capacity: boolean; readonly freeAt: number }
  | { readonly kind: 'failed'; readonly error: GatewayError };

/** Leases outlive the longest request a little: a crashed replica's slots come back after this. */
const leaseMarginMs = 60_000;

/**
 * Breaker probe claim → deployment reservation (skip when at its limit, never queue) → the call
 * under an attempt scope (timeouts, client abort). A failed attempt is accounted here; a committed
 * one by whoever consumes it.
 */
export async function runAttempt<T>(
  services: ExecutionServices,
  request: ExecutionRequest,
  group: GroupRoute,
  candidate: Candidate,
  call: AttemptCall<T>,
  tally: ExecutionTally,
): Promise<AttemptOutcome<T>> {
  const deployment = candidate.deployment;
  const ref = deployment.breaker;
  let probe: string | undefined;
  if (candidate.probe) {
    probe = await services.breaker.claimProbe(ref, candidate.health.breaker, group.settings.timeoutMs);
    if (probe === undefined) {
      return { kind: 'skipped', capacity: false, freeAt: services.clock.now() + group.settings.timeoutMs };
    }
  }
  const leaseId = `${request.leaseId}:${tally.attempts + 1}`;
  const reserved = await services.limiter.reserve(
    deployment.limits,
    request.reservedTokens,
    leaseId,
    request.timeoutMs + leaseMarginMs,
  );
  if (!reserved.granted) {
    if (probe !== undefined) {
      // Give the probe back untouched: the breaker learned nothing.
      await services.breaker.recordOutcome(
        ref,
        candidate.health.breaker,
        probe,
        'neutral',
        group.settings.circuitBreaker,
      );
    }
    services.events.emit({
      type: 'rate-limited',
      requestId: request.requestId,
      scope: 'deployment',
      tenant: request.tenant,
      deployment: deployment.id,
      limit: reserved.limit,
    });
    return { kind: 'skipped', capacity: true, freeAt: services.clock.now() + reserved.retryAfterMs };
  }
  tally.attempts += 1;
  tally.lastTarget = deployment.target;
  const startedAt = services.clock.now();
  const scope = new AttemptScope(services.clock, request.signal, request.deadlineAt, request.timeoutMs);
  services.stats.start(deployment.id);
  const start: AttemptStart = {
    candidate,
    group,
    scope,
    attempt: tally.attempts,
    startedAt,
    services,
    tally,
    request,
    reservation: reserved.reservation,
    probe,
  };
  try {
    const value = await call(deployment, scope, group.settings);
    scope.clearFirstToken();
    return new CommittedAttempt(value, start);
  } catch (thrown) {
    const error = scope.errorOf(thrown);
    new CommittedAttempt(undefined, start).finish({ error, tokens: 0, outputTokens: 0 });
    return { kind: 'failed', error };
  }
}
