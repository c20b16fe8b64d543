import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { EventSink } from '../core/gateway-events.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import type { QuotaReservation } from '../limits/quota-reservation.ts';
import type { AttemptScope } from '../policies/attempt-scope.ts';
import type { CircuitBreaker } from '../policies/circuit-breaker.ts';
import { cooldownFor, type Cooldowns } from '../policies/cooldown.ts';
import { deploymentVerdict } from '../policies/deployment-verdict.ts';
import type { DeploymentStats } from '../routing/deployment-stats.ts';
import type { LearnedLimits } from '../routing/learned-limits.ts';
import type { Candidate } from '../routing/plan-group.ts';
import type { GroupRoute } from '../routing/routing-table.ts';
import { attemptCandidate, type Execution } from './execution.ts';

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

/** What accounting an attempt needs: one set per gateway. */
export interface AttemptAccounting {
  readonly clock: Clock;
  readonly stats: DeploymentStats;
  /** What upstreams say about their limits (headers, 429s): steers routing (decision 0016). */
  readonly learned: LearnedLimits;
  readonly breaker: CircuitBreaker;
  readonly cooldowns: Cooldowns;
  readonly events: EventSink;
  /** Where failed breaker and cooldown updates are reported (they never fail a request). */
  readonly logger: Logger;
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
  /** The request's execution: its plan, cursor and attempt record, kept for the answer's life. */
  readonly execution: Execution<unknown>;
  private readonly services: AttemptAccounting;
  private readonly reservation: QuotaReservation | undefined;
  private readonly probe: string | undefined;
  private finished = false;

  /** The attempt the execution is at: its candidate, group, probe and reservation. */
  constructor(
    value: T,
    execution: Execution<unknown>,
    scope: AttemptScope,
    startedAt: number,
    accounting: AttemptAccounting,
  ) {
    this.value = value;
    this.candidate = attemptCandidate(execution);
    this.group = execution.group;
    this.scope = scope;
    this.attempt = execution.tally.attempts;
    this.startedAt = startedAt;
    this.execution = execution;
    this.services = accounting;
    this.reservation = execution.reservation;
    this.probe = execution.probe;
  }

  /** Accounts the attempt; later calls do nothing. Never throws, never blocks. */
  finish(end: AttemptEnd): void {
    if (this.finished) return;
    this.finished = true;
    const { services, candidate } = this;
    const deployment = candidate.deployment;
    const endedAt = services.clock.now();
    const durationMs = endedAt - this.startedAt;
    this.execution.tally.upstreamMs += durationMs;
    this.scope.dispose();
    this.reservation?.settle(end.tokens);
    services.stats.finish(deployment.id);
    const error = end.error;
    services.learned.used(deployment.id, end.tokens, endedAt);
    if (error === undefined) services.learned.succeeded(deployment.id, end.tokens);
    else if (error.coolsDeployment && error.retryable)
      services.learned.throttled(
        deployment.id,
        endedAt,
        deployment.config.rpm !== undefined,
        deployment.config.tpm !== undefined,
      );
    if (error === undefined) {
      if (end.firstTokenMs !== undefined)
        services.stats.recordStream(deployment.id, end.firstTokenMs, durationMs, end.outputTokens);
      else services.stats.recordComplete(deployment.id, durationMs, end.outputTokens);
    } else if (error.slowFailure) {
      services.stats.recordSlowFailure(deployment.id, durationMs, !this.execution.request.stream);
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
      requestId: this.execution.request.requestId,
      tenant: this.execution.request.tenant,
      target: deployment.target,
      attempt: this.attempt,
      outcome: error === undefined ? 'success' : 'error',
      errorCode: error?.code,
      upstreamStatus: error?.upstreamStatus,
      durationMs,
      endedAt,
      firstTokenMs: end.firstTokenMs ?? (error === undefined ? durationMs : undefined),
    });
  }
}
