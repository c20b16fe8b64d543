import type { GatewayError } from '../errors/gateway-error.ts';
import type { QuotaReservation } from '../limits/quota-reservation.ts';
import type { AttemptScope } from '../policies/attempt-scope.ts';
import { cooldownFor } from '../policies/cooldown.ts';
import { deploymentVerdict } from '../policies/deployment-verdict.ts';
import type { Candidate } from '../routing/plan-group.ts';
import type { GroupRoute } from '../routing/routing-table.ts';
import type { ExecutionRequest, ExecutionServices, ExecutionTally } from './execution-services.ts';

/** How an attempt ended, for accounting. */
export interface AttemptEnd {
  /** The failure; undefined for success. */
  readonly error?: GatewayError | undefined;
  /** Real tokens used (reconciles the tpm reservation; 0 refunds it). */
  readonly tokens: number;
  readonly outputTokens: number;
  /** Milliseconds from the attempt's start to its first event (streams). */
  readonly firstTokenMs?: number | undefined;
}

/** What an attempt started with: everything its accounting needs besides the value. */
export interface AttemptStart {
  readonly candidate: Candidate;
  readonly group: GroupRoute;
  readonly scope: AttemptScope;
  /** 1-based number of this attempt within the request. */
  readonly attempt: number;
  /** Epoch ms when the attempt started. */
  readonly startedAt: number;
  readonly services: ExecutionServices;
  readonly tally: ExecutionTally;
  /** The request (its id, tenant and whether it streams, for events). */
  readonly request: ExecutionRequest;
  readonly reservation: QuotaReservation;
  readonly probe: string | undefined;
}

/**
 * An attempt that produced an answer (or a stream's first event). It holds the deployment's
 * reservation and the attempt's timers until `finish`, which accounts it exactly once: limits
 * reconciled and released, breaker and cooldown updated, statistics and `attempt-finished`.
 */
export class CommittedAttempt<T> {
  readonly value: T;
  readonly candidate: Candidate;
  readonly group: GroupRoute;
  readonly scope: AttemptScope;
  /** 1-based number of this attempt within the request. */
  readonly attempt: number;
  /** Epoch ms when the attempt started. */
  readonly startedAt: number;
  private readonly services: ExecutionServices;
  private readonly tally: ExecutionTally;
  private readonly request: ExecutionRequest;
  private readonly reservation: QuotaReservation;
  private readonly probe: string | undefined;
  private finished = false;

  constructor(value: T, start: AttemptStart) {
    this.value = value;
    this.candidate = start.candidate;
    this.group = start.group;
    this.scope = start.scope;
    this.attempt = start.attempt;
    this.startedAt = start.startedAt;
    this.services = start.services;
    this.tally = start.tally;
    this.request = start.request;
    this.reservation = start.reservation;
    this.probe = start.probe;
  }

  /** Accounts the attempt; later calls do nothing. Never throws, never blocks. */
  finish(end: AttemptEnd): void {
    if (this.finished) return;
    this.finished = true;
    const { services, candidate } = this;
    const deployment = candidate.deployment;
    const durationMs = services.clock.now() - this.startedAt;
    this.tally.upstreamMs += durationMs;
    this.scope.dispose();
    this.reservation.settle(end.tokens);
    services.stats.finish(deployment.id);
    const error = end.error;
    if (error === undefined) {
      if (end.firstTokenMs !== undefined)
        services.stats.recordStream(deployment.id, end.firstTokenMs, durationMs, end.outputTokens);
      else services.stats.recordComplete(deployment.id, durationMs, end.outputTokens);
    } else if (error.slowFailure) {
      services.stats.recordSlowFailure(deployment.id, durationMs);
    }
    services.breaker
      .recordOutcome(
        deployment.breaker,
        candidate.health.breaker,
        this.probe,
        deploymentVerdict(error),
        this.group.settings.circuitBreaker,
      )
      .catch((failure: unknown) => {
        services.logger.warn({ err: failure, deployment: deployment.id }, 'circuit breaker update failed');
      });
    const cooldownMs = error === undefined ? undefined : cooldownFor(error);
    if (error !== undefined && cooldownMs !== undefined) {
      services.cooldowns
        .start(deployment.id, deployment.cooldownKey, cooldownMs, error)
        .catch((failure: unknown) => {
          services.logger.warn({ err: failure, deployment: deployment.id }, 'starting a cooldown failed');
        });
    }
    services.events.emit({
      type: 'attempt-finished',
      requestId: this.request.requestId,
      tenant: this.request.tenant,
      target: deployment.target,
      attempt: this.attempt,
      outcome: error === undefined ? 'success' : 'error',
      errorCode: error?.code,
      upstreamStatus: error?.upstreamStatus,
      durationMs,
      firstTokenMs: end.firstTokenMs ?? (error === undefined ? durationMs : undefined),
    });
  }
}
