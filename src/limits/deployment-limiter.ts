import type { Logger } from 'pino';
import type { RateLimit, ReserveRequest, ReserveResult, StateStore } from '../core/state-store.ts';
import {
  isUnlimited,
  noKeys,
  noRates,
  ReservationTemplate,
  type LimitKind,
  type LimitPlan,
} from './limit-plan.ts';
import { QuotaAccounting, QuotaReservation } from './quota-reservation.ts';

/** The outcome of reserving a deployment's rpm / tpm / max_concurrency for one attempt. */
export type DeploymentReservation =
  | { readonly granted: true; readonly reservation: QuotaReservation }
  | {
      readonly granted: false;
      /** The limit that said no. */
      readonly limit: LimitKind;
      /** When the deployment could take this request. */
      readonly retryAfterMs: number;
    };

/**
 * A deployment reservation ready to be made in some state-store call (`state.reserve`, or the
 * tenant admission's `also`, decision 0031): what to send, and what the store's answer makes.
 */
export class PreparedReservation {
  /** What to reserve. */
  readonly request: ReserveRequest;
  private readonly plan: LimitPlan;
  private readonly accounting: QuotaAccounting;
  private readonly template: ReservationTemplate;
  private readonly tokenRates: RateLimit[];

  constructor(
    plan: LimitPlan,
    accounting: QuotaAccounting,
    template: ReservationTemplate,
    estimatedTokens: number,
    leaseId: string,
    leaseTtlMs: number,
  ) {
    this.plan = plan;
    this.accounting = accounting;
    this.template = template;
    this.tokenRates = template.tokenRateCount === 0 ? [] : new Array<RateLimit>(template.tokenRateCount);
    const rates = template.rates(estimatedTokens, this.tokenRates);
    this.request = { rates, concurrency: template.concurrency, leaseId, leaseTtlMs };
  }

  /** The reservation the store's answer to `request` makes. */
  outcome(result: ReserveResult): DeploymentReservation {
    if (result.granted) {
      return {
        granted: true,
        reservation: new QuotaReservation(
          this.accounting,
          this.tokenRates,
          this.template.concurrencyKeys,
          this.request.leaseId,
        ),
      };
    }
    return {
      granted: false,
      limit: this.plan.kinds.get(result.rejectedKey) ?? 'rpm',
      retryAfterMs: Number.isFinite(result.retryAfterMs) ? Math.max(0, result.retryAfterMs) : 60_000,
    };
  }

  /**
   * Gives back a granted reservation that no attempt used: every rate (requests and tokens) refunded
   * and the leases released, as if it had not been made. Not awaited; a failure is logged.
   */
  cancel(): void {
    const refunds: RateLimit[] = [];
    for (const rate of this.request.rates) if (rate.cost !== 0) refunds.push({ ...rate, cost: -rate.cost });
    this.accounting.state
      .settle(refunds, this.template.concurrencyKeys, this.request.leaseId)
      .catch(this.accounting.settleFailed);
  }
}

/**
 * A deployment's own limits as reservations: one `state.reserve` per attempt. A deployment at its
 * limit is skipped by the caller (never queued behind).
 */
export class DeploymentLimiter {
  private readonly state: StateStore;
  /** Shared by this limiter's reservations. */
  private readonly accounting: QuotaAccounting;
  /** What each plan reserves, derived once per plan (plans live as long as their routing table). */
  private readonly templates = new WeakMap<LimitPlan, ReservationTemplate>();

  constructor(state: StateStore, logger: Logger) {
    this.state = state;
    this.accounting = new QuotaAccounting(state, logger);
  }

  private templateOf(plan: LimitPlan): ReservationTemplate {
    let template = this.templates.get(plan);
    if (template === undefined) {
      template = new ReservationTemplate([plan]);
      this.templates.set(plan, template);
    }
    return template;
  }

  /**
   * One request and `estimatedTokens` against the plan, to reserve in a state-store call of the
   * caller's; undefined when the plan has no limit (nothing to reserve).
   */
  prepare(
    plan: LimitPlan,
    estimatedTokens: number,
    leaseId: string,
    leaseTtlMs: number,
  ): PreparedReservation | undefined {
    if (isUnlimited(plan)) return undefined;
    return new PreparedReservation(
      plan,
      this.accounting,
      this.templateOf(plan),
      estimatedTokens,
      leaseId,
      leaseTtlMs,
    );
  }

  /** Reserves one request and `estimatedTokens` against the plan, all or nothing. */
  async reserve(
    plan: LimitPlan,
    estimatedTokens: number,
    leaseId: string,
    leaseTtlMs: number,
  ): Promise<DeploymentReservation> {
    const prepared = this.prepare(plan, estimatedTokens, leaseId, leaseTtlMs);
    if (prepared === undefined) {
      return {
        granted: true,
        reservation: new QuotaReservation(this.accounting, noRates, noKeys, leaseId),
      };
    }
    return prepared.outcome(await this.state.reserve(prepared.request));
  }
}
