import type { GatewayError } from '../errors/gateway-error.ts';
import type { QuotaReservation } from '../limits/quota-reservation.ts';
import type { AttemptScope } from '../policies/attempt-scope.ts';
import { cooldownFor } from '../policies/cooldown.ts';
import { deploymentVerdict } from '../policies/deployment-verdict.ts';
import type { Candidate } from '../routing/plan-group.ts';
import type { GroupRoute } from '../routing/routing-table.ts';
import type { ExecutionServices, ExecutionTally } from './execution-services.ts';

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
  private readonly context: { readonly requestId: string; readonly tenant: string; readonly stream: boolean };
  private readonly reservation: QuotaReservation;
  private readonly probe: string | undefined;
  private finished = false;

  constructor(options: {
    value: T;
    candidate: Candidate;
    group: GroupRoute;
    scope: AttemptScope;
    attempt: number;
    startedAt: number;
    services: ExecutionServices;
    tally: ExecutionTally;
    context: { readonly requestId: string; readonly tenant: string; readonly stream: boolean };
    reservation: QuotaReservation;
    probe: string | undefined;
  }) {
    this.value = options.value;
    this.candidate = options.candidate;
    this.group = options.group;
    this.scope = options.scope;
    this.attempt = options.attempt;
    this.startedAt = options.startedAt;
    this.services = options.services;
    this.tally = options.tally;
    this.context = options.context;
    this.reservation = options.reservation;
    this.probe = options.probe;
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
    } else if (error.code === 'upstream_timeout') {
      services.stats.recordSlowFailure(deployment.id, durationMs);
    }
    const ref = { deploymentId: deployment.id, breakerKey: deployment.breakerKey };
    services.breaker
      .recordOutcome(
        ref,
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
      requestId: this.context.requestId,
      tenant: this.context.tenant,
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
