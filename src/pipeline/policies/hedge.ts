import { startTimer, type Clock, type ClockTimer } from '../../core/clock.ts';
import { computeCostUsd } from '../../core/cost.ts';
import type { EventSink, HedgeOutcome } from '../../core/gateway-events.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { RetryBudget } from '../../policies/retry-budget.ts';
import type { DeploymentStats } from '../../routing/deployment-stats.ts';
import type { Candidate } from '../../routing/plan-group.ts';
import type { HedgeSettings } from '../../routing/routing-table.ts';
import { CommittedAttempt } from '../committed-attempt.ts';
import { attemptCandidate, type Execution } from '../execution.ts';
import { excludeAfterFailure } from './failover.ts';
import { PolicyAround, type ExecutionPolicy, type Outcome, type PolicyLayer } from './policy.ts';

export interface HedgeOptions {
  readonly clock: Clock;
  readonly stats: DeploymentStats;
  /** The hedge budget (its own state keys, shared by replicas like the retry budget). */
  readonly hedgeBudget: RetryBudget;
  readonly events: EventSink;
}

/**
 * The reason a hedge's loser is aborted with: the first attempt, outpaced by a hedge that started
 * later, was slow (`hedge_outpaced` counts against its health, so a deployment that hangs is taken
 * out by its breaker even though hedges hide it from clients); the hedge, which lost to an attempt
 * that had a head start, says nothing (`hedge_cancelled`).
 */
function loserReason(primaryLost: boolean): GatewayError {
  const message = 'another attempt of this request answered first';
  return new GatewayError(message, { code: primaryLost ? 'hedge_outpaced' : 'hedge_cancelled' });
}

/** One of a hedged request's two attempts: its own cursor and the controller that ends only it. */
class Branch<T> {
  readonly execution: Execution<T>;
  readonly controller = new AbortController();
  readonly outcome: Promise<Outcome<T>>;
  /** Epoch ms the attempt started. */
  readonly startedAt: number;
  private done = false;

  constructor(parent: Execution<T>, candidate: Candidate, inner: ExecutionPolicy, now: number) {
    this.startedAt = now;
    this.execution = parent.fork(candidate, AbortSignal.any([parent.request.signal, this.controller.signal]));
    this.outcome = inner.execute(this.execution).finally(() => {
      this.done = true;
    });
  }

  /** Whether the attempt has an outcome yet. */
  settled(): boolean {
    return this.done;
  }

  get candidate(): Candidate {
    return attemptCandidate(this.execution);
  }
}

/** The hedge timer's promise and the timer itself. */
function delay(clock: Clock, ms: number): { fired: Promise<'hedge'>; timer: ClockTimer } {
  let timer: ClockTimer | undefined;
  const fired = new Promise<'hedge'>((resolve) => {
    timer = startTimer(clock, ms, () => {
      resolve('hedge');
    });
  });
  return { fired, timer: timer as ClockTimer };
}

/**
 * Hedged first tokens (decision 0016), for groups with `hedge_after_ms`: when the attempt has no
 * first token (a stream's first content, a complete answer) after the delay — fixed, or the
 * deployment's observed p95 — one more attempt starts on another healthy candidate of the plan,
 * within the group's hedge budget; it goes through the breaker probe, the deployment's limits and
 * the timeouts like any attempt. The first to commit wins; the other is aborted at once
 * (`hedge_cancelled`), and its input tokens are added to the request's cost. Groups without
 * hedging pass straight through (no allocation).
 */
class Hedge extends PolicyAround<HedgeOptions> implements ExecutionPolicy {
  execute<T>(execution: Execution<T>): Promise<Outcome<T>> {
    const hedge = execution.group.settings.hedge;
    if (hedge === undefined || this.alternative(execution, attemptCandidate(execution)) === undefined)
      return this.inner.execute(execution);
    return this.hedged(execution, hedge);
  }

  /** The hedge's candidate: the first in plan order, not the primary, untried, not excluded or cooling, no probe. */
  private alternative<T>(execution: Execution<T>, primary: Candidate): Candidate | undefined {
    const record = execution.record;
    const now = this.options.clock.now();
    return execution.plan?.candidates.find(
      (candidate) =>
        candidate !== primary &&
        !candidate.probe &&
        (record === undefined ||
          (!record.tried.has(candidate) &&
            !record.excluded.has(candidate) &&
            (record.coolingUntil.get(candidate) ?? 0) <= now)),
    );
  }

  /**
   * The delay before the hedge: fixed, or `p95`: the lowest first-token p95 among the group's
   * candidates (a degraded primary's own p95 is its slowness; the best deployment's says what
   * normal is), half the first-token timeout while none has enough samples.
   */
  private delayMs<T>(execution: Execution<T>, hedge: HedgeSettings): number {
    if (hedge.afterMs !== 'p95') return hedge.afterMs;
    // A non-streamed request commits with its whole answer: compare it with answers, not first tokens.
    const { stats } = this.options;
    const stream = execution.request.stream;
    let best = Infinity;
    for (const candidate of execution.plan?.candidates ?? []) {
      const id = candidate.deployment.id;
      const p95 = stream ? stats.firstTokenQuantileMs(id, 0.95) : stats.answerQuantileMs(id, 0.95);
      if (p95 !== undefined && p95 < best) best = p95;
    }
    return Number.isFinite(best) ? best : execution.group.settings.firstTokenTimeoutMs / 2;
  }

