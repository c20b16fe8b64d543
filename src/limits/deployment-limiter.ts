import type { Logger } from 'pino';
import type { RateLimit, StateStore } from '../core/state-store.ts';
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

  /** Reserves one request and `estimatedTokens` against the plan, all or nothing. */
  async reserve(
    plan: LimitPlan,
    estimatedTokens: number,
    leaseId: string,
    leaseTtlMs: number,
  ): Promise<DeploymentReservation> {
    if (isUnlimited(plan)) {
      return {
        granted: true,
        reservation: new QuotaReservation(this.accounting, noRates, noKeys, leaseId),
      };
    }
    const template = this.templateOf(plan);
    const tokenRates = template.tokenRateCount === 0 ? [] : new Array<RateLimit>(template.tokenRateCount);
    const rates = template.rates(estimatedTokens, tokenRates);
    const result = await this.state.reserve({
      rates,
      concurrency: template.concurrency,
      leaseId,
      leaseTtlMs,
    });
    if (result.granted) {
      return {
        granted: true,
        reservation: new QuotaReservation(this.accounting, tokenRates, template.concurrencyKeys, leaseId),
      };
    }
    return {
      granted: false,
      limit: plan.kinds.get(result.rejectedKey) ?? 'rpm',
      retryAfterMs: Number.isFinite(result.retryAfterMs) ? Math.max(0, result.retryAfterMs) : 60_000,
    };
  }
}
