import type { Logger } from 'pino';
import type { ConcurrencyLimit, RateLimit, StateStore } from '../state/state-store.ts';
import { isUnlimited, ratesOf, type LimitKind, type LimitPlan } from './limit-plan.ts';
import { QuotaReservation } from './quota-reservation.ts';

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
  private readonly logger: Logger;

  constructor(state: StateStore, logger: Logger) {
    this.state = state;
    this.logger = logger;
  }

  /** Reserves one request and `estimatedTokens` against the plan, all or nothing. */
  async reserve(
    plan: LimitPlan,
    estimatedTokens: number,
    leaseId: string,
    leaseTtlMs: number,
  ): Promise<DeploymentReservation> {
    if (isUnlimited(plan)) {
      return { granted: true, reservation: new QuotaReservation(this.state, this.logger, [], [], leaseId) };
    }
    const rates: RateLimit[] = [];
    const tokenRates: RateLimit[] = [];
    ratesOf(plan, estimatedTokens, rates, tokenRates);
    const concurrency: ConcurrencyLimit[] = plan.concurrency === undefined ? [] : [plan.concurrency];
    const result = await this.state.reserve({ rates, concurrency, leaseId, leaseTtlMs });
    if (result.granted) {
      const keys = concurrency.map((limit) => limit.key);
      return {
        granted: true,
        reservation: new QuotaReservation(this.state, this.logger, tokenRates, keys, leaseId),
      };
    }
    return {
      granted: false,
      limit: plan.kinds.get(result.rejectedKey) ?? 'rpm',
      retryAfterMs: Number.isFinite(result.retryAfterMs) ? Math.max(0, result.retryAfterMs) : 60_000,
    };
  }
}