  private async hedged<T>(execution: Execution<T>, hedge: HedgeSettings): Promise<Outcome<T>> {
    const { clock, hedgeBudget } = this.options;
    const primary = new Branch(execution, attemptCandidate(execution), this.inner, clock.now());
    const { fired, timer } = delay(clock, this.delayMs(execution, hedge));
    const first = await Promise.race([primary.outcome, fired]);
    if (first !== 'hedge') {
      timer.close();
      return first;
    }
    const other = this.alternative(execution, primary.candidate);
    if (other === undefined || primary.settled()) return primary.outcome;
    if (!(await hedgeBudget.tryAcquire(execution.group.name, hedge.budget))) {
      this.emit(execution, 'denied', undefined, undefined);
      return primary.outcome;
    }
    if (primary.settled()) return primary.outcome;
    execution.attempts().tried.add(other);
    const second = new Branch(execution, other, this.inner, clock.now());
    return this.race(execution, primary, second);
  }

  /** The first of the two to commit serves; the other is aborted. Both failing: the primary's failure. */
  private async race<T>(execution: Execution<T>, primary: Branch<T>, second: Branch<T>): Promise<Outcome<T>> {
    const tagged = (branch: Branch<T>) => branch.outcome.then((outcome) => ({ branch, outcome }));
    const firstDone = await Promise.race([tagged(primary), tagged(second)]);
    const rest = firstDone.branch === primary ? second : primary;
    if (firstDone.outcome instanceof CommittedAttempt)
      return this.won(execution, firstDone.outcome, rest, second);
    const restOutcome = await rest.outcome;
    if (restOutcome instanceof CommittedAttempt) return this.won(execution, restOutcome, undefined, second);
    // Neither served: failover records the primary's failure; the hedge's is recorded here.
    const hedgeOutcome = firstDone.branch === second ? firstDone.outcome : restOutcome;
    if (typeof hedgeOutcome === 'object' && hedgeOutcome.kind === 'failed')
      excludeAfterFailure(
        execution.attempts(),
        second.candidate,
        hedgeOutcome.error,
        this.options.clock.now(),
      );
    this.emit(execution, 'failed', second.candidate, undefined);
    return firstDone.branch === primary ? firstDone.outcome : restOutcome;
  }

  /** The winner serves; a loser still running is aborted and its input tokens are charged. */
  private won<T>(
    execution: Execution<T>,
    winner: CommittedAttempt<T>,
    loser: Branch<T> | undefined,
    second: Branch<T>,
  ): CommittedAttempt<T> {
    const hedgeWon = winner.execution === second.execution;
    const tally = execution.tally;
    tally.lastTarget = winner.candidate.deployment.target;
    if (hedgeWon) tally.hedged = true;
    let loserCostUsd: number | undefined;
    if (loser !== undefined) {
      const price = loser.candidate.deployment.price;
      loserCostUsd =
        price === undefined
          ? undefined
          : computeCostUsd(price, { inputTokens: execution.request.promptTokens, outputTokens: 0 });
      tally.extraCostUsd += loserCostUsd ?? 0;
      // Tried in this request: a stream recovery after a cut does not go back to the one outpaced.
      execution.attempts().tried.add(loser.candidate);
      this.cancel(loser, execution.request.promptTokens, hedgeWon);
    }
    this.emit(execution, hedgeWon ? 'won' : 'lost', second.candidate, loserCostUsd);
    return winner;
  }

  /**
   * Aborts the loser; one that committed in the meantime is accounted as cancelled. Its time so far
   * is a lower bound of its first token: the statistics (and its learned p95) count it as such.
   */
  private cancel<T>(loser: Branch<T>, promptTokens: number, primaryLost: boolean): void {
    const { clock, stats } = this.options;
    stats.recordSlowFailure(
      loser.candidate.deployment.id,
      clock.now() - loser.startedAt,
      !loser.execution.request.stream,
    );
    const reason = loserReason(primaryLost);
    loser.controller.abort(reason);
    void loser.outcome.then((outcome) => {
      if (!(outcome instanceof CommittedAttempt)) return;
      outcome.scope.abort(reason);
      outcome.finish({ error: reason, tokens: promptTokens, outputTokens: 0 });
    });
  }

  private emit<T>(
    execution: Execution<T>,
    outcome: HedgeOutcome,
    candidate: Candidate | undefined,
    loserCostUsd: number | undefined,
  ): void {
    this.options.events.emit({
      type: 'hedge-finished',
      requestId: execution.request.requestId,
      group: execution.group.name,
      outcome,
      deployment: candidate?.deployment.id,
      loserCostUsd,
    });
  }
}

/** Hedged first tokens for groups that ask for them. */
export function hedge(options: HedgeOptions): PolicyLayer {
  return (inner) => new Hedge(options, inner);
}
